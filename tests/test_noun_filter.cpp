// §1 (positive-noun filtering, vlc/noun_filter.hpp) on its own: k̃, the assignment of nouns to
// the fine centres and the per-centre selection, checked against a recomputation from the
// returned centres, plus the mask and the errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>
#include "support/dense_reference.hpp"
#include "vlc/error.hpp"
#include "vlc/noun_filter.hpp"
#include "vlc/random.hpp"

namespace {

using vlc::RowMatrixF;

// `groups` clusters of images around random unit directions (spread 0.3 per coordinate / √d),
// and a vocabulary holding each direction (nouns 0..groups−1) plus `extra` random nouns.
struct Grouped {
  RowMatrixF images, nouns;
};

Grouped grouped(int groups, int per_group, int extra, int d, std::uint64_t seed) {
  const RowMatrixF dirs = vlc::ref::random_unit_rows(groups, d, seed);
  vlc::Random rng(seed + 1);
  Grouped g;
  g.images.resize(groups * per_group, d);
  for (int c = 0; c < groups; ++c)
    for (int i = 0; i < per_group; ++i) {
      auto row = g.images.row(c * per_group + i);
      for (int j = 0; j < d; ++j) row(j) = dirs(c, j) + static_cast<float>(0.3 * rng.normal() / std::sqrt(d));
      row.normalize();
    }
  g.nouns.resize(groups + extra, d);
  g.nouns.topRows(groups) = dirs;
  g.nouns.bottomRows(extra) = vlc::ref::random_unit_rows(extra, d, seed + 2);
  return g;
}

// Steps 4–5 of §1 recomputed from the centres: each noun's centre a(l) = argmax_r c_r·T̄_l with
// confidence softmax_r(c_r·T̄_l) at a(l); each centre keeps its `per_centre` most confident nouns.
std::vector<int> kept_from_centres(const vlc::RowMatrixD& centres, const RowMatrixF& nouns, int per_centre,
                                   const std::vector<std::uint8_t>& allowed) {
  const int r = static_cast<int>(centres.rows()), l = static_cast<int>(nouns.rows());
  std::vector<std::vector<std::pair<double, int>>> by_centre(r);
  for (int j = 0; j < l; ++j) {
    if (!allowed.empty() && !allowed[j]) continue;
    std::vector<double> logit(r);
    for (int c = 0; c < r; ++c) logit[c] = centres.row(c).dot(nouns.row(j).cast<double>());
    const int best = static_cast<int>(std::max_element(logit.begin(), logit.end()) - logit.begin());
    double denom = 0;
    for (double v : logit) denom += std::exp(v - logit[best]);
    by_centre[best].push_back({-1.0 / denom, j});  // most confident first, ties to the smaller index
  }
  std::set<int> kept;
  for (auto& list : by_centre) {
    std::sort(list.begin(), list.end());
    for (int t = 0; t < std::min<int>(per_centre, static_cast<int>(list.size())); ++t) kept.insert(list[t].second);
  }
  return {kept.begin(), kept.end()};
}

}  // namespace

TEST_CASE("noun filter: k̃ = min(M, max(⌈M/300⌉, 3K))", "[noun_filter]") {
  CHECK(vlc::fine_centre_count(1500, 10) == 30);
  CHECK(vlc::fine_centre_count(100000, 10) == 334);
  CHECK(vlc::fine_centre_count(300, 1) == 3);
  CHECK(vlc::fine_centre_count(301, 0) == 2);
  CHECK(vlc::fine_centre_count(20, 10) == 20);
}

