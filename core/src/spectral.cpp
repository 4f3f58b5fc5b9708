#include "vlc/spectral.hpp"
#include <Eigen/Eigenvalues>
#include <Spectra/SymEigsSolver.h>
#include <algorithm>
#include <cmath>
#include "vlc/backend.hpp"
#include "vlc/components.hpp"
#include "vlc/error.hpp"
#include "vlc/kmeans.hpp"
#include "vlc/parallel.hpp"

namespace vlc {
namespace {

// x ↦ P D^{-1/2} Â D^{-1/2} P x as a Spectra operator, where P projects out the known
// component eigenvectors (deflation). The mat-vec D^{-1/2} Â D^{-1/2} runs on the chosen
// backend (CPU: parallel over rows, dm::normalized_row; Spectra's own SparseSymMatProd is
// single-threaded and cannot deflate).
class DeflatedAffinityOp {
 public:
  using Scalar = double;
  DeflatedAffinityOp(const SparseMatrixD& a, MatVecOperator& matvec, const RowMatrixD& known,
                     const std::vector<int>& component)
      : a_(a), matvec_(matvec), known_(known), component_(component), projected_(a.rows()),
        dots_(known.cols()) {}
  Eigen::Index rows() const { return a_.rows(); }
  Eigen::Index cols() const { return a_.cols(); }
  void perform_op(const double* x, double* y) const {
    project(x, projected_.data());
    matvec_.apply(projected_.data(), y);
    project(y, y);
  }

 private:
  // The known vectors have disjoint supports (one per component), so P x subtracts each
  // one's projection independently in O(M).
  void project(const double* in, double* out) const {
    const Eigen::Index m = a_.rows();
    dots_.setZero();
    for (Eigen::Index i = 0; i < m; ++i) dots_(component_[i]) += known_(i, component_[i]) * in[i];
    for (Eigen::Index i = 0; i < m; ++i) out[i] = in[i] - known_(i, component_[i]) * dots_(component_[i]);
  }

