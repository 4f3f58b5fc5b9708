// §1 of docs/method.md: positive-noun filtering (TAC).
#pragma once
#include <cstdint>
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

// T̄ = rownormalise((1/B) Σ_b T^(b)); rows of each T^(b) must already be unit length.
RowMatrixF ensemble_nouns(const std::vector<RowMatrixF>& templates);

// k̃ = min(M, max(⌈M/300⌉, 3K)).
int fine_centre_count(int m, int k);

struct NounFilterOptions {
  int k = 2;                    // the clustering's K (sets k̃)
  int per_centre = 5;           // nouns kept per centre
  int restarts = 3;             // spherical k-means restarts
  int max_iter = 100;
  std::uint64_t seed = 0;
  // Optional mask over the vocabulary (e.g. WordNet hierarchy filtering): false = never kept.
  std::vector<std::uint8_t> allowed;
};

struct NounFilterResult {
  std::vector<int> kept;        // vocabulary indices of P, ascending
  RowMatrixD centres;           // k̃'×d unit centres (empty ones dropped)
  Labels fine_labels;           // image → centre
};

// images and nouns: unit rows. nouns is T̄ (L×d).
NounFilterResult filter_nouns(const RowMatrixF& images, const RowMatrixF& nouns, const NounFilterOptions& options);

// Rows `kept` of a matrix, in order.
RowMatrixF select_rows(const RowMatrixF& x, const std::vector<int>& rows);

}  // namespace vlc
