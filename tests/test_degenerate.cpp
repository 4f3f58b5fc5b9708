// Degenerate data (issue 9): each case has a decided, documented outcome (docs/bad-input.md).
//  - all images identical                → vlc::Error "all M images have the same embedding"
//  - fewer distinct images than K        → vlc::Error "only D distinct embeddings ... lower k"
//  - duplicates (but ≥ K distinct)       → valid labels; an image and its copy get the same label
//  - automatic K over U < 10 distinct      → candidates stop at U (the copies are not merged)
//  - more graph components than K        → the K largest components are the clusters, each smaller
//                                          component joins the nearest (spectral.hpp); every
//                                          component stays whole
//  - d = 1                               → unit rows are ±1, so at most 2 distinct directions:
//                                          K = 2 splits by sign, K > 2 is the "only 2 distinct" error
#include <catch2/catch.hpp>
#include <set>
#include "support/dense_reference.hpp"
#include "vlc/cluster.hpp"
#include "vlc/error.hpp"
#include "vlc/metrics.hpp"
#include "vlc/validate.hpp"

using Catch::Matchers::Contains;

namespace {

const vlc::Method kAllMethods[] = {vlc::Method::NtkRad, vlc::Method::NtkMean, vlc::Method::NtkPe, vlc::Method::NtkSingle,
                                   vlc::Method::Rbf,    vlc::Method::Cosine,  vlc::Method::KMeans, vlc::Method::CMatrix};

std::vector<vlc::RowMatrixF> nouns(int d, int l = 12) {
  return {vlc::ref::random_unit_rows(l, d, 2), vlc::ref::random_unit_rows(l, d, 3)};
}

vlc::Options options(int k, int q, vlc::Method method) {
  vlc::Options o;
  o.k = k;
  o.q = q;
  o.method = method;
  o.n_init = 3;
  return o;
}

void require_valid(const vlc::Result& r, std::size_t m, int k) {
  REQUIRE(r.labels.size() == m);
  REQUIRE(r.k == k);
  for (int y : r.labels) REQUIRE((y >= 0 && y < k));
}

}  // namespace

TEST_CASE("all images identical is an error saying so", "[degenerate]") {
  vlc::RowMatrixF images(30, 8);
  images.rowwise() = vlc::ref::random_unit_rows(1, 8, 7).row(0);
  for (vlc::Method method : kAllMethods) {
    REQUIRE_THROWS_WITH(vlc::cluster(images, nouns(8), options(2, 5, method)),
                        Contains("all 30 images have the same embedding") && Contains("nothing to cluster"));
  }
  // copies scaled by powers of two normalise to exactly the same row (other scales may differ by
  // rounding in the last bit: such near-duplicates count as distinct and cluster like duplicates)
  for (int i = 0; i < 30; ++i) images.row(i) *= static_cast<float>(1 << (i % 8));
  REQUIRE_THROWS_WITH(vlc::cluster(images, nouns(8), options(0, 5, vlc::Method::NtkRad)), Contains("same embedding"));
}

TEST_CASE("fewer distinct images than K is an error naming both", "[degenerate]") {
  const vlc::RowMatrixF base = vlc::ref::random_unit_rows(3, 8, 9);
  vlc::RowMatrixF images(40, 8);
  for (int i = 0; i < 40; ++i) images.row(i) = base.row(i % 3);
  REQUIRE(vlc::count_distinct_rows(images, 0) == 3);
  for (vlc::Method method : kAllMethods)
    REQUIRE_THROWS_WITH(vlc::cluster(images, nouns(8), options(4, 5, method)),
                        Contains("only 3 distinct embeddings") && Contains("k = 4") && Contains("lower k to at most 3"));
  // K = D is allowed and gives each distinct image its own cluster
  for (vlc::Method method : {vlc::Method::Cosine, vlc::Method::KMeans}) {
    const auto r = vlc::cluster(images, nouns(8), options(3, 5, method));
    require_valid(r, 40, 3);
    vlc::Labels truth(40);
    for (int i = 0; i < 40; ++i) truth[static_cast<std::size_t>(i)] = i % 3;
    CHECK(vlc::accuracy(truth, r.labels) == 1.0);
  }
}

