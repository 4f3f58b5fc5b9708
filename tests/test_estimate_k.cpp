// Automatic K (estimate_k.hpp): coding length against hand-computable cases, the candidate
// range, and recovery of the true K on the synthetic generator through vlc::cluster(k = 0).
#include <catch2/catch.hpp>

#include <Eigen/LU>
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "vlc/cluster.hpp"
#include "vlc/error.hpp"
#include "vlc/estimate_k.hpp"
#include "vlc/metrics.hpp"
#include "vlc/random.hpp"
#include "vlc/synthetic.hpp"

namespace {

// Images per class: enough for a stable graph, few enough that the wasm suite stays fast.
// first_generator: the noise levels of the first generator (9433343) instead of today's
// defaults; its class noun normalise(normalise(mean) + 0.2·noise) is reproduced by
// noun_sharpness = semantic_shift and noun_noise 0.21 ≈ 0.2·‖mean‖.
vlc::SyntheticData synthetic_for(int k, std::uint64_t seed, int per_class, bool first_generator = false) {
  vlc::SyntheticOptions s;
  s.k = k;
  s.m = std::max(240, per_class * k);
  s.vocab = std::max(120, 4 * k);
  s.seed = seed;
  if (first_generator) {
    s.visual_noise = 0.55;
    s.semantic_shift = 0.35;
    s.noun_sharpness = 0.35;
    s.noun_noise = 0.21;
  }
  return vlc::make_synthetic(s);
}

int argmax_of(const std::vector<int>& ks, const std::vector<double>& v) {
  std::size_t best = 0;
  for (std::size_t t = 1; t < v.size(); ++t)
    if (v[t] > v[best]) best = t;
  return ks[best];
}

int argmin_of(const std::vector<int>& ks, const std::vector<double>& v) {
  std::size_t best = 0;
  for (std::size_t t = 1; t < v.size(); ++t)
    if (v[t] < v[best]) best = t;
  return ks[best];
}

TEST_CASE("coding length of one cluster matches the d×d and n×n determinant", "[estimate_k]") {
  // Three unit vectors in R^2, one cluster: L = (1/2) log2 det(I + d/(n ε²) ZᵀZ) + 0 (entropy 0).
  vlc::RowMatrixF z(3, 2);
  z << 1, 0, 0, 1, std::sqrt(0.5f), std::sqrt(0.5f);
  const double eps2 = 0.1, a = 2.0 / (3 * eps2);
  const Eigen::Matrix2d g = z.cast<double>().transpose() * z.cast<double>();
  const double expected = 0.5 * std::log2((Eigen::Matrix2d::Identity() + a * g).determinant());
  CHECK(vlc::coding_length(z, {0, 0, 0}, 1, eps2, false) == Approx(expected).epsilon(1e-12));
  // Ma et al.'s codebook term scales the log det by (n_j + d)/n_j.
  CHECK(vlc::coding_length(z, {0, 0, 0}, 1, eps2, true) == Approx(expected * (3 + 2) / 3.0).epsilon(1e-12));
  // n_j < d takes the n×n Gram (Sylvester); a cluster of one image: det = 1 + (d/ε²)‖z‖²,
  // with ‖z‖² = 1 up to float rounding of √0.5 (hence the 1e-7 tolerance).
  const double two = 2.0 / 3 * 0.5 * std::log2((Eigen::Matrix2d::Identity() + (2.0 / (2 * eps2)) *
                                                                                     (z.topRows(2).cast<double>().transpose() *
                                                                                      z.topRows(2).cast<double>()))
                                                   .determinant()) +
                     1.0 / 3 * 0.5 * std::log2(1 + 2.0 / eps2) - (2.0 / 3 * std::log2(2.0 / 3) + 1.0 / 3 * std::log2(1.0 / 3));
  CHECK(vlc::coding_length(z, {0, 0, 1}, 2, eps2, false) == Approx(two).epsilon(1e-7));
}

TEST_CASE("coding length rejects bad labels", "[estimate_k]") {
  vlc::RowMatrixF z = vlc::RowMatrixF::Identity(3, 3);
  CHECK_THROWS_AS(vlc::coding_length(z, {0, 1}, 2), vlc::Error);
  CHECK_THROWS_AS(vlc::coding_length(z, {0, 1, 2}, 2), vlc::Error);
  CHECK_THROWS_AS(vlc::coding_length(z, {0, -1, 1}, 2), vlc::Error);
  CHECK_THROWS_AS(vlc::coding_length(z, {0, 0, 0}, 1, 0.0), vlc::Error);
}

TEST_CASE("candidate range defaults and errors", "[estimate_k]") {
  CHECK(vlc::k_range(1000, 2, 0) == std::make_pair(2, 50));
  CHECK(vlc::k_range(100, 2, 0) == std::make_pair(2, 20));
  CHECK(vlc::k_range(100, 3, 8) == std::make_pair(3, 8));
  CHECK_THROWS_AS(vlc::k_range(2, 2, 0), vlc::Error);  // K < M leaves nothing for 2 images
  CHECK_THROWS_AS(vlc::k_range(100, 1, 0), vlc::Error);
  CHECK_THROWS_AS(vlc::k_range(100, 10, 5), vlc::Error);
  CHECK(vlc::parse_k_rule("eigengap") == vlc::KRule::Eigengap);
  CHECK(vlc::k_rule_name(vlc::KRule::CodingLength) == "coding-length");
  CHECK_THROWS_AS(vlc::parse_k_rule("gap"), vlc::Error);
}

// Automatic K through vlc::cluster(k = 0) with the default rule (eigengap with the minimum
// cluster size), 6 seeds per K, 40 images per class (M ≥ 240; the benchmark's setting). "Most
// seeds" (issue 7) is asserted as more than half: at least 4 of 6. Measured with
// `vlc_tests "[.k-bench]"` (estimate_k.hpp): 8/8 for every K on seeds 1..8; the plain largest
// gap gets 6/6, 4/6, 5/6, 5/6 on these seeds.
constexpr int kAutoKSeeds = 6;

void check_auto_k(int k) {
  int hits = 0;
  for (std::uint64_t seed = 1; seed <= kAutoKSeeds; ++seed) {
    const vlc::SyntheticData data = synthetic_for(k, seed, 40);
    vlc::Options o;
    o.k = 0;
    o.seed = seed;
    o.name_clusters = false;
    o.k_both_curves = false;  // the coding-length curve is slow and not asserted here
    const vlc::Result r = vlc::cluster(data.images, data.templates, o);
    INFO("K = " << k << ", seed " << seed << ": estimated " << r.k);
    CHECK(r.k_estimate.rule == vlc::KRule::Eigengap);
    CHECK(r.k == r.k_estimate.k);
    CHECK(r.k_estimate.candidates.size() == r.k_estimate.eigengap.size());
    CHECK(r.k_estimate.candidates.size() == r.k_estimate.smallest_cluster.size());
    CHECK(r.k_estimate.coding_length.empty());
    CHECK(r.eigenvalues.size() == r.k);
    CHECK(static_cast<int>(*std::max_element(r.labels.begin(), r.labels.end())) == r.k - 1);
    hits += r.k == k;
  }
  INFO("K = " << k << ": " << hits << " of " << kAutoKSeeds << " seeds exact");
  CHECK(2 * hits > kAutoKSeeds);
}

// Three blocks of 40 and a clique of 3 hanging off block 0 by weak edges: the largest eigengap
// is after λ_4 (the clique's own eigenvalue), so the plain rule says 4; the 4-way partition's
// smallest cluster (3 images) is below a quarter of the mean (123/4), so the rule says 3.
vlc::SparseMatrixD blocks_with_a_handful(double bridge) {
  const int block = 40, handful = 3, m = 3 * block + handful;
  std::vector<Eigen::Triplet<double>> t;
  auto edge = [&](int i, int j, double w) {
    t.emplace_back(i, j, w);
    t.emplace_back(j, i, w);
  };
  vlc::Random rng(7);  // weights in [0.5, 1.5): no repeated eigenvalues inside a block
  for (int b = 0; b < 3; ++b)
    for (int i = 0; i < block; ++i)
      for (int j = i + 1; j < block; ++j) edge(b * block + i, b * block + j, 0.5 + rng.uniform());
  for (int i = 0; i < handful; ++i) {
    for (int j = i + 1; j < handful; ++j) edge(3 * block + i, 3 * block + j, 1.0);
    edge(3 * block + i, i, bridge);  // to block 0
  }
  vlc::SparseMatrixD a(m, m);
  a.setFromTriplets(t.begin(), t.end());
  return a;
}

}  // namespace

