// Choosing the number of clusters K when the user gives none (the limitation stated in
// seeds/000… Appendix I; ALGORITHM.md §6). Two rules, both reported as curves so a UI can
// plot them:
//  (a) eigengap: K = argmax_k λ_k − λ_{k+1} over the top eigenvalues of the normalised
//      affinity D^{-1/2} Â D^{-1/2} (§4), k in [kmin, kmax];
//  (b) minimum coding length (seeds/004…, Sec. F, ε² = 0.1): cluster with every candidate K
//      and keep the partition whose lossy coding length is smallest.
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
  KRule rule = KRule::CodingLength;
  double epsilon2 = 0.1;   // ε² of seed 004 Sec. F
  bool both_curves = true; // also compute the curve of the rule not chosen (for plotting)
  int n_init = 10;         // k-means restarts per candidate partition
  std::uint64_t seed = 0;
};

struct KEstimate {
  int k = 0;                          // the chosen K
  KRule rule = KRule::CodingLength;   // the rule that chose it
  std::vector<int> candidates;        // kmin..kmax
  std::vector<double> eigengap;       // λ_k − λ_{k+1} per candidate (empty if not computed)
  std::vector<double> coding_length;  // bits per image per candidate (empty if not computed)
  VectorD eigenvalues;                // top kmax+1 eigenvalues, descending (graph rules)
};

// The candidate range [kmin, kmax] after defaults and clamping to what M allows; throws
// vlc::Error when it is empty.
std::pair<int, int> k_range(int m, int kmin, int kmax);

// Lossy coding length of a partition, in bits per image (seed 004 Sec. F; Ma et al. 2007):
//   L(Π) = Σ_j (n_j / 2n) · log2 det(I + d/(n_j ε²) Z_jᵀ Z_j)   [coding the members]
//        + Σ_j −(n_j / n) · log2(n_j / n)                        [coding the memberships]
// Z_j: the unit rows of images in cluster j. The second term is the partition's cost: the
// entropy of the labels, i.e. the bits of an optimal code telling each image's cluster.
// logdet uses the smaller Gram, d×d or n_j×n_j (Sylvester: det(I + a ZᵀZ) = det(I + a ZZᵀ)).
// Empty clusters contribute nothing.
double coding_length(const RowMatrixF& images, const Labels& labels, int k, double epsilon2 = 0.1);

// Coding-length curve over candidate partitions: partition(K) returns labels 0..K−1.
std::vector<double> coding_length_curve(const RowMatrixF& images, const std::vector<int>& candidates,
                                        const std::function<Labels(int)>& partition, double epsilon2 = 0.1);

// Graph methods: one Lanczos for the top kmax+1 eigenpairs of the affinity; the eigengap curve
// from its values, the coding-length curve from NJW spectral partitions that reuse the first
// K eigenvectors for every candidate K (no recomputation). images: M×d unit rows.
KEstimate estimate_k(const SparseMatrixD& affinity, const RowMatrixF& images, const EstimateKOptions& options);

// Feature methods (k-means, C-matrix): the coding-length rule on k-means partitions of
// `features` (rows), scored on `images`. rule must be CodingLength (no graph, no eigengap).
KEstimate estimate_k_kmeans(const RowMatrixD& features, const RowMatrixF& images, const EstimateKOptions& options);

}  // namespace vlc
