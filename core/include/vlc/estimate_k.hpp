// Choosing the number of clusters K when the user gives none (the limitation stated in
// seeds/000… Appendix I; ALGORITHM.md §6). Two rules, both reported as curves so a UI can
// plot them:
//  (a) eigengap: K = argmax_k λ_k − λ_{k+1} over the top eigenvalues of the normalised
//      affinity D^{-1/2} Â D^{-1/2} (§4), k in [kmin, kmax];
//  (b) minimum coding length (seeds/004…, Sec. F, ε² = 0.1): cluster with every candidate K
//      and keep the partition whose lossy coding length is smallest.
//
// Default rule: eigengap, from the synthetic benchmark (tests/test_estimate_k.cpp,
// `vlc_tests "[.k-bench]"`: vlc::cluster(k = 0), ntk-rad, make_synthetic with 40 images per
// class (M ≥ 240), candidates 2..min(50, M/5)):
//   generator of 9433343, 8 seeds per K:  eigengap found K in 8/8, 8/8, 8/8, 7/8 seeds for
//     K = 3, 6, 12, 24 (the miss: 25); coding length in ALGORITHM.md's n_j/2n form 0/32
//     (it chose 47–50 every time, see coding_length).
//   generator of 0ea136d (harder visual pairs), 4 seeds per K: eigengap 4/4, 2/4 (7, 7),
//     3/4 (14), 3/4 (28); coding length in Ma et al.'s (n_j + d)/2n form 0/16 (it chose 2 every
//     time: the codebook cost d/2n·log det per cluster outweighs the semantic split of a visual
//     pair, so it only sees the coarsest grouping).
// So the eigengap, which reads the structure the NTK/RAD graph already encodes, is the
// default; coding length stays available (and is the only rule for kmeans/cmatrix, which have
// no graph) and its curve is still worth plotting.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

enum class KRule {
  Eigengap,      // "eigengap"
  CodingLength,  // "coding-length"
};

std::string k_rule_name(KRule rule);
KRule parse_k_rule(const std::string& name);  // throws vlc::Error listing the valid names

struct EstimateKOptions {
  int kmin = 2;
  int kmax = 0;            // 0: min(50, ⌊M/5⌋)
  KRule rule = KRule::Eigengap;  // see the evidence above
  double epsilon2 = 0.1;   // ε² of seed 004 Sec. F
  bool model_cost = true;  // coding_length's (n_j + d) form; false: ALGORITHM.md's n_j form
  // Eigengap rule: a candidate K whose NJW partition has a cluster smaller than this fraction
  // of the mean cluster size M/K is skipped (a weakly attached handful of images, not a
  // class; see above). 0 = the plain largest gap.
  double min_cluster_fraction = 0.25;
  // Also compute the curve of the rule not chosen, for plotting. The coding-length curve costs
  // one k-means (n_init restarts) per candidate; the eigengap curve is free.
  bool both_curves = true;
  int n_init = 10;         // k-means restarts per candidate partition
  std::uint64_t seed = 0;
};

struct KEstimate {
  int k = 0;                          // the chosen K
  KRule rule = KRule::Eigengap;       // the rule that chose it
  std::vector<int> candidates;        // kmin..kmax
  std::vector<double> eigengap;       // λ_k − λ_{k+1} per candidate (empty if not computed)
  std::vector<double> coding_length;  // bits per image per candidate (empty if not computed)
  // Eigengap rule: the smallest cluster of each candidate's NJW partition, for the candidates
  // the size check looked at (in decreasing order of gap, up to the chosen one); −1 elsewhere.
  std::vector<int> smallest_cluster;
  VectorD eigenvalues;                // top kmax+1 eigenvalues, descending (graph rules)
};

// The candidate range [kmin, kmax] after defaults and clamping to what M allows; throws
// vlc::Error when it is empty.
std::pair<int, int> k_range(int m, int kmin, int kmax);

// Lossy coding length of a partition, in bits per image (seed 004 Sec. F; its source, Ma et
// al. 2007, "Segmentation of multivariate mixed data via lossy data coding and compression"):
//   L(Π) = Σ_j ((n_j + d) / 2n) · log2 det(I + d/(n_j ε²) Z_jᵀ Z_j)  [members + codebook]
//        + Σ_j −(n_j / n) · log2(n_j / n)                            [the partition's cost]
// Z_j: the unit rows of images in cluster j. The partition's cost is the entropy of the
// labels: the bits of an optimal code telling each image's cluster. With model_cost = false
// the first factor is ALGORITHM.md §6's n_j / 2n (no codebook term, the MCR² form). That form
// has no price per cluster: a cluster of n_j < d images has rank ≤ n_j, so splitting always
// shortens it and the minimum sits at kmax (on the synthetic benchmark it chose 47–50 for
// every true K in {3, 6, 12, 24}, 0/32 right). Ma et al.'s d/2n · log det term is the cost of
// coding each cluster's own basis, which is what makes the minimum meaningful.
// logdet uses the smaller Gram, d×d or n_j×n_j (Sylvester: det(I + a ZᵀZ) = det(I + a ZZᵀ)).
// Empty clusters contribute nothing.
double coding_length(const RowMatrixF& images, const Labels& labels, int k, double epsilon2 = 0.1,
                     bool model_cost = true);

// Coding-length curve over candidate partitions: partition(K) returns labels 0..K−1.
std::vector<double> coding_length_curve(const RowMatrixF& images, const std::vector<int>& candidates,
                                        const std::function<Labels(int)>& partition, double epsilon2 = 0.1,
                                        bool model_cost = true);

// Graph methods: one Lanczos for the top kmax+1 eigenpairs of the affinity; the eigengap curve
// from its values, the coding-length curve from NJW spectral partitions that reuse the first
// K eigenvectors for every candidate K (no recomputation). images: M×d unit rows.
KEstimate estimate_k(const SparseMatrixD& affinity, const RowMatrixF& images, const EstimateKOptions& options);

// Feature methods (k-means, C-matrix): the coding-length rule on k-means partitions of
// `features` (rows), scored on `images`. rule must be CodingLength (no graph, no eigengap).
KEstimate estimate_k_kmeans(const RowMatrixD& features, const RowMatrixF& images, const EstimateKOptions& options);

}  // namespace vlc
