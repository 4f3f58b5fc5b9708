// C-matrix clustering (seeds/002…, Sec. 3.1, Eq. 4–5; docs/method.md §6), training-free: each
// image is re-described by ridge-regressing it on a small set U of candidate nouns,
// C = Z Uᵀ (U Uᵀ + γI)⁻¹, and k-means runs on the rows of C.
#pragma once
#include <cstdint>
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

struct CMatrixOptions {
  int k = 2;                 // clusters (also sets k̃ for the fine-grained centres, §1 step 2)
  int theta = 2;             // θ: nouns per fine-grained centre (seed 002 fixes θ = 2)
  double gamma = 5;          // γ: ridge regulariser (seed 002 fixes γ = 5)
  int filter_restarts = 3;   // spherical k-means restarts for the fine-grained centres
  int n_init = 10;           // k-means restarts on the rows of C
  std::uint64_t seed = 0;
  std::vector<std::uint8_t> allowed;  // optional vocabulary mask (e.g. hierarchy_mask)
};

// Seed 002 Eq. 2 and the θ-selection: every noun goes to its most similar centre; each centre
// keeps the θ most cosine-similar nouns among those assigned to it; the union (ascending
// vocabulary indices) is U. centres: unit rows; nouns: T̄ (unit rows).
std::vector<int> candidate_nouns(const RowMatrixD& centres, const RowMatrixF& nouns, int theta,
                                 const std::vector<std::uint8_t>& allowed = {});

// Seed 002 Eq. 5: C = Z Uᵀ (U Uᵀ + γ I)⁻¹, M×|U|. Solved as (UUᵀ + γI) Cᵀ = U Zᵀ with Eigen's
// LDLT (the system is symmetric positive definite for γ > 0), never an explicit inverse.
RowMatrixD c_matrix(const RowMatrixF& images, const RowMatrixF& candidates, double gamma);

struct CMatrixResult {
  Labels labels;             // M labels 0..k−1
  std::vector<int> nouns;    // U as vocabulary indices
  RowMatrixD c;              // the M×|U| representation
};

// Steps before the k-means: fine-grained centres, U and C (labels left empty). options.k only
// sets k̃ here, so a caller estimating K can build C once (with its largest candidate K).
CMatrixResult cmatrix_representation(const RowMatrixF& images, const RowMatrixF& nouns, const CMatrixOptions& options);

// The whole method. images: M×d unit rows; nouns: T̄, L×d unit rows. The fine-grained
// centres are vlc::filter_nouns's (§1 steps 2–3), so the two methods share one k-means.
CMatrixResult cmatrix_clustering(const RowMatrixF& images, const RowMatrixF& nouns, const CMatrixOptions& options);

}  // namespace vlc
