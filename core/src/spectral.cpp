#include "vlc/spectral.hpp"
#include <Eigen/Eigenvalues>
#include <Spectra/SymEigsSolver.h>
#include <algorithm>
#include <cmath>
#include "vlc/backend.hpp"
#include "vlc/components.hpp"
#include "vlc/noun_filter.hpp"  // select_rows
#include "vlc/error.hpp"
#include "vlc/kmeans.hpp"
#include "vlc/parallel.hpp"

namespace vlc {
namespace {

// Every component's eigenvector of eigenvalue 1 at once, as one entry per node: node i's entry
// in the unit vector D^{1/2} 1_component(i) / ‖·‖. Component vectors have disjoint supports,
// so this is all of them in O(M) memory, however many components there are. An isolated node
// is treated as carrying a self-loop, so it too is a component with eigenvalue 1 rather than a
// stray 0.
struct ComponentVectors {
  VectorD entry;               // M
  const Components* comps = nullptr;
};

ComponentVectors component_entries(const VectorD& inv_sqrt_degree, const Components& comps) {
  const Eigen::Index m = inv_sqrt_degree.size();
  ComponentVectors c{VectorD(m), &comps};
  VectorD norm = VectorD::Zero(comps.count);
  for (Eigen::Index i = 0; i < m; ++i) {
    c.entry(i) = 1.0 / inv_sqrt_degree(i);
    norm(comps.of[i]) += c.entry(i) * c.entry(i);
  }
  for (Eigen::Index i = 0; i < m; ++i) c.entry(i) /= std::sqrt(norm(comps.of[i]));
  return c;
}

// x ↦ x − Σ_c (u_c·x) u_c over all component vectors u_c, in O(M) (disjoint supports).
void project_out_components(const ComponentVectors& known, const double* in, double* out, VectorD& dots) {
  const std::vector<int>& of = known.comps->of;
  const Eigen::Index m = known.entry.size();
  dots.setZero(known.comps->count);
  for (Eigen::Index i = 0; i < m; ++i) dots(of[i]) += known.entry(i) * in[i];
  for (Eigen::Index i = 0; i < m; ++i) out[i] = in[i] - known.entry(i) * dots(of[i]);
}

// x ↦ P D^{-1/2} Â D^{-1/2} P x as a Spectra operator, where P projects out the component
// eigenvectors (deflation). The mat-vec D^{-1/2} Â D^{-1/2} runs on the chosen
// backend (CPU: parallel over rows, dm::normalized_row; Spectra's own SparseSymMatProd is
// single-threaded and cannot deflate).
class DeflatedAffinityOp {
 public:
  using Scalar = double;
  DeflatedAffinityOp(const SparseMatrixD& a, MatVecOperator& matvec, const ComponentVectors& known)
      : a_(a), matvec_(matvec), known_(known), projected_(a.rows()) {}
  Eigen::Index rows() const { return a_.rows(); }
  Eigen::Index cols() const { return a_.cols(); }
  void perform_op(const double* x, double* y) const {
    project(x, projected_.data());
    matvec_.apply(projected_.data(), y);
    project(y, y);
  }

 private:
  void project(const double* in, double* out) const { project_out_components(known_, in, out, dots_); }

