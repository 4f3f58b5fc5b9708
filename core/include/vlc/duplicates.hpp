// Exact and near-duplicate images (burst shots, copies): found before clustering, clustered
// once, reported as groups. Why: a duplicate pair is each other's best neighbour in every
// graph, so copies form tight cliques that become components and eigenvalues of their own; on
// the CLIP-like synthetic data 10% duplicated images moved automatic K from 4 to 21.
#pragma once
#include <cstdint>
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

struct DuplicateOptions {
  // Two images are near-duplicates when their embeddings' cosine is at least this. 0.98:
  // re-encoded or resized copies of one photo score ≥ 0.99 with CLIP ViT-B/32, two photos of
  // one scene a second apart ≈ 0.95–0.98, different photos of one class ≈ 0.6–0.8.
  double cosine = 0.98;
  // Candidate pairs come from random-hyperplane hashing (SimHash) of the centred embeddings:
  // `tables` hash tables of `bits` bits; a pair is checked exactly when it shares a bucket in
  // any table. Exact copies always share every bucket. A pair at the threshold (centred cosine
  // ≈ 0.96, so 0.91 per bit) is a candidate with probability 1 − (1 − 0.91^12)^16 ≈ 0.998.
  int tables = 16;
  int bits = 12;
  std::uint64_t seed = 0;
};

struct Duplicates {
  std::vector<int> representative;      // per image: its group's first (smallest) index; itself if unique
  std::vector<int> unique;              // the representatives, ascending: the images clustered
  std::vector<std::vector<int>> groups; // groups of ≥ 2 images, each ascending, by first index
};

// images: M×d unit rows. Groups are connected components of the "cosine ≥ threshold" pairs
// (so a chain a~b~c is one group even if a·c is below the threshold). Cost O(M·d·tables·bits)
// to hash plus the exact checks within buckets; memory O(M·tables).
Duplicates find_duplicates(const RowMatrixF& images, const DuplicateOptions& options = {});

}  // namespace vlc
