// §3 of docs/method.md: Regularised Affinity Diffusion (Eq. 9–14, Algorithm 1).
#pragma once
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

class Backend;

struct RadOptions {
  double mu = 0.1;           // μ, pull towards E = I (Eq. 11)
  double lambda = 10.0;      // λ, β regulariser (Eq. 11), per image when per_image (below)
  // Measure the objective per image: the β-step (Eq. 38–40) sees H_b / M instead of H_b, i.e.
  // the paper's objective with λ·M for λ. Why: H_b = ‖Â‖² − ⟨Â, S_b Â S_b⟩ and ‖Â − E‖² are
  // sums over the M rows of Â while (λ/2)‖β‖² is not, so with a fixed λ the β-step turns
  // one-hot as M grows (the H_b differ by more than λ: measured on the CLIP-faithful
  // CIFAR-20-like set, bench/quality.py, β collapsed onto one or two templates and ACC fell
  // below the naive mean; table in bench/README.md). Per image, λ = 10 means the same at
  // every M. false = the paper's literal form.
  bool per_image = true;
  int max_outer = 20;
  double outer_tol = 1e-5;   // relative change of the full objective
  int max_inner = 30;
  double inner_tol = 1e-4;   // ‖ΔÂ‖_F / ‖Â‖_F
  const Backend* backend = nullptr;  // computes the masked products (backend.hpp); null = CPU
  // Renumber the nodes by reverse Cuthill–McKee (ordering.hpp) while iterating, so that the
  // masked products read neighbouring rows from cache; Â comes back in the input numbering.
  // Changes only the summation order (results agree to rounding).
  bool reorder = true;
  // Compute one triangle of each S Â S and mirror it (SandwichOperator::apply_symmetric; Â is
  // symmetric throughout). Changes only the summation order.
  bool symmetric_products = true;
};

struct RadResult {
  SparseMatrixD affinity;        // Â on Ω = diag ∪ ⋃ patterns, symmetric
  VectorD beta;                  // template weights on the simplex
  VectorD losses;                // H_b at the final Â
  std::vector<double> objective; // full objective after each outer round
  int outer_iterations = 0;
  int inner_iterations = 0;      // total Â-steps
  bool converged = false;        // outer stopping rule met before max_outer
};

// S = D^{-1/2} A D^{-1/2}; a zero-degree node is given degree 1 (its row stays zero).
SparseMatrixD symmetric_normalize(const SparseMatrixD& a);

// β-step (Eq. 38–40): Euclidean projection of −H/λ onto the probability simplex.
VectorD beta_step(const VectorD& losses, double lambda);

// The sparsity pattern Ω: diagonal ∪ union of the patterns of `graphs`, values zero.
SparseMatrixD union_pattern(const std::vector<SparseMatrixD>& graphs);

// (S X S)[i,j] for (i,j) in the pattern of `mask`; S symmetric. Cost O(nnz(mask)·q).
SparseMatrixD masked_sandwich(const SparseMatrixD& s, const SparseMatrixD& x, const SparseMatrixD& mask);

// The same product on raw values: out[p] = (S X S)[i, pattern.inner[p]] for every stored
// position p of `pattern` (CSR), X given by its values x over those positions. The CPU kernel
// of Backend::masked_sandwich; each row is vlc::dm::sandwich_row (device_math.hpp).
// Only rows [row_begin, row_end) are written (−1 = all rows): one rank's share in the MPI
// build, each row's arithmetic unchanged.
void masked_sandwich_values(const SparseMatrixD& s, const SparseMatrixD& pattern, const double* x, double* out,
                            int row_begin = 0, int row_end = -1);
// The same for the positions with column ≥ row only (the others are left untouched): for a
// symmetric X, whose S X S is symmetric, the rest is the mirror (SandwichOperator::apply_symmetric).
void masked_sandwich_upper_values(const SparseMatrixD& s, const SparseMatrixD& pattern, const double* x, double* out,
                                  int row_begin = 0, int row_end = -1);

// The full RAD loop over B per-template affinities (each symmetric M×M, zero diagonal).
RadResult rad(const std::vector<SparseMatrixD>& graphs, const RadOptions& options = {});

}  // namespace vlc
