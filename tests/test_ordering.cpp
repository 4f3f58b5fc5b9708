// ordering.hpp: the reverse Cuthill–McKee numbering RAD iterates in, and that RAD's result
// does not depend on it beyond rounding.
#include <catch2/catch.hpp>
#include <algorithm>
#include <numeric>
#include "vlc/ntk.hpp"
#include "vlc/ordering.hpp"
#include "vlc/rad.hpp"
#include "vlc/random.hpp"
#include "vlc/synthetic.hpp"

namespace {

// A band matrix (|i − j| ≤ half_width) with its nodes shuffled: RCM must recover a narrow band.
vlc::SparseMatrixD shuffled_band(int m, int half_width, std::uint64_t seed, std::vector<int>* shuffle) {
  std::vector<int> to(m);
  std::iota(to.begin(), to.end(), 0);
  vlc::Random rng(seed);
  for (int i = m - 1; i > 0; --i) std::swap(to[i], to[rng.below(i + 1)]);
  std::vector<Eigen::Triplet<double, int>> t;
  for (int i = 0; i < m; ++i)
    for (int j = std::max(0, i - half_width); j <= std::min(m - 1, i + half_width); ++j)
      if (i != j) t.emplace_back(to[i], to[j], 1.0 + 0.01 * (i + j));
  vlc::SparseMatrixD a(m, m);
  a.setFromTriplets(t.begin(), t.end());
  a.makeCompressed();
  *shuffle = to;
  return a;
}

}  // namespace

TEST_CASE("reverse Cuthill–McKee is a permutation that recovers a shuffled band", "[ordering]") {
  std::vector<int> shuffle;
  const vlc::SparseMatrixD a = shuffled_band(500, 3, 7, &shuffle);
  const std::vector<int> order = vlc::reverse_cuthill_mckee(a);
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> identity(500);
  std::iota(identity.begin(), identity.end(), 0);
  REQUIRE(sorted == identity);
  std::vector<int> input_order(identity);
  CHECK(vlc::bandwidth(a, input_order) > 100);  // the shuffle spread the band
  // A band of half-width w is recovered to within a factor 2 by breadth-first numbering.
  CHECK(vlc::bandwidth(a, order) <= 6);
  REQUIRE(vlc::reverse_cuthill_mckee(a) == order);  // deterministic
}

TEST_CASE("permute_symmetric moves entries and its inverse restores the matrix", "[ordering]") {
  std::vector<int> shuffle;
  const vlc::SparseMatrixD a = shuffled_band(60, 2, 3, &shuffle);
  const std::vector<int> order = vlc::reverse_cuthill_mckee(a);
  const vlc::SparseMatrixD b = vlc::permute_symmetric(a, order);
  REQUIRE(b.nonZeros() == a.nonZeros());
  for (int i = 0; i < 60; ++i)
    for (vlc::SparseMatrixD::InnerIterator it(a, i); it; ++it)
      REQUIRE(b.coeff(order[i], order[it.col()]) == it.value());
  std::vector<int> inverse(60);
  for (int i = 0; i < 60; ++i) inverse[order[i]] = i;
  REQUIRE((vlc::SparseMatrixD(vlc::permute_symmetric(b, inverse) - a)).norm() == 0.0);
  REQUIRE_THROWS_WITH(vlc::permute_symmetric(a, std::vector<int>(59)), Catch::Contains("59 entries"));
}

TEST_CASE("RAD gives the same affinity and weights with and without the RCM numbering", "[ordering][rad]") {
  vlc::SyntheticOptions so;
  so.m = 300;
  so.k = 4;
  so.d = 24;
  so.vocab = 30;
  so.templates = 3;
  so.template_noise = 0.4;
  so.seed = 9;
  const auto data = vlc::make_synthetic(so);
  vlc::NtkOptions no;
  no.q = 10;
  std::vector<vlc::SparseMatrixD> graphs;
  for (const auto& t : data.templates) graphs.push_back(vlc::ntk_affinity(data.images, t, no));
  vlc::RadOptions plain;
  plain.reorder = false;
  vlc::RadOptions reordered;
  const vlc::RadResult a = vlc::rad(graphs, plain);
  const vlc::RadResult b = vlc::rad(graphs, reordered);
  // Only the order of the sums differs: agreement to rounding (tolerance 1e-10 absolute, Â
  // entries are O(1)), and the same number of steps.
  REQUIRE(a.inner_iterations == b.inner_iterations);
  REQUIRE(a.affinity.nonZeros() == b.affinity.nonZeros());
  REQUIRE(vlc::SparseMatrixD(a.affinity - b.affinity).coeffs().cwiseAbs().maxCoeff() <= 1e-10);
  REQUIRE((a.beta - b.beta).cwiseAbs().maxCoeff() <= 1e-10);
}
