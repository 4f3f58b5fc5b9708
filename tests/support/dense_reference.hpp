// Plain dense reference implementations for the exactness tests: the straightforward
// O(M²) formulas of docs/method.md that the core must reproduce without forming M×M matrices.
#pragma once
#include <vector>
#include "vlc/types.hpp"

namespace vlc::ref {

using Dense = Eigen::MatrixXd;

// K(i,j) = (1/τ²)(z_i·z_j)(s_i·s_j) with s = softmax(W z / τ), all in double.
Dense ntk_matrix(const RowMatrixF& images, const RowMatrixF& nouns, double tau);

// Neighbour lists by a full stable sort of each row (value descending, index ascending), self excluded.
std::vector<std::vector<int>> sorted_neighbours(const Dense& k, int q);

// S = D^{-1/2} A D^{-1/2} (zero-degree rows get degree 1).
Dense normalize(const Dense& a);

// The unmasked Â iteration of §3 with the same stopping rules as vlc::rad.
struct DenseRad {
  Dense affinity;
  Eigen::VectorXd beta;
};
DenseRad rad(const std::vector<Dense>& graphs, double mu, double lambda, int max_outer, double outer_tol,
             int max_inner, double inner_tol);

// argmin_β Σ β_b H_b + (λ/2)‖β‖² on the simplex by enumerating every active set (B ≤ 10).
Eigen::VectorXd simplex_brute_force(const Eigen::VectorXd& losses, double lambda);

// Random unit rows.
RowMatrixF random_unit_rows(int rows, int cols, std::uint64_t seed);

}  // namespace vlc::ref
