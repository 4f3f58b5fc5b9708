// §4 of ALGORITHM.md: normalised spectral clustering (Ng–Jordan–Weiss) on a sparse affinity.
#pragma once
#include <cstdint>
#include "vlc/types.hpp"

namespace vlc {

struct SpectralOptions {
  int k = 2;
  int n_init = 10;
  std::uint64_t seed = 0;
  double tol = 1e-8;     // Lanczos tolerance (Spectra scales it by each eigenvalue)
  int max_iter = 3000;   // Lanczos restarts
};

struct SpectralEmbedding {
  VectorD values;        // the k largest eigenvalues of D^{-1/2} Â D^{-1/2}, descending
  RowMatrixD vectors;    // M×k matching eigenvectors (columns)
  int iterations = 0;
};

// The affinity prepared for §4: diagonal and negatives set to zero.
SparseMatrixD clean_affinity(const SparseMatrixD& a);

// Top-k eigenpairs of the normalised affinity (isolated nodes get degree 1). Throws vlc::Error
// when Lanczos does not converge, saying which k and tolerance failed.
SpectralEmbedding spectral_embedding(const SparseMatrixD& affinity, int k, double tol = 1e-8, int max_iter = 3000);

// Row-normalised embedding → k-means → labels 0..k−1.
Labels spectral_clustering(const SparseMatrixD& affinity, const SpectralOptions& options,
                           SpectralEmbedding* embedding = nullptr);

}  // namespace vlc
