// The whole method on the CLIP-like synthetic data: every method runs, and a seed gives the
// same labels on every target. Quality claims live in test_quality.cpp, on the CLIP-faithful
// generator: on this data every method scores near 1 (small components aside).
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include "vlc/cluster.hpp"
#include "vlc/metrics.hpp"
#include "vlc/synthetic.hpp"

namespace {

vlc::SyntheticOptions paired_classes(std::uint64_t seed) {
  vlc::SyntheticOptions o;
  o.m = 1000;
  o.k = 8;
  o.d = 64;
  o.vocab = 150;
  o.templates = 7;
  o.seed = seed;
  return o;
}

}  // namespace

TEST_CASE("every method runs and returns K labels", "[pipeline]") {
  auto opts = paired_classes(4);
  opts.m = 400;
  const auto data = vlc::make_synthetic(opts);
  for (auto m : {vlc::Method::NtkRad, vlc::Method::NtkMean, vlc::Method::NtkPe, vlc::Method::NtkSingle,
                 vlc::Method::Rbf, vlc::Method::Cosine, vlc::Method::KMeans}) {
    vlc::Options o;
    o.k = 8;
    o.q = 15;
    o.method = m;
    const auto r = vlc::cluster(data.images, data.templates, o);
    INFO(vlc::method_name(m));
    REQUIRE(r.labels.size() == 400);
    REQUIRE(*std::min_element(r.labels.begin(), r.labels.end()) == 0);
    REQUIRE(*std::max_element(r.labels.begin(), r.labels.end()) == 7);
    REQUIRE(!r.timings.empty());
    if (m != vlc::Method::KMeans) REQUIRE(r.eigenvalues.size() == 8);
    if (m == vlc::Method::NtkRad) {
      REQUIRE(r.beta.size() == 7);
      REQUIRE(r.beta.sum() == Approx(1.0).margin(1e-12));
      REQUIRE(!r.kept_nouns.empty());
      REQUIRE(r.graphs.size() == 7);
      // The search's and RAD's counts are in the Result (not printed): one record per template.
      REQUIRE(r.ntk_search.size() == 7);
      for (const auto& st : r.ntk_search) {
        CHECK(st.candidate_pairs > 0);
        CHECK(st.candidate_pairs <= 400LL * 399);
        CHECK(st.fallback_rows <= 400);
        CHECK(st.mean_candidate_nouns >= 1);
      }
      CHECK(r.rad_inner_iterations >= r.rad_outer_iterations);
      CHECK(r.rad_outer_iterations >= 1);
      CHECK_FALSE(r.ntk_search[0].approximate);  // auto stays exact this small
      // Options::ntk_candidates reaches the search: ann on request, labels still K groups.
      o.ntk_candidates = vlc::NtkCandidates::Ann;
      const auto a = vlc::cluster(data.images, data.templates, o);
      REQUIRE(a.ntk_search.size() == 7);
      CHECK(a.ntk_search[0].approximate);
      CHECK(vlc::ari(r.labels, a.labels) > 0.9);  // recall below 1 may move a few images
    }
    if (m == vlc::Method::NtkPe || m == vlc::Method::NtkSingle) CHECK(r.ntk_search.size() == 1);
    if (!vlc::uses_nouns(m)) CHECK(r.ntk_search.empty());
    if (m != vlc::Method::NtkRad) CHECK(r.rad_inner_iterations == 0);
  }
}

TEST_CASE("the same seed gives the same labels, natively and in WebAssembly", "[pipeline][determinism]") {
  const auto data = vlc::make_synthetic(paired_classes(9));
  vlc::Options o;
  o.k = 8;
  o.seed = 12345;
  const auto first = vlc::cluster(data.images, data.templates, o);
  const auto second = vlc::cluster(data.images, data.templates, o);
  REQUIRE(first.labels == second.labels);

  // scripts/test runs the native suite first, which writes its labels; the WASM suite then
  // reads them and requires ARI = 1 (same partition, labels up to permutation).
  const char* path = std::getenv("VLC_CROSS_LABELS");
  if (!path) {
    WARN("VLC_CROSS_LABELS not set: cross-target comparison skipped (scripts/test sets it)");
    return;
  }
  const char* target = std::getenv("VLC_TARGET");
  const bool is_reader = target && std::string(target) == "wasm";
  if (!is_reader) {
    std::ofstream out(path);
    for (int label : first.labels) out << label << '\n';
    REQUIRE(out.good());
  } else {
    std::ifstream in(path);
    REQUIRE(in.good());
    vlc::Labels native;
    for (int label; in >> label;) native.push_back(label);
    REQUIRE(native.size() == first.labels.size());
    const double agreement = vlc::ari(native, first.labels);
    std::printf("[determinism] ARI(native, wasm) = %.12f\n", agreement);
    REQUIRE(agreement == 1.0);
  }
}

TEST_CASE("Options::seed governs the ann candidate search: the same seed gives the same labels",
          "[pipeline][determinism][ntk-ann]") {
  auto opts = paired_classes(4);
  opts.m = 400;
  const auto data = vlc::make_synthetic(opts);
  vlc::Options o;
  o.k = 8;
  o.q = 15;
  o.seed = 31;
  o.ntk_candidates = vlc::NtkCandidates::Ann;
  const auto first = vlc::cluster(data.images, data.templates, o);
  const auto second = vlc::cluster(data.images, data.templates, o);
  REQUIRE(first.ntk_search.size() == 7);
  for (const auto& st : first.ntk_search) CHECK(st.approximate);
  REQUIRE(first.labels == second.labels);
  REQUIRE(first.graphs.size() == second.graphs.size());
  for (std::size_t g = 0; g < first.graphs.size(); ++g) REQUIRE(first.graphs[g].edges == second.graphs[g].edges);
}
