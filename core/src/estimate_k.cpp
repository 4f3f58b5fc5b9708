#include "vlc/estimate_k.hpp"
#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include "vlc/error.hpp"
#include "vlc/kmeans.hpp"
#include "vlc/parallel.hpp"
#include "vlc/spectral.hpp"

namespace vlc {
namespace {

const std::pair<KRule, const char*> kRuleNames[] = {{KRule::Eigengap, "eigengap"},
                                                     {KRule::CodingLength, "coding-length"}};

// log2 det(I + a G) for a symmetric positive semi-definite Gram G, by Cholesky.
double log2det_identity_plus(const Eigen::MatrixXd& gram, double a) {
  Eigen::MatrixXd x = a * gram;
  x.diagonal().array() += 1.0;
  const Eigen::LLT<Eigen::MatrixXd> llt(x);
  require(llt.info() == Eigen::Success, "coding_length: I + aG is not positive definite (non-finite embeddings?)");
  return 2.0 * llt.matrixLLT().diagonal().array().log().sum() / std::log(2.0);
}

std::vector<int> candidate_list(int kmin, int kmax) {
  std::vector<int> ks;
  for (int k = kmin; k <= kmax; ++k) ks.push_back(k);
  return ks;
}

// The candidate whose curve value is smallest (ties: the smaller K).
int argmin_k(const std::vector<int>& ks, const std::vector<double>& v) {
  std::size_t best = 0;
  for (std::size_t t = 1; t < v.size(); ++t)
    if (v[t] < v[best]) best = t;
  return ks[best];
}

int argmax_k(const std::vector<int>& ks, const std::vector<double>& v) {
  std::size_t best = 0;
  for (std::size_t t = 1; t < v.size(); ++t)
    if (v[t] > v[best]) best = t;
  return ks[best];
}

// NJW rows from the first k eigenvectors: the same projection spectral_clustering applies.
RowMatrixD njw_rows(const RowMatrixD& vectors, int k) {
  RowMatrixD rows = vectors.leftCols(k);
  for (Eigen::Index i = 0; i < rows.rows(); ++i) {
    const double n = rows.row(i).norm();
    if (n > 0) rows.row(i) /= n;
  }
  return rows;
}

Labels kmeans_labels(const RowMatrixD& rows, int k, const EstimateKOptions& o) {
  KMeansOptions km;
  km.k = k;
  km.n_init = o.n_init;
  km.seed = o.seed;
  return kmeans(rows, km).labels;
}

}  // namespace

std::string k_rule_name(KRule rule) {
  for (const auto& [r, name] : kRuleNames)
    if (r == rule) return name;
  fail("unknown K rule enum value ", static_cast<int>(rule));
}

KRule parse_k_rule(const std::string& name) {
  std::string valid;
  for (const auto& [r, text] : kRuleNames) {
    if (name == text) return r;
    valid += valid.empty() ? text : std::string(", ") + text;
  }
  fail("unknown K rule \"", name, "\"; valid rules: ", valid);
}

double gap_score(double lambda_k, double lambda_next, double floor) {
  if (floor <= 0) return lambda_k - lambda_next;
  // The gap between the Laplacian eigenvalues 1 − λ on a log scale (EstimateKOptions::gap_floor: why).
  return std::log(std::max(0.0, 1 - lambda_next) + floor) - std::log(std::max(0.0, 1 - lambda_k) + floor);
}

int default_kmax(int m) { return std::min({50, m - 1, std::max({2, m / 5, std::min(m / 2, 9)})}); }

std::pair<int, int> k_range(int m, int kmin, int kmax) {
  require(m >= 2, "estimate K: need at least 2 images, got ", m);
  require_input(kmin >= 2 || kmin == 0, InputRef::of_option("kmin"), "estimate K: kmin = ", kmin, " must be at least 2");
  require_input(kmax >= 0, InputRef::of_option("kmax"), "estimate K: kmax = ", kmax, " must not be negative (0 means the default)");
  const int lo = std::max(kmin, 2);
  // Default upper end: 50 clusters, and at least 5 images per cluster on average — but never
  // fewer than min(⌊M/2⌋, 9) candidates' worth (⌊M/5⌋ is empty below 10 images, the first
  // thing a person trying "a few photos" meets), and K = 2 for 3 images. Monotone in M. The
  // eigengap needs λ_{kmax+1}, so kmax < M.
  const int hi = kmax > 0 ? std::min(kmax, m - 1) : default_kmax(m);
  require_input(lo <= hi, InputRef::of_option(kmax > 0 ? "kmax" : "kmin"), "estimate K: the candidate range [", lo, ", ", hi, "] is empty for M = ", m,
          " images; give K explicitly or widen kmin/kmax");
  return {lo, hi};
}

int centres_k(int k, int m, int kmin, int kmax) { return k > 0 ? k : k_range(m, kmin, kmax).second; }

double coding_length(const RowMatrixF& images, const Labels& labels, int k, double epsilon2, bool model_cost) {
  require(k >= 1, "coding_length: k = ", k, " must be at least 1");
  require(epsilon2 > 0, "coding_length: epsilon² = ", epsilon2, " must be positive");
  require(labels.size() == static_cast<std::size_t>(images.rows()), "coding_length: ", labels.size(), " labels for ",
          images.rows(), " images");
  const int n = static_cast<int>(images.rows());
  const int d = static_cast<int>(images.cols());
  std::vector<std::vector<int>> members(k);
  for (int i = 0; i < n; ++i) {
    require(labels[i] >= 0 && labels[i] < k, "coding_length: label ", labels[i], " of image ", i, " is outside 0..",
            k - 1);
    members[labels[i]].push_back(i);
  }
  std::vector<double> term(k, 0.0);
  parallel_for(0, k, [&](std::int64_t j) {
    const auto& rows = members[j];
    const int nj = static_cast<int>(rows.size());
    if (nj == 0) return;
    Eigen::MatrixXd zj(nj, d);
    for (int r = 0; r < nj; ++r) zj.row(r) = images.row(rows[r]).cast<double>();
    const double a = d / (nj * epsilon2);
    // Sylvester's determinant identity: use whichever Gram is smaller.
    const Eigen::MatrixXd gram = nj < d ? Eigen::MatrixXd(zj * zj.transpose()) : Eigen::MatrixXd(zj.transpose() * zj);
    const double share = static_cast<double>(nj) / n;
    // Ma et al. 2007: ((n_j + d)/2n) log2 det(…); docs/method.md §6 without the codebook: n_j/2n.
    const double weight = (model_cost ? nj + d : nj) / (2.0 * n);
    term[j] = weight * log2det_identity_plus(gram, a) - share * std::log2(share);  // + label entropy
  });
  double total = 0;
  for (double t : term) total += t;  // serial sum: same value with or without threads
  return total;
}

std::vector<double> coding_length_curve(const RowMatrixF& images, const std::vector<int>& candidates,
                                        const std::function<Labels(int)>& partition, double epsilon2,
                                        bool model_cost) {
  std::vector<double> curve;
  curve.reserve(candidates.size());
  for (int k : candidates) curve.push_back(coding_length(images, partition(k), k, epsilon2, model_cost));
  return curve;
}

KEstimate estimate_k(const SparseMatrixD& affinity, const RowMatrixF& images, const EstimateKOptions& o) {
  require(affinity.rows() == images.rows(), "estimate K: the affinity has ", affinity.rows(), " rows but there are ",
          images.rows(), " images");
  require(o.min_cluster_fraction >= 0 && o.min_cluster_fraction < 1, "estimate K: min_cluster_fraction = ",
          o.min_cluster_fraction, " must be in [0, 1)");
  const int m = static_cast<int>(images.rows());
  const std::pair<int, int> range = k_range(m, o.kmin, o.kmax);  // not a structured binding: the lambda uses kmin
  const int kmin = range.first, kmax = range.second;
  KEstimate e;
  e.rule = o.rule;
  e.candidates = candidate_list(kmin, kmax);
  // One Lanczos run for the largest K (+1 for the last gap); every candidate reuses it.
  const SpectralEmbedding embedding = spectral_embedding(affinity, kmax + 1);
  e.eigenvalues = embedding.values;
  // NJW partition per candidate, computed at most once (the coding-length curve and the
  // eigengap's size check share them).
  std::vector<Labels> partitions(e.candidates.size());
  auto partition = [&](int k) -> const Labels& {
    Labels& labels = partitions[static_cast<std::size_t>(k - kmin)];
    if (labels.empty()) labels = kmeans_labels(njw_rows(embedding.vectors, k), k, o);
    return labels;
  };
  if (o.rule == KRule::Eigengap || o.both_curves)
    for (int k : e.candidates) e.eigengap.push_back(gap_score(embedding.values(k - 1), embedding.values(k), o.gap_floor));
  if (o.rule == KRule::CodingLength || o.both_curves)
    e.coding_length = coding_length_curve(images, e.candidates, partition, o.epsilon2, o.model_cost);
  if (o.rule == KRule::CodingLength) {
    e.k = argmin_k(e.candidates, e.coding_length);
    return e;
  }
  // Eigengap: the candidates by decreasing gap (ties: smaller K first); the first whose
  // partition has no cluster below min_cluster_fraction · M/k wins.
  e.smallest_cluster.assign(e.candidates.size(), -1);
  std::vector<std::size_t> order(e.candidates.size());
  for (std::size_t t = 0; t < order.size(); ++t) order[t] = t;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return e.eigengap[a] > e.eigengap[b]; });
  e.k = e.candidates[order[0]];  // no candidate passes (or no check): the largest gap
  if (o.min_cluster_fraction <= 0) return e;
  for (std::size_t t : order) {
    const int k = e.candidates[t];
    std::vector<int> sizes(static_cast<std::size_t>(k), 0);
    for (int label : partition(k)) ++sizes[static_cast<std::size_t>(label)];
    e.smallest_cluster[t] = *std::min_element(sizes.begin(), sizes.end());
    if (static_cast<double>(e.smallest_cluster[t]) * k >= o.min_cluster_fraction * m) {
      e.k = k;
      break;
    }
  }
  return e;
}

KEstimate estimate_k_kmeans(const RowMatrixD& features, const RowMatrixF& images, const EstimateKOptions& o) {
  require(o.rule == KRule::CodingLength, "estimate K: the ", k_rule_name(o.rule),
          " rule needs a graph; methods without one (kmeans, cmatrix) use coding-length");
  require(features.rows() == images.rows(), "estimate K: ", features.rows(), " feature rows but ", images.rows(),
          " images");
  const auto [kmin, kmax] = k_range(static_cast<int>(images.rows()), o.kmin, o.kmax);
  KEstimate e;
  e.rule = o.rule;
  e.candidates = candidate_list(kmin, kmax);
  e.coding_length = coding_length_curve(images, e.candidates, [&](int k) { return kmeans_labels(features, k, o); },
                                        o.epsilon2, o.model_cost);
  e.k = argmin_k(e.candidates, e.coding_length);
  return e;
}

}  // namespace vlc