TEST_CASE("eigengap skips a K whose partition has a tiny cluster", "[estimate_k]") {
  const vlc::SparseMatrixD a = blocks_with_a_handful(0.3);
  const vlc::RowMatrixF images = vlc::RowMatrixF::Identity(a.rows(), a.rows());  // unused by the eigengap
  vlc::EstimateKOptions o;
  o.kmax = 10;
  o.both_curves = false;
  // The log-scale gap (the default) already prefers 3: 1 − λ_4 = 0.13 is far from 0.
  CHECK(vlc::estimate_k(a, images, o).k == 3);
  o.gap_floor = 0;  // the absolute gap, where the size check does the work
  const vlc::KEstimate e = vlc::estimate_k(a, images, o);
  REQUIRE(e.candidates.front() == 2);
  INFO("eigenvalues " << e.eigenvalues.transpose());
  CHECK(argmax_of(e.candidates, e.eigengap) == 4);  // the plain largest gap: the handful
  CHECK(e.smallest_cluster[4 - 2] == 3);
  CHECK(e.smallest_cluster[3 - 2] >= 40);
  CHECK(e.k == 3);
  CHECK(e.coding_length.empty());
  o.min_cluster_fraction = 0;  // the check off: the largest gap
  CHECK(vlc::estimate_k(a, images, o).k == 4);
  o.min_cluster_fraction = 1;
  CHECK_THROWS_AS(vlc::estimate_k(a, images, o), vlc::Error);
}

