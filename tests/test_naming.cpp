// Cluster naming (naming.hpp, seed 004 Algorithm 2): hand-computed votes, synthetic clusters
// named by their anchor nouns, and input errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <vector>

#include "vlc/cluster.hpp"
#include "vlc/error.hpp"
#include "vlc/naming.hpp"
#include "vlc/noun_filter.hpp"
#include "vlc/synthetic.hpp"

namespace {

// Nouns e0, e1, e2 and (e0+e1)/√2; images e0, e0, e1 in cluster 0 and e2 in cluster 1.
struct HandCase {
  vlc::RowMatrixF nouns = vlc::RowMatrixF(4, 3), images = vlc::RowMatrixF(4, 3);
  float h = std::sqrt(0.5f);
  HandCase() {
    nouns << 1, 0, 0, 0, 1, 0, 0, 0, 1, h, h, 0;
    images << 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1;
  }
};

}  // namespace

TEST_CASE("naming votes with the top scores and reports shares", "[naming]") {
  const HandCase c;
  const auto& nouns = c.nouns;
  const auto& images = c.images;
  const float h = c.h;
  vlc::NamingOptions o;
  o.top = 2;
  o.runners_up = 1;
  const auto names = vlc::name_clusters(images, nouns, {0, 0, 0, 1}, 2, o);
  REQUIRE(names.size() == 2);
  // Cluster 0: image e0 votes 1 for noun 0 and h for noun 3 (twice); e1 votes 1 for noun 1
  // and h for noun 3. Votes: n0 = 2, n1 = 1, n3 = 3h ≈ 2.121; total 3 + 3h.
  CHECK(names[0].size == 3);
  CHECK(names[0].nouns == std::vector<int>{3, 0});
  CHECK(names[0].shares[0] == Approx(3 * h / (3 + 3 * h)).epsilon(1e-6));
  CHECK(names[0].shares[1] == Approx(2 / (3 + 3 * h)).epsilon(1e-6));
  // Cluster 1: e2 votes 1 for noun 2; its second score is a 0-tie, won by the smaller index 0.
  CHECK(names[1].cluster == 1);
  CHECK(names[1].nouns[0] == 2);
  CHECK(names[1].shares[0] == Approx(1.0));
}

TEST_CASE("synthetic clusters are named by their anchor nouns", "[naming]") {
  for (int k : {3, 6}) {
    vlc::SyntheticOptions s;
    s.k = k;
    s.m = 60 * k;
    s.seed = 3;
    const vlc::SyntheticData data = vlc::make_synthetic(s);
    vlc::Options o;
    o.k = k;
    const vlc::Result r = vlc::cluster(data.images, data.templates, o);
    REQUIRE(r.names.size() == static_cast<std::size_t>(k));
    // Map each cluster to its majority class; that class's anchor noun (index c) is the name.
    std::vector<std::map<int, int>> count(k);
    for (std::size_t i = 0; i < r.labels.size(); ++i) ++count[r.labels[i]][data.truth[i]];
    int named = 0;
    for (int c = 0; c < k; ++c) {
      int majority = -1, best = 0;
      for (const auto& [cls, n] : count[c])
        if (n > best) best = n, majority = cls;
      REQUIRE(!r.names[c].nouns.empty());
      INFO("K = " << k << ", cluster " << c << " (majority class " << majority << ") named "
                  << data.words[r.names[c].nouns[0]]);
      CHECK(r.names[c].nouns.size() == 4);  // name + 3 runners-up
      CHECK(r.names[c].shares[0] >= r.names[c].shares[1]);
      named += r.names[c].nouns[0] == majority;
    }
    CHECK(named == k);
  }
}

TEST_CASE("naming with the true labels names every class by its anchor", "[naming]") {
  vlc::SyntheticOptions s;
  s.k = 12;
  s.m = 480;
  const vlc::SyntheticData data = vlc::make_synthetic(s);
  const vlc::RowMatrixF t_bar = vlc::ensemble_nouns(data.templates);
  vlc::NamingOptions o;
  o.chunk = 7;  // uneven chunks must not change anything
  const auto names = vlc::name_clusters(data.images, t_bar, data.truth, 12, o);
  for (int c = 0; c < 12; ++c) CHECK(names[c].nouns[0] == c);
  const auto again = vlc::name_clusters(data.images, t_bar, data.truth, 12);
  // Chunking changes the float GEMM's blocking, hence rounding (visibly so in WASM, where Eigen
  // has no SIMD kernels): the same nouns must win, with shares equal to 1e-6 relative.
  for (int c = 0; c < 12; ++c) {
    CHECK(again[c].nouns == names[c].nouns);
    REQUIRE(again[c].shares.size() == names[c].shares.size());
    for (std::size_t t = 0; t < names[c].shares.size(); ++t)
      CHECK(again[c].shares[t] == Approx(names[c].shares[t]).epsilon(1e-6));
  }
}

