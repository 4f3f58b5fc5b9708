// Automatic K (estimate_k.hpp): coding length against hand-computable cases, the candidate
// range, and recovery of the true K on the synthetic generator through vlc::cluster(k = 0).
#include <catch2/catch.hpp>

#include <Eigen/LU>
#include <cmath>
#include <cstdio>
#include <vector>

#include "vlc/cluster.hpp"
#include "vlc/error.hpp"
#include "vlc/estimate_k.hpp"
#include "vlc/metrics.hpp"
#include "vlc/synthetic.hpp"

namespace {

// Images per class: enough for a stable graph, few enough that the wasm suite stays fast.
vlc::SyntheticData synthetic_for(int k, std::uint64_t seed, int per_class) {
  vlc::SyntheticOptions s;
  s.k = k;
  s.m = std::max(240, per_class * k);
  s.vocab = std::max(120, 4 * k);
  s.seed = seed;
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

}  // namespace

TEST_CASE("coding length of one cluster matches the d×d and n×n determinant", "[estimate_k]") {
  // Three unit vectors in R^2, one cluster: L = (1/2) log2 det(I + d/(n ε²) ZᵀZ) + 0 (entropy 0).
  vlc::RowMatrixF z(3, 2);
  z << 1, 0, 0, 1, std::sqrt(0.5f), std::sqrt(0.5f);
  const double eps2 = 0.1, a = 2.0 / (3 * eps2);
  const Eigen::Matrix2d g = z.cast<double>().transpose() * z.cast<double>();
  const double expected = 0.5 * std::log2((Eigen::Matrix2d::Identity() + a * g).determinant());
  CHECK(vlc::coding_length(z, {0, 0, 0}, 1, eps2) == Approx(expected).epsilon(1e-12));
  // n_j < d takes the n×n Gram (Sylvester); a cluster of one image: det = 1 + (d/ε²)‖z‖²,
  // with ‖z‖² = 1 up to float rounding of √0.5 (hence the 1e-7 tolerance).
  const double two = 2.0 / 3 * 0.5 * std::log2((Eigen::Matrix2d::Identity() + (2.0 / (2 * eps2)) *
                                                                                     (z.topRows(2).cast<double>().transpose() *
                                                                                      z.topRows(2).cast<double>()))
                                                   .determinant()) +
                     1.0 / 3 * 0.5 * std::log2(1 + 2.0 / eps2) - (2.0 / 3 * std::log2(2.0 / 3) + 1.0 / 3 * std::log2(1.0 / 3));
  CHECK(vlc::coding_length(z, {0, 0, 1}, 2, eps2) == Approx(two).epsilon(1e-7));
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
  CHECK_THROWS_AS(vlc::k_range(9, 2, 0), vlc::Error);  // ⌊9/5⌋ = 1 < 2
  CHECK_THROWS_AS(vlc::k_range(100, 1, 0), vlc::Error);
  CHECK_THROWS_AS(vlc::k_range(100, 10, 5), vlc::Error);
  CHECK(vlc::parse_k_rule("eigengap") == vlc::KRule::Eigengap);
  CHECK(vlc::k_rule_name(vlc::KRule::CodingLength) == "coding-length");
  CHECK_THROWS_AS(vlc::parse_k_rule("gap"), vlc::Error);
}

// Evidence for the default rule, not part of the normal run: `vlc_tests "[.k-bench]"`.
TEST_CASE("K rules on the synthetic generator (benchmark)", "[.k-bench]") {
  for (int k : {3, 6, 12, 24}) {
    int gap_hits = 0, cl_hits = 0, seeds = 8;
    for (std::uint64_t seed = 1; seed <= static_cast<std::uint64_t>(seeds); ++seed) {
      const vlc::SyntheticData data = synthetic_for(k, seed, 40);
      vlc::Options o;
      o.k = 0;
      o.seed = seed;
      o.name_clusters = false;
      const vlc::Result r = vlc::cluster(data.images, data.templates, o);
      const auto& e = r.k_estimate;
      const int by_gap = argmax_of(e.candidates, e.eigengap);
      const int by_cl = argmin_of(e.candidates, e.coding_length);
      gap_hits += by_gap == k;
      cl_hits += by_cl == k;
      std::printf("K=%2d seed=%d M=%d eigengap→%2d coding-length→%2d ACC(%d)=%.3f\n", k, static_cast<int>(seed),
                  static_cast<int>(data.images.rows()), by_gap, by_cl, r.k, vlc::accuracy(data.truth, r.labels));
    }
    std::printf("K=%2d: eigengap %d/%d, coding length %d/%d\n", k, gap_hits, seeds, cl_hits, seeds);
  }
}