  const SparseMatrixD& a_;
  MatVecOperator& matvec_;
  const RowMatrixD& known_;
  const std::vector<int>& component_;
  mutable VectorD projected_;
  mutable VectorD dots_;
};

VectorD inverse_sqrt_degree(const SparseMatrixD& a) {
  VectorD s(a.rows());
  for (int i = 0; i < a.rows(); ++i) {
    const double degree = a.row(i).sum();
    // §4: isolated nodes get degree 1 (they form their own tiny components).
    s(i) = 1.0 / std::sqrt(degree > 0 ? degree : 1.0);
  }
  return s;
}

// The eigenvectors of eigenvalue 1, one per component: D^{1/2} 1_component, normalised.
// An isolated node is treated as carrying a self-loop, so it too is a component with
// eigenvalue 1 rather than a stray 0.
// Only the first `columns` (largest) components: M × count doubles would be O(M²) memory
// on graphs with many small components, and at most k of them are ever used.
RowMatrixD component_vectors(const VectorD& inv_sqrt_degree, const Components& comps, int columns) {
  const Eigen::Index m = inv_sqrt_degree.size();
  RowMatrixD v = RowMatrixD::Zero(m, columns);
  VectorD norm = VectorD::Zero(columns);
  for (Eigen::Index i = 0; i < m; ++i) {
    if (comps.of[i] >= columns) continue;
    const double root_degree = 1.0 / inv_sqrt_degree(i);
    v(i, comps.of[i]) = root_degree;
    norm(comps.of[i]) += root_degree * root_degree;
  }
  for (Eigen::Index i = 0; i < m; ++i)
    if (comps.of[i] < columns) v(i, comps.of[i]) /= std::sqrt(norm(comps.of[i]));
  return v;
}

SpectralEmbedding dense_embedding(const SparseMatrixD& a, const VectorD& scale, int k) {
  Eigen::MatrixXd n = scale.asDiagonal() * Eigen::MatrixXd(a) * scale.asDiagonal();
  for (Eigen::Index i = 0; i < n.rows(); ++i)
    if (a.row(i).nonZeros() == 0) n(i, i) = 1.0;  // the isolated-node convention above
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

SpectralEmbedding spectral_embedding(const SparseMatrixD& affinity, int k, double tol, int max_iter,
                                     const Backend* backend) {
  require(affinity.rows() == affinity.cols(), "spectral: affinity is ", affinity.rows(), "×", affinity.cols(),
          ", not square");
  const int m = static_cast<int>(affinity.rows());
  require(k >= 1 && k <= m, "spectral: k = ", k, " must be between 1 and M = ", m);
  for (Eigen::Index p = 0; p < affinity.nonZeros(); ++p)
    require(std::isfinite(affinity.valuePtr()[p]), "spectral: the affinity has a non-finite entry");
  const SparseMatrixD a = clean_affinity(affinity);
  const VectorD scale = inverse_sqrt_degree(a);
  const Components comps = connected_components(a);
  const RowMatrixD known = component_vectors(scale, comps, std::min(comps.count, k));

  SpectralEmbedding e;
  e.components = comps.count;
  if (comps.count >= k) {
    // Eigenvalue 1 has multiplicity ≥ k: the k largest components span the top eigenspace.
    e.values = VectorD::Ones(k);
    e.vectors = known.leftCols(k);
    return e;
  }
  const int nev = k - comps.count;
  const int ncv = std::max(2 * nev + 1, 20);  // §4
  if (ncv > m) {
    // Lanczos needs nev < ncv ≤ M; a matrix this small is solved densely instead.
    SpectralEmbedding dense = dense_embedding(a, scale, k);
    dense.components = comps.count;
    return dense;
  }
  SpectralEmbedding rest;
  {
    const std::unique_ptr<MatVecOperator> matvec = (backend ? *backend : cpu_backend()).normalized_matvec(a, scale);
    DeflatedAffinityOp op(a, *matvec, known, comps.of);
    Spectra::SymEigsSolver<DeflatedAffinityOp> solver(op, nev, ncv);
    solver.init();
    solver.compute(Spectra::SortRule::LargestAlge, max_iter, tol, Spectra::SortRule::LargestAlge);
    if (solver.info() != Spectra::CompInfo::Successful)
      fail("spectral: Lanczos did not converge for the top ", k, " eigenpairs (", comps.count,
           " found as graph components, ncv = ", ncv, ", tolerance ", tol, ", ", solver.num_iterations(),
           " restarts); the graph may have many near-identical eigenvalues — try a smaller k or a larger q");
    rest.values = solver.eigenvalues();
    rest.vectors = solver.eigenvectors();
    rest.iterations = static_cast<int>(solver.num_iterations());
  }
  e.values.resize(k);
  e.values << VectorD::Ones(comps.count), rest.values;
  e.vectors.resize(m, k);
  e.vectors << known, rest.vectors;
  e.iterations = rest.iterations;
  return e;
}

namespace {

// More components than clusters: the k largest components are the clusters and each smaller
// component joins the one whose mean feature is most cosine-similar to its own mean.
Labels merge_small_components(const SparseMatrixD& affinity, int k, const RowMatrixF* features) {
  const Components comps = connected_components(clean_affinity(affinity));
  require(features != nullptr, "spectral: the graph has ", comps.count, " connected components but only k = ", k,
          " clusters were asked for; raise q (more neighbours) or pass features to merge small components");
  require(features->rows() == affinity.rows(), "spectral: features have ", features->rows(), " rows but the affinity has ",
          affinity.rows());
  Eigen::MatrixXd mean = Eigen::MatrixXd::Zero(comps.count, features->cols());
  for (Eigen::Index i = 0; i < features->rows(); ++i) mean.row(comps.of[i]) += features->row(i).cast<double>();
  for (int r = 0; r < comps.count; ++r) {
    const double n = mean.row(r).norm();
    if (n > 0) mean.row(r) /= n;
  }
  std::vector<int> cluster_of(comps.count);
  for (int r = 0; r < comps.count; ++r) {
    if (r < k) {
      cluster_of[r] = r;
      continue;
    }
    Eigen::Index best = 0;
    (mean.topRows(k) * mean.row(r).transpose()).maxCoeff(&best);
    cluster_of[r] = static_cast<int>(best);
  }
  Labels labels(comps.of.size());
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = cluster_of[comps.of[i]];
  return labels;
}

}  // namespace

Labels spectral_clustering(const SparseMatrixD& affinity, const SpectralOptions& o, SpectralEmbedding* out,
                           const RowMatrixF* features) {
  SpectralEmbedding e = spectral_embedding(affinity, o.k, o.tol, o.max_iter, o.backend);
  Labels labels;
  if (e.components > o.k) {
    labels = merge_small_components(affinity, o.k, features);
  } else {
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
    labels = kmeans(rows, km).labels;
  }
  if (out) *out = std::move(e);
  return labels;
}

}  // namespace vlc