TEST_CASE("automatic K finds K = 3 on the synthetic generator", "[estimate_k]") { check_auto_k(3); }
TEST_CASE("automatic K finds K = 6 on the synthetic generator", "[estimate_k]") { check_auto_k(6); }
TEST_CASE("automatic K finds K = 12 on the synthetic generator", "[estimate_k]") { check_auto_k(12); }
TEST_CASE("automatic K finds K = 24 on the synthetic generator", "[estimate_k]") { check_auto_k(24); }

TEST_CASE("automatic K for kmeans and cmatrix uses coding length; both curves on request", "[estimate_k]") {
  vlc::SyntheticOptions s;
  s.k = 4;
  s.m = 200;
  const vlc::SyntheticData data = vlc::make_synthetic(s);
  for (vlc::Method method : {vlc::Method::KMeans, vlc::Method::CMatrix}) {
    vlc::Options o;
    o.k = 0;
    o.kmax = 8;
    o.method = method;
    const vlc::Result r = vlc::cluster(data.images, data.templates, o);
    CHECK(r.k_estimate.rule == vlc::KRule::CodingLength);
    CHECK(r.k_estimate.candidates == std::vector<int>{2, 3, 4, 5, 6, 7, 8});
    CHECK(r.k_estimate.coding_length.size() == 7);
    CHECK(r.k >= 2);
    CHECK(r.k <= 8);
    CHECK(r.names.size() == static_cast<std::size_t>(r.k));
  }
  vlc::Options o;
  o.k = 0;
  o.kmax = 8;
  o.method = vlc::Method::Cosine;
  const vlc::Result r = vlc::cluster(data.images, data.templates, o);
  CHECK(r.k_estimate.eigengap.size() == 7);
  CHECK(r.k_estimate.coding_length.size() == 7);  // k_both_curves defaults to true
  for (double bits : r.k_estimate.coding_length) CHECK(bits > 0);
  CHECK(r.k_estimate.eigenvalues.size() == 9);
  // Bad automatic-K options are vlc::Error.
  o.kmin = 9;
  CHECK_THROWS_AS(vlc::cluster(data.images, data.templates, o), vlc::Error);
  o.kmin = 2;
  o.k = 1;
  CHECK_THROWS_AS(vlc::cluster(data.images, data.templates, o), vlc::Error);
}