TEST_CASE("naming rejects bad input", "[naming]") {
  vlc::RowMatrixF images = vlc::RowMatrixF::Identity(3, 3), nouns = vlc::RowMatrixF::Identity(4, 3);
  CHECK_THROWS_AS(vlc::name_clusters(images, nouns, {0, 1, 2}, 0), vlc::Error);       // no clusters
  CHECK_THROWS_AS(vlc::name_clusters(images, nouns, {0, 1, 2}, 2), vlc::Error);       // label out of range
  CHECK_THROWS_AS(vlc::name_clusters(images, nouns, {0, 1}, 2), vlc::Error);          // label count
  CHECK_THROWS_AS(vlc::name_clusters(images, vlc::RowMatrixF::Identity(4, 2), {0, 1, 1}, 2), vlc::Error);  // d
  CHECK_THROWS_AS(vlc::name_clusters(images, vlc::RowMatrixF(0, 3), {0, 1, 1}, 2), vlc::Error);  // no nouns
  // An empty cluster gets size 0 and no name.
  const auto names = vlc::name_clusters(images, nouns, {0, 0, 2}, 3);
  CHECK(names[1].size == 0);
  CHECK(names[1].nouns.empty());
}

TEST_CASE("a noun mask keeps dropped nouns out of the names; vlc::cluster passes its noun_mask", "[naming]") {
  // The hand-computed case of the first test with noun 3 ((e0+e1)/√2, the winner there) masked:
  // cluster 0's votes fall to n0 = 2 (e0 twice) + n1 = 1, and the second scores move down the list.
  const HandCase c;
  const auto& nouns = c.nouns;
  const auto& images = c.images;
  vlc::NamingOptions o;
  o.top = 2;
  o.runners_up = 3;
  o.allowed = {1, 1, 1, 0};
  const auto names = vlc::name_clusters(images, nouns, {0, 0, 0, 1}, 2, o);
  REQUIRE(names[0].nouns.size() >= 2);
  CHECK(names[0].nouns[0] == 0);
  for (const auto& n : names)
    for (int noun : n.nouns) CHECK(noun != 3);
  o.allowed = {1, 1};
  CHECK_THROWS_WITH(vlc::name_clusters(images, nouns, {0, 0, 0, 1}, 2, o), Catch::Contains("2 entries"));
  o.allowed = {0, 0, 0, 0};
  CHECK_THROWS_WITH(vlc::name_clusters(images, nouns, {0, 0, 0, 1}, 2, o), Catch::Contains("masked out"));

  // Through vlc::cluster: masking each class's anchor noun removes it from every name.
  vlc::SyntheticOptions s;
  s.k = 3;
  s.m = 150;
  s.seed = 4;
  const auto data = vlc::make_synthetic(s);
  vlc::Options co;
  co.k = 3;
  const auto plain = vlc::cluster(data.images, data.templates, co);
  std::vector<int> top_names;
  for (const auto& n : plain.names) top_names.push_back(n.nouns.at(0));
  co.noun_mask.assign(data.templates[0].rows(), 1);
  for (int noun : top_names) co.noun_mask[noun] = 0;
  const auto masked = vlc::cluster(data.images, data.templates, co);
  for (const auto& n : masked.names) {
    REQUIRE(!n.nouns.empty());
    for (int noun : n.nouns) CHECK(co.noun_mask[noun] == 1);
  }
}

TEST_CASE("a hypernym every cluster votes for loses to each cluster's own noun (class-based TF-IDF)", "[naming]") {
  // Nouns 0–2 = e0, e1, e2 (the classes), noun 3 = (e0 + e1 + e2)/√3 (their hypernym). Each image
  // of class c is e_c + 1.2·noun 3 (+ a little of e3): closer to the hypernym (cos 1.78/n) than to
  // its own noun (1.69/n), so the plain vote names one cluster by the hypernym.
  vlc::RowMatrixF nouns = vlc::RowMatrixF::Zero(4, 4);
  const float r3 = 1 / std::sqrt(3.0f);
  nouns(0, 0) = nouns(1, 1) = nouns(2, 2) = 1;
  nouns.row(3) << r3, r3, r3, 0;
  vlc::RowMatrixF images(15, 4);
  vlc::Labels labels;
  for (int i = 0; i < 15; ++i) {
    const int c = i / 5;
    images.row(i) = 1.2f * nouns.row(3);
    images(i, c) += 1;
    images(i, 3) = 0.01f * static_cast<float>(i % 5);
    images.row(i).normalize();
    labels.push_back(c);
  }
  vlc::NamingOptions o;
  o.top = 2;
  const auto distinctive = vlc::name_clusters(images, nouns, labels, 3, o);
  for (int c = 0; c < 3; ++c) CHECK(distinctive[static_cast<std::size_t>(c)].nouns[0] == c);
  o.distinctive = false;  // seed 004's plain vote: the hypernym names the first cluster to claim it
  const auto plain = vlc::name_clusters(images, nouns, labels, 3, o);
  int by_hypernym = 0;
  for (const auto& n : plain) by_hypernym += n.nouns[0] == 3;
  CHECK(by_hypernym == 1);
}