TEST_CASE("noun filter: the kept set is the per-centre selection of the returned centres", "[noun_filter]") {
  const Grouped g = grouped(4, 30, 200, 32, 11);
  vlc::NounFilterOptions o;
  o.k = 4;
  o.seed = 3;
  const vlc::NounFilterResult r = vlc::filter_nouns(g.images, g.nouns, o);
  REQUIRE(r.centres.rows() == 12);  // k̃ = 3K = 12 for M = 120
  REQUIRE(r.fine_labels.size() == 120);
  for (Eigen::Index c = 0; c < r.centres.rows(); ++c) CHECK(r.centres.row(c).norm() == Approx(1.0).margin(1e-9));
  CHECK(std::is_sorted(r.kept.begin(), r.kept.end()));
  CHECK(std::adjacent_find(r.kept.begin(), r.kept.end()) == r.kept.end());
  CHECK(r.kept.size() <= static_cast<std::size_t>(r.centres.rows() * o.per_centre));
  CHECK(r.kept == kept_from_centres(r.centres, g.nouns, o.per_centre, {}));
  // Every group's own direction is the most confident noun of the centres in its group.
  for (int c = 0; c < 4; ++c) CHECK(std::binary_search(r.kept.begin(), r.kept.end(), c));
  // The same seed gives the same set; per_centre = 1 keeps at most one noun per centre.
  CHECK(vlc::filter_nouns(g.images, g.nouns, o).kept == r.kept);
  o.per_centre = 1;
  const vlc::NounFilterResult one = vlc::filter_nouns(g.images, g.nouns, o);
  CHECK(one.kept.size() <= 12);
  CHECK(one.kept == kept_from_centres(one.centres, g.nouns, 1, {}));
}

TEST_CASE("noun filter: masked nouns are never kept, and the others move up", "[noun_filter]") {
  const Grouped g = grouped(3, 20, 60, 16, 5);
  vlc::NounFilterOptions o;
  o.k = 3;
  o.allowed.assign(static_cast<std::size_t>(g.nouns.rows()), 1);
  o.allowed[0] = o.allowed[1] = 0;  // two groups' own directions
  const vlc::NounFilterResult r = vlc::filter_nouns(g.images, g.nouns, o);
  CHECK_FALSE(std::binary_search(r.kept.begin(), r.kept.end(), 0));
  CHECK_FALSE(std::binary_search(r.kept.begin(), r.kept.end(), 1));
  CHECK(std::binary_search(r.kept.begin(), r.kept.end(), 2));
  CHECK(r.kept == kept_from_centres(r.centres, g.nouns, o.per_centre, o.allowed));

  o.allowed.assign(static_cast<std::size_t>(g.nouns.rows()), 0);
  CHECK_THROWS_WITH(vlc::filter_nouns(g.images, g.nouns, o), Catch::Contains("no noun was kept"));
  o.allowed.assign(5, 1);
  CHECK_THROWS_WITH(vlc::filter_nouns(g.images, g.nouns, o), Catch::Contains("noun mask has 5 entries but the vocabulary has 63"));
}

TEST_CASE("noun filter: shape errors name both sides; T̄ is the normalised template mean", "[noun_filter]") {
  const Grouped g = grouped(2, 10, 5, 8, 2);
  vlc::NounFilterOptions o;
  const RowMatrixF wrong = vlc::ref::random_unit_rows(7, 9, 1);
  CHECK_THROWS_WITH(vlc::filter_nouns(g.images, wrong, o), Catch::Contains("images have dimension 8 but nouns have 9"));
  CHECK_THROWS_WITH(vlc::filter_nouns(g.images, RowMatrixF(0, 8), o), Catch::Contains("the vocabulary is empty"));

  const RowMatrixF a = vlc::ref::random_unit_rows(4, 8, 7), b = vlc::ref::random_unit_rows(4, 8, 8);
  const RowMatrixF mean = vlc::ensemble_nouns({a, b});
  for (int l = 0; l < 4; ++l) {
    const Eigen::RowVectorXf expect = (a.row(l) + b.row(l)).normalized();
    CHECK((mean.row(l) - expect).norm() == Approx(0).margin(1e-6));
  }
  RowMatrixF opposite = a;
  opposite.row(2) = -a.row(2);
  CHECK_THROWS_WITH(vlc::ensemble_nouns({a, opposite}), Catch::Contains("noun 2 averages to zero"));
  CHECK_THROWS_WITH(vlc::ensemble_nouns({}), Catch::Contains("no templates"));
}
