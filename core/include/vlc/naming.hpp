// Naming clusters (seeds/004…, Appendix H, Algorithm 2; docs/method.md §6): every image votes
// with its top-5 cosine scores against the whole vocabulary; a cluster is named by the noun
// with the largest total vote, and the runners-up are reported with their vote shares.
// Two choices beyond seed 004 (NamingOptions): votes are weighted by how distinctive a noun is
// for the cluster (class-based TF-IDF), and names are unique within a result.
#pragma once
#include <cstdint>
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

struct NamingOptions {
  int top = 5;          // seed 004 Alg. 2 line (9): Score4labels[top5]
  int runners_up = 3;   // further candidates returned after the name
  int chunk = 64;       // images per GEMM chunk (memory: chunk×L floats per thread)
  // Optional, L entries: 0 = the noun never names a cluster (it is skipped, and the next
  // scores vote instead). vlc::cluster passes Options::noun_mask (e.g. WordNet hierarchy
  // filtering), so that nouns the user dropped as too generic do not come back as names.
  std::vector<std::uint8_t> allowed;
  // Optional, L entries: each noun's hypernym as a vocabulary row (−1 = none), e.g. WordNet's.
  // Given, the name is the most specific noun that covers at least `cover` of the cluster (the
  // noun or a hyponym of it is in the image's top list; naming.cpp: rank_candidates, why), and
  // the hypernym that out-voted it stays among the runners-up. Empty: the largest vote names
  // the cluster (seed 004).
  // Used only when `distinctive` is off.
  std::vector<int> parent;
  double cover = 0.65;  // measured: bench/README.md (0.5, 0.65, 0.8 on the quality benchmark)
  // Rank each cluster's nouns by class-based TF-IDF (vote × log(1 + A/f_j), naming.cpp:
  // distinctive_weights): the noun this cluster votes for and the others do not. Measured on
  // the quality benchmark (bench/README.md, seeds 0–2, true K): names right 87% coarse, 40%
  // fine-grained, 55% CIFAR-20-like, against 80 / 31 / 48% with the noun tree (cover 0.65);
  // the tree and TF-IDF combined did no better on seeds 0–1. Off: the tree rule above, or the
  // largest vote without a tree (seed 004).
  bool distinctive = true;
  // No two clusters share a name: the one with the larger vote keeps the noun, the other
  // takes its next candidate.
  bool unique = true;
};

struct ClusterName {
  int cluster = 0;             // label 0..K−1
  int size = 0;                // images in the cluster
  std::vector<int> nouns;      // vocabulary indices: the name first, then the runners-up
  std::vector<double> shares;  // each noun's vote ÷ the cluster's total vote (same order)
};

// images: M×d unit rows; nouns: L×d unit rows (T̄ over the WHOLE vocabulary, not only the
// kept nouns); labels: M entries in 0..k−1. Returns k entries, in label order; an empty
// cluster gets size 0 and no nouns. Ties (equal votes) go to the smaller noun index.
// Cost O(M·L·d) in blocked GEMMs, memory O(threads·chunk·L + k·L + M·top).
std::vector<ClusterName> name_clusters(const RowMatrixF& images, const RowMatrixF& nouns, const Labels& labels, int k,
                                       const NamingOptions& options = {});

}  // namespace vlc