  const SparseMatrixD& a_;
  MatVecOperator& matvec_;
  const ComponentVectors& known_;
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

// The first `columns` (largest) component vectors as dense columns, for the embedding the
// clustering uses: M × count doubles would be O(M²) memory on graphs with many small
// components, and at most k of them are ever used.
RowMatrixD component_vectors(const ComponentVectors& known, int columns) {
  const Eigen::Index m = known.entry.size();
  RowMatrixD v = RowMatrixD::Zero(m, columns);
  for (Eigen::Index i = 0; i < m; ++i)
    if (known.comps->of[i] < columns) v(i, known.comps->of[i]) = known.entry(i);
  return v;
}

// Every eigenpair, descending: for matrices too small for Lanczos (nev < ncv ≤ M).
SpectralEmbedding dense_eigenpairs(const SparseMatrixD& a, const VectorD& scale) {
  Eigen::MatrixXd n = scale.asDiagonal() * Eigen::MatrixXd(a) * scale.asDiagonal();
  for (Eigen::Index i = 0; i < n.rows(); ++i)
    if (a.row(i).nonZeros() == 0) n(i, i) = 1.0;  // the isolated-node convention above
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(n);
  require(solver.info() == Eigen::Success, "spectral: dense eigensolver failed");
  SpectralEmbedding e;
  e.values = solver.eigenvalues().reverse();
  e.vectors = solver.eigenvectors().rowwise().reverse();
  return e;
}

int lanczos_ncv(int nev) { return std::max(2 * nev + 1, 20); }  // §4

// The top nev eigenpairs of the normalised affinity with every component vector projected out
// (so: the largest eigenvalues below 1). converged = false when Lanczos did not converge.
struct Deflated {
  SpectralEmbedding top;
  bool converged = false;
};

Deflated deflated_lanczos(const SparseMatrixD& a, const VectorD& scale, const ComponentVectors& known, int nev,
                          double tol, int max_iter, const Backend* backend) {
  Backend::Eigenpairs own;
  if (backend && backend->deflated_eigenpairs(a, scale, known.comps->of, known.comps->count, known.entry, nev,
                                              lanczos_ncv(nev), tol, max_iter, own))
    return {{own.values, own.vectors, own.iterations}, own.converged};
  const std::unique_ptr<MatVecOperator> matvec = (backend ? *backend : cpu_backend()).normalized_matvec(a, scale);
  DeflatedAffinityOp op(a, *matvec, known);
  Spectra::SymEigsSolver<DeflatedAffinityOp> solver(op, nev, lanczos_ncv(nev));
  solver.init();
  solver.compute(Spectra::SortRule::LargestAlge, max_iter, tol, Spectra::SortRule::LargestAlge);
  Deflated d;
  d.top.iterations = static_cast<int>(solver.num_iterations());
  d.converged = solver.info() == Spectra::CompInfo::Successful;
  if (d.converged) {
    d.top.values = solver.eigenvalues();
    d.top.vectors = solver.eigenvectors();
  }
  return d;
}

// The top-k eigenpairs the clustering uses (see spectral_embedding).
SpectralEmbedding top_eigenpairs(const SparseMatrixD& a, const VectorD& scale, const ComponentVectors& known, int k,
                                 double tol, int max_iter, const Backend* backend) {
  const int m = static_cast<int>(a.rows());
  const int count = known.comps->count;
  SpectralEmbedding e;
  if (count >= k) {
    // Eigenvalue 1 has multiplicity ≥ k: the k largest components span the top eigenspace.
    e.values = VectorD::Ones(k);
    e.vectors = component_vectors(known, k);
    return e;
  }
  const int nev = k - count;
  const int ncv = lanczos_ncv(nev);
  if (ncv > m) {
    // Lanczos needs nev < ncv ≤ M; a matrix this small is solved densely instead.
    const SpectralEmbedding dense = dense_eigenpairs(a, scale);
    e.values = dense.values.head(k);
    e.vectors = dense.vectors.leftCols(k);
    return e;
  }
  const Deflated rest = deflated_lanczos(a, scale, known, nev, tol, max_iter, backend);
  if (!rest.converged)
    fail("spectral: Lanczos did not converge for the top ", k, " eigenpairs (", count,
         " found as graph components, ncv = ", ncv, ", tolerance ", tol, ", ", rest.top.iterations,
         " restarts); the graph may have many near-identical eigenvalues — try a smaller k or a larger q");
  e.values.resize(k);
  e.values << VectorD::Ones(count), rest.top.values;
  e.vectors.resize(m, k);
  e.vectors << component_vectors(known, count), rest.top.vectors;
  e.iterations = rest.top.iterations;
  return e;
}

// The sign an eigensolver returns is arbitrary; fix it: the largest-magnitude entry positive,
// ties (equal up to round-off, as on a component's constant part) going to the first such entry.
void fix_sign(VectorD& x) {
  const double largest = x.cwiseAbs().maxCoeff();
  for (Eigen::Index i = 0; i < x.size(); ++i)
    if (std::abs(x(i)) >= (1 - 1e-9) * largest) {
      if (x(i) < 0) x = -x;
      return;
    }
}

// SpectralEmbedding::coordinates (spectral.hpp): n unit eigenvectors orthogonal to the constant
// direction w = D^{1/2}1/‖·‖, by decreasing eigenvalue, then x = D^{-1/2}v with a fixed sign.
// First the eigenvalue-1 directions that tell components apart, min(components − 1, n) of them:
// the largest components' vectors, Gram–Schmidt against w and each other (eigenvalue 1 is
// repeated there, so this fixes a basis the eigenproblem leaves open). Then the top eigenvectors
// orthogonal to every component vector: from the clustering's own embedding when it has enough,
// else one more deflated Lanczos run for exactly the missing ones (or the dense solver on a
// small M).
void add_coordinates(SpectralEmbedding& e, const SparseMatrixD& a, const VectorD& scale, const ComponentVectors& known,
                     int n, double tol, int max_iter, const Backend* backend) {
  const int m = static_cast<int>(a.rows());
  const int count = known.comps->count;
  const int contrasts = std::min(count - 1, n);
  const int deflated = n - contrasts;
  if (deflated > m - count) return;  // not enough directions orthogonal to the components
  RowMatrixD v(m, n);
  VectorD values(n);
  VectorD w = scale.cwiseInverse();
  w.normalize();
  for (int j = 0; j < contrasts; ++j) {
    VectorD y = VectorD::Zero(m);
    for (Eigen::Index i = 0; i < m; ++i)
      if (known.comps->of[i] == j) y(i) = known.entry(i);
    y -= y.dot(w) * w;
    for (int p = 0; p < j; ++p) y -= y.dot(v.col(p)) * v.col(p);
    v.col(j) = y.normalized();
    values(j) = 1;
  }
  if (deflated > 0) {
    RowMatrixD top;
    if (e.values.size() - count >= deflated) {
      top = e.vectors.middleCols(count, deflated);
      values.tail(deflated) = e.values.segment(count, deflated);
    } else if (lanczos_ncv(deflated) > m) {
      const SpectralEmbedding dense = dense_eigenpairs(a, scale);
      top = dense.vectors.middleCols(count, deflated);
      values.tail(deflated) = dense.values.segment(count, deflated);
    } else {
      const Deflated run = deflated_lanczos(a, scale, known, deflated, tol, max_iter, backend);
      if (!run.converged) return;  // the map is optional: never fail a clustering for it
      top = run.top.vectors;
      values.tail(deflated) = run.top.values;
    }
    VectorD column(m), dots;
    for (int j = 0; j < deflated; ++j) {
      // Exactly orthogonal to the component vectors (Lanczos leaves round-off there; the dense
      // solver's basis of eigenvalue 1 is only orthogonal to working precision).
      column = top.col(j);
      project_out_components(known, column.data(), column.data(), dots);
      v.col(contrasts + j) = column.normalized();
    }
  }
  e.coordinates.resize(m, n);
  for (int c = 0; c < n; ++c) {
    VectorD x = v.col(c).cwiseProduct(scale);  // random walk: x = D^{-1/2} v, so Σ d_i x_i² = 1
    fix_sign(x);
    e.coordinates.col(c) = x;
  }
  e.coordinate_values = values;
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
                                     const Backend* backend, int coordinates) {
  require(affinity.rows() == affinity.cols(), "spectral: affinity is ", affinity.rows(), "×", affinity.cols(),
          ", not square");
  const int m = static_cast<int>(affinity.rows());
  require(k >= 1 && k <= m, "spectral: k = ", k, " must be between 1 and M = ", m);
  require(coordinates >= 0, "spectral: coordinates = ", coordinates, " must not be negative");
  for (Eigen::Index p = 0; p < affinity.nonZeros(); ++p)
    require(std::isfinite(affinity.valuePtr()[p]), "spectral: the affinity has a non-finite entry");
  const SparseMatrixD a = clean_affinity(affinity);
  const VectorD scale = inverse_sqrt_degree(a);
  const Components comps = connected_components(a);
  const ComponentVectors known = component_entries(scale, comps);
  SpectralEmbedding e = top_eigenpairs(a, scale, known, k, tol, max_iter, backend);
  e.components = comps.count;
  if (coordinates > 0) add_coordinates(e, a, scale, known, coordinates, tol, max_iter, backend);
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

Labels cluster_connected(const SparseMatrixD& affinity, const SpectralOptions& o, SpectralEmbedding* out,
                         const RowMatrixF* features) {
  SpectralEmbedding e = spectral_embedding(affinity, o.k, o.tol, o.max_iter, o.backend, o.coordinates);
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

// Rows `keep` of a matrix, and the rest filled with the mean of the kept rows of the same label.
RowMatrixD expand_rows(const RowMatrixD& kept, const std::vector<int>& keep, const Labels& labels, int k) {
  if (kept.rows() == 0) return RowMatrixD();
  const Eigen::Index m = static_cast<Eigen::Index>(labels.size());
  RowMatrixD out(m, kept.cols());
  RowMatrixD mean = RowMatrixD::Zero(k, kept.cols());
  std::vector<int> count(k, 0);
  for (std::size_t r = 0; r < keep.size(); ++r) {
    mean.row(labels[keep[r]]) += kept.row(static_cast<Eigen::Index>(r));
    ++count[labels[keep[r]]];
  }
  for (int c = 0; c < k; ++c)
    if (count[c] > 0) mean.row(c) /= count[c];
  for (Eigen::Index i = 0; i < m; ++i) out.row(i) = mean.row(labels[i]);
  for (std::size_t r = 0; r < keep.size(); ++r) out.row(keep[r]) = kept.row(static_cast<Eigen::Index>(r));
  return out;
}

}  // namespace

Labels spectral_clustering(const SparseMatrixD& affinity, const SpectralOptions& o, SpectralEmbedding* out,
                           const RowMatrixF* features) {
  require(o.min_component_fraction >= 0 && o.min_component_fraction < 1, "spectral: min_component_fraction = ",
          o.min_component_fraction, " must be in [0, 1)");
  const int m = static_cast<int>(affinity.rows());
  if (!features || o.min_component_fraction == 0 || o.k < 2) return cluster_connected(affinity, o, out, features);
  const SparseMatrixD a = clean_affinity(affinity);
  const Components comps = connected_components(a);
  const double min_size = o.min_component_fraction * double(m) / double(o.k);
  int large = 0;  // component ids are ordered by decreasing size
  while (large < comps.count && comps.size[large] >= min_size) ++large;
  std::vector<int> keep;
  for (int i = 0; i < m; ++i)
    if (comps.of[i] < large) keep.push_back(i);
  if (large == comps.count || static_cast<int>(keep.size()) <= o.k) return cluster_connected(affinity, o, out, features);

  // Cluster the large components alone (their subgraph has no edge to the small ones).
  std::vector<int> index(m, -1);
  for (std::size_t r = 0; r < keep.size(); ++r) index[keep[r]] = static_cast<int>(r);
  std::vector<Eigen::Triplet<double, int>> entries;
  for (int i : keep)
    for (SparseMatrixD::InnerIterator it(a, i); it; ++it) entries.emplace_back(index[i], index[it.col()], it.value());
  SparseMatrixD sub(static_cast<int>(keep.size()), static_cast<int>(keep.size()));
  sub.setFromTriplets(entries.begin(), entries.end());
  const RowMatrixF sub_features = select_rows(*features, keep);
  SpectralEmbedding e;
  const Labels sub_labels = cluster_connected(sub, o, &e, &sub_features);

  // Each small component joins the cluster with the most similar mean feature.
  Labels labels(m, -1);
  Eigen::MatrixXd cluster_mean = Eigen::MatrixXd::Zero(o.k, features->cols());
  for (std::size_t r = 0; r < keep.size(); ++r) {
    labels[keep[r]] = sub_labels[r];
    cluster_mean.row(sub_labels[r]) += features->row(keep[r]).cast<double>();
  }
  cluster_mean.rowwise().normalize();
  Eigen::MatrixXd piece_mean = Eigen::MatrixXd::Zero(comps.count, features->cols());
  for (int i = 0; i < m; ++i)
    if (comps.of[i] >= large) piece_mean.row(comps.of[i]) += features->row(i).cast<double>();
  std::vector<int> joins(comps.count, -1);
  for (int c = large; c < comps.count; ++c) {
    Eigen::Index best = 0;
    (cluster_mean * piece_mean.row(c).transpose()).maxCoeff(&best);
    joins[c] = static_cast<int>(best);
  }
  for (int i = 0; i < m; ++i)
    if (labels[i] < 0) labels[i] = joins[comps.of[i]];
  if (out) {
    e.vectors = expand_rows(e.vectors, keep, labels, o.k);
    e.coordinates = expand_rows(e.coordinates, keep, labels, o.k);
    e.components = comps.count;
    *out = std::move(e);
  }
  return labels;
}

}  // namespace vlc
