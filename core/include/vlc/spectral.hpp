// §4 of docs/method.md: normalised spectral clustering (Ng–Jordan–Weiss) on a sparse affinity.
#pragma once
#include <cstdint>
#include "vlc/types.hpp"

namespace vlc {

class Backend;

struct SpectralOptions {
  int k = 2;
  int n_init = 10;
  std::uint64_t seed = 0;
  double tol = 1e-8;     // Lanczos tolerance (Spectra scales it by each eigenvalue)
  int max_iter = 3000;   // Lanczos restarts
  const Backend* backend = nullptr;  // runs the Lanczos mat-vec (backend.hpp); null = CPU
  int coordinates = 0;   // also compute SpectralEmbedding::coordinates with this many columns
  // Components smaller than this fraction of the mean cluster size M/k never become clusters
  // of their own: they join the most similar cluster (spectral_clustering). 0 = every
  // component is eligible (the exact treatment). Why: on CLIP-like data a third or more of
  // the images have no mutual neighbour, so §2's isolated-node rule leaves pieces of 1–12
  // images; each piece is an exact eigenvalue 1 and took a cluster of its own (on the
  // CLIP-faithful ImageNet-Dogs-like set ntk-single returned pieces of 12, 5, 5 and ten of 2
  // images as clusters). Same fraction as the automatic-K size check.
  double min_component_fraction = 0.25;
};

struct SpectralEmbedding {
  VectorD values;        // the k largest eigenvalues of D^{-1/2} Â D^{-1/2}, descending
  RowMatrixD vectors;    // M×k matching eigenvectors (columns)
  int iterations = 0;
  int components = 0;    // connected components of the affinity (each gives an eigenvalue 1)
  // Only when asked for (`coordinates` = n > 0): M×n spectral coordinates for a map, the
  // eigenvectors v of the normalised affinity after the trivial one, by decreasing eigenvalue,
  // as x = D^{-1/2} v (so Σ d_i x_i² = 1), the largest-magnitude entry positive. "Trivial" is
  // the constant direction D^{1/2}1 only: on a disconnected graph the next eigenvalue-1
  // directions tell the components apart (the largest components first, Gram–Schmidt, as the
  // eigenvalue is repeated), then come the top eigenvectors orthogonal to every component.
  // coordinate_values are their eigenvalues. Empty when the graph has too few directions
  // (M − components < n − (components − 1)) or the extra Lanczos run did not converge.
  RowMatrixD coordinates;
  VectorD coordinate_values;
};

// The affinity prepared for §4: diagonal and negatives set to zero.
SparseMatrixD clean_affinity(const SparseMatrixD& a);

// Top-k eigenpairs of the normalised affinity. Each connected component contributes an exact
// eigenvalue 1 (an isolated node counts as a component with a self-loop); those eigenvectors
// are formed directly and Lanczos runs on the deflated rest, since it cannot resolve repeated
// eigenvalues. Throws vlc::Error when Lanczos does not converge, saying which k and tolerance failed.
// `backend` runs the operator's sparse mat-vec (null = CPU).
// coordinates = n > 0 also fills SpectralEmbedding::coordinates. The eigenvectors below
// eigenvalue 1 it needs are the top-k computation's own when it has them; otherwise one more
// deflated Lanczos run computes just the missing ones, so the top-k pairs (and the labels) are
// those of coordinates = 0, bit for bit.
SpectralEmbedding spectral_embedding(const SparseMatrixD& affinity, int k, double tol = 1e-8, int max_iter = 3000,
                                     const Backend* backend = nullptr, int coordinates = 0);

// Row-normalised embedding → k-means → labels 0..k−1.
// With features, components below min_component_fraction·M/k nodes are set aside: the rest
// is clustered, then each small component joins the cluster whose mean feature row is most
// cosine-similar to the component's mean (its rows of the embedding are that cluster's mean).
// When the graph (or the rest) has more components than k, the k largest components become the clusters
// and every node of a smaller component joins the cluster whose mean feature row is most
// cosine-similar to its component's mean (features: the unit image embeddings). Without
// features that case is an error.
Labels spectral_clustering(const SparseMatrixD& affinity, const SpectralOptions& options,
                           SpectralEmbedding* embedding = nullptr, const RowMatrixF* features = nullptr);

}  // namespace vlc