TEST_CASE("duplicated images cluster validly and share labels with their copies", "[degenerate]") {
  vlc::RowMatrixF images = vlc::ref::random_unit_rows(40, 8, 1);
  for (int i = 20; i < 40; ++i) images.row(i) = images.row(i - 20);
  REQUIRE(vlc::count_distinct_rows(images, 0) == 20);
  for (vlc::Method method : kAllMethods) {
    INFO(vlc::method_name(method));
    const auto r = vlc::cluster(images, nouns(8), options(3, 5, method));
    require_valid(r, 40, 3);
    int same = 0;
    for (int i = 0; i < 20; ++i) same += r.labels[static_cast<std::size_t>(i)] == r.labels[static_cast<std::size_t>(i + 20)];
    CHECK(same >= 18);  // an image and its exact copy are each other's nearest neighbour
  }
}

TEST_CASE("automatic K over a few distinct images, each copied many times, never asks for more clusters than there are distinct images", "[degenerate]") {
  // 6 distinct images × 40 copies: too few distinct for the duplicate merge (automatic K wants
  // 10), so the copies are clustered as they are. Candidates beyond 6 used to reach 50 (Lanczos
  // for 51 eigenpairs of a graph with 6 directions: slow, or no convergence).
  const vlc::RowMatrixF distinct = vlc::ref::random_unit_rows(6, 8, 21);
  vlc::RowMatrixF images(240, 8);
  for (int i = 0; i < 240; ++i) images.row(i) = distinct.row(i % 6);
  vlc::Options o = options(0, 5, vlc::Method::NtkRad);
  const auto r = vlc::cluster(images, nouns(8), o);
  REQUIRE(!r.k_estimate.candidates.empty());
  CHECK(r.k_estimate.candidates.back() == 6);
  REQUIRE((r.k >= 2 && r.k <= 6));
  require_valid(r, 240, r.k);
  for (int i = 6; i < 240; ++i) CHECK(r.labels[static_cast<std::size_t>(i)] == r.labels[static_cast<std::size_t>(i % 6)]);
}

TEST_CASE("more graph components than K: the K largest are the clusters, the rest join the nearest", "[degenerate]") {
  // 6 tight, well-separated blobs of sizes 14, 12, 10, 8, 6, 4; q = 3 keeps every blob its own component.
  const int sizes[] = {14, 12, 10, 8, 6, 4};
  const vlc::RowMatrixF centres = vlc::ref::random_unit_rows(6, 8, 11);
  const vlc::RowMatrixF noise = vlc::ref::random_unit_rows(54, 8, 12);
  vlc::RowMatrixF images(54, 8);
  vlc::Labels blob;
  for (int c = 0, i = 0; c < 6; ++c)
    for (int j = 0; j < sizes[c]; ++j, ++i) {
      images.row(i) = centres.row(c) + 0.01f * noise.row(i);
      blob.push_back(c);
    }
  for (vlc::Method method : {vlc::Method::Cosine, vlc::Method::Rbf, vlc::Method::NtkRad, vlc::Method::NtkMean}) {
    INFO(vlc::method_name(method));
    vlc::Options o = options(3, 3, method);
    o.duplicate_cosine = 0;  // the blobs are that tight (cosine > 0.99): keep them whole here
    const auto r = vlc::cluster(images, nouns(8), o);
    require_valid(r, 54, 3);
    CHECK(r.components >= 6);
    // every blob (a union of components) lies in one cluster
    for (int c = 0; c < 6; ++c) {
      std::set<int> in;
      for (std::size_t i = 0; i < blob.size(); ++i)
        if (blob[i] == c) in.insert(r.labels[i]);
      CHECK(in.size() == 1);
    }
    // the three largest blobs are three different clusters, so every label is used
    CHECK(std::set<int>(r.labels.begin(), r.labels.end()).size() == 3);
  }
}

TEST_CASE("d = 1: K = 2 splits by sign, K > 2 is the fewer-distinct error", "[degenerate]") {
  vlc::RowMatrixF images(30, 1);
  vlc::Labels sign(30);
  for (int i = 0; i < 30; ++i) {
    images(i, 0) = (i % 3 == 0 ? -1.0f : 1.0f) * static_cast<float>(1 + i);
    sign[static_cast<std::size_t>(i)] = i % 3 == 0;
  }
  const std::vector<vlc::RowMatrixF> t{vlc::ref::random_unit_rows(6, 1, 4)};
  for (vlc::Method method : kAllMethods) {
    INFO(vlc::method_name(method));
    const auto r = vlc::cluster(images, t, options(2, 5, method));
    require_valid(r, 30, 2);
    CHECK(vlc::accuracy(sign, r.labels) == 1.0);
    REQUIRE_THROWS_WITH(vlc::cluster(images, t, options(3, 5, method)), Contains("only 2 distinct embeddings"));
  }
}
