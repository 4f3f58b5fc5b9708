#include "vlc/spectral.hpp"
#include <Eigen/Eigenvalues>
#include <Spectra/SymEigsSolver.h>
#include <algorithm>
#include <cmath>
#include "vlc/error.hpp"
#include "vlc/kmeans.hpp"
#include "vlc/parallel.hpp"

namespace vlc {
namespace {

// x ↦ D^{-1/2} Â D^{-1/2} x as a Spectra operator, parallel over rows (Spectra's own
// SparseSymMatProd is single-threaded).
class NormalizedAffinityOp {
 public:
  using Scalar = double;
  NormalizedAffinityOp(const SparseMatrixD& a, const VectorD& inv_sqrt_degree) : a_(a), scale_(inv_sqrt_degree) {}
  Eigen::Index rows() const { return a_.rows(); }
  Eigen::Index cols() const { return a_.cols(); }
  void perform_op(const double* x, double* y) const {
    const int* outer = a_.outerIndexPtr();
    const int* inner = a_.innerIndexPtr();
    const double* value = a_.valuePtr();
    parallel_for(0, a_.rows(), [&](std::int64_t i) {
      double acc = 0;
      for (int p = outer[i]; p < outer[i + 1]; ++p) acc += value[p] * scale_(inner[p]) * x[inner[p]];
      y[i] = scale_(i) * acc;
    });
  }

 private:
  const SparseMatrixD& a_;
  const VectorD& scale_;
};

VectorD inverse_sqrt_degree(const SparseMatrixD& a) {
  VectorD s(a.rows());
  for (int i = 0; i < a.rows(); ++i) {
    const double degree = a.row(i).sum();
    // §4: isolated nodes get degree 1, so their row of the normalised matrix is zero.
    s(i) = 1.0 / std::sqrt(degree > 0 ? degree : 1.0);
  }
  return s;
}

SpectralEmbedding dense_embedding(const SparseMatrixD& a, const VectorD& scale, int k) {
  const Eigen::MatrixXd n = scale.asDiagonal() * Eigen::MatrixXd(a) * scale.asDiagonal();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(n);
  require(solver.info() == Eigen::Success, "spectral: dense eigensolver failed");
  SpectralEmbedding e;
  e.values = solver.eigenvalues().tail(k).reverse();
  e.vectors = solver.eigenvectors().rightCols(k).rowwise().reverse();
  return e;
}

}  // namespace

SparseMatrixD clean_affinity(const SparseMatrixD& a) {
  SparseMatrixD c = a;
  for (int i = 0; i < c.outerSize(); ++i)
    for (SparseMatrixD::InnerIterator it(c, i); it; ++it)
      if (it.col() == i || !(it.value() > 0)) it.valueRef() = 0;
  c.prune(0.0);
  return c;
}

SpectralEmbedding spectral_embedding(const SparseMatrixD& affinity, int k, double tol, int max_iter) {
  require(affinity.rows() == affinity.cols(), "spectral: affinity is ", affinity.rows(), "×", affinity.cols(),
          ", not square");
  const int m = static_cast<int>(affinity.rows());
  require(k >= 1 && k <= m, "spectral: k = ", k, " must be between 1 and M = ", m);
  for (Eigen::Index p = 0; p < affinity.nonZeros(); ++p)
    require(std::isfinite(affinity.valuePtr()[p]), "spectral: the affinity has a non-finite entry");
  const SparseMatrixD a = clean_affinity(affinity);
  const VectorD scale = inverse_sqrt_degree(a);
  const int ncv = std::max(2 * k + 1, 20);  // §4
  // Lanczos needs k < ncv ≤ M; below that size the matrix is small enough to solve densely.
  if (ncv > m || k >= m) return dense_embedding(a, scale, k);

  NormalizedAffinityOp op(a, scale);
  Spectra::SymEigsSolver<NormalizedAffinityOp> solver(op, k, ncv);
  solver.init();
  solver.compute(Spectra::SortRule::LargestAlge, max_iter, tol, Spectra::SortRule::LargestAlge);
  if (solver.info() != Spectra::CompInfo::Successful)
    fail("spectral: Lanczos did not converge for the top ", k, " eigenpairs (ncv = ", ncv, ", tolerance ", tol,
         ", ", solver.num_iterations(), " restarts); the graph may have many near-identical eigenvalues — try a "
         "smaller k or a larger q");
  SpectralEmbedding e;
  e.values = solver.eigenvalues();
  e.vectors = solver.eigenvectors();
  e.iterations = static_cast<int>(solver.num_iterations());
  return e;
}

Labels spectral_clustering(const SparseMatrixD& affinity, const SpectralOptions& o, SpectralEmbedding* out) {
  SpectralEmbedding e = spectral_embedding(affinity, o.k, o.tol, o.max_iter);
  // Ng–Jordan–Weiss: project every row onto the unit sphere before k-means.
  RowMatrixD rows = e.vectors;
  for (Eigen::Index i = 0; i < rows.rows(); ++i) {
    const double n = rows.row(i).norm();
    if (n > 0) rows.row(i) /= n;
  }
  KMeansOptions km;
  km.k = o.k;
  km.n_init = o.n_init;
  km.seed = o.seed;
  Labels labels = kmeans(rows, km).labels;
  if (out) *out = std::move(e);
  return labels;
}

}  // namespace vlc