// Evidence for the default rule, not part of the normal run: `vlc_tests "[.k-bench]"`
// (estimate_k.hpp quotes its output). Two generator settings: today's defaults (0ea136d: noisy
// images, harder visual pairs) and the first generator's (synthetic_for). For each, three rules on
// one run: the plain largest eigengap, the default eigengap with the minimum cluster size, and
// coding length. VLC_K_BENCH_SEEDS sets the seeds per K (default 8).
TEST_CASE("K rules on the synthetic generator (benchmark)", "[.k-bench]") {
  const char* env = std::getenv("VLC_K_BENCH_SEEDS");
  const int seeds = env ? std::max(1, std::atoi(env)) : 8;
  for (int setting = 0; setting < 2; ++setting) {
    std::printf("generator: %s\n", setting == 0 ? "defaults (0ea136d)" : "first generator's setting (9433343)");
    for (int k : {3, 6, 12, 24}) {
      int plain_hits = 0, gap_hits = 0, cl_hits = 0;
      std::string plain_misses, gap_misses, cl_misses;
      for (std::uint64_t seed = 1; seed <= static_cast<std::uint64_t>(seeds); ++seed) {
        const vlc::SyntheticData data = synthetic_for(k, seed, 40, setting == 1);
        vlc::Options o;
        o.k = 0;
        o.seed = seed;
        o.name_clusters = false;
        const vlc::Result r = vlc::cluster(data.images, data.templates, o);
        const auto& e = r.k_estimate;
        const int plain = argmax_of(e.candidates, e.eigengap);
        const int by_cl = argmin_of(e.candidates, e.coding_length);
        auto tally = [k](int chosen, int& hits, std::string& misses) {
          if (chosen == k) ++hits;
          else misses += " " + std::to_string(chosen);
        };
        tally(plain, plain_hits, plain_misses);
        tally(r.k, gap_hits, gap_misses);
        tally(by_cl, cl_hits, cl_misses);
        std::printf("K=%2d seed=%d M=%d largest gap→%2d eigengap→%2d coding-length→%2d ACC(%d)=%.3f\n", k,
                    static_cast<int>(seed), static_cast<int>(data.images.rows()), plain, r.k, by_cl, r.k,
                    vlc::accuracy(data.truth, r.labels));
        std::fflush(stdout);
      }
      std::printf("K=%2d: largest gap %d/%d%s%s, eigengap %d/%d%s%s, coding length %d/%d%s%s\n", k, plain_hits, seeds,
                  plain_misses.empty() ? "" : " misses:", plain_misses.c_str(), gap_hits, seeds,
                  gap_misses.empty() ? "" : " misses:", gap_misses.c_str(), cl_hits, seeds,
                  cl_misses.empty() ? "" : " misses:", cl_misses.c_str());
    }
  }
}

TEST_CASE("automatic K has a working range on a few images", "[estimate-k]") {
  // min(50, ⌊M/5⌋) is empty below 10 images; the default keeps min(⌊M/2⌋, 9) candidates' worth.
  CHECK(vlc::k_range(3, 0, 0) == std::make_pair(2, 2));
  CHECK(vlc::k_range(5, 0, 0) == std::make_pair(2, 2));
  CHECK(vlc::k_range(9, 0, 0) == std::make_pair(2, 4));
  CHECK(vlc::k_range(19, 0, 0) == std::make_pair(2, 9));
  CHECK(vlc::k_range(20, 0, 0) == std::make_pair(2, 9));
  CHECK(vlc::k_range(60, 0, 0) == std::make_pair(2, 12));
  CHECK(vlc::k_range(1000, 0, 0) == std::make_pair(2, 50));
  CHECK_THROWS_WITH(vlc::k_range(2, 0, 0), Catch::Contains("empty"));
}
