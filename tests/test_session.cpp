// vlc::Session: its stages give vlc::cluster's results, a re-cluster recomputes only what an
// option change made stale (and equals a fresh run), and stages called out of order say which
// call is missing.
#include <catch2/catch.hpp>
#include "vlc/error.hpp"
#include "vlc/noun_filter.hpp"
#include "vlc/session.hpp"
#include "vlc/synthetic.hpp"
#include "vlc/validate.hpp"

namespace {

vlc::SyntheticData data(int m, int k, std::uint64_t seed) {
  vlc::SyntheticOptions s;
  s.m = m;
  s.k = k;
  s.d = 32;
  s.vocab = 80;
  s.templates = 4;
  s.seed = seed;
  return vlc::make_synthetic(s);
}

vlc::Options options(int k, vlc::Method method = vlc::Method::NtkRad) {
  vlc::Options o;
  o.k = k;
  o.q = 10;
  o.method = method;
  o.seed = 7;
  o.name_clusters = false;  // the tests that name call name() themselves
  return o;
}

// Everything a run computes, compared bit for bit (timings aside).
void require_same(const vlc::Result& a, const vlc::Result& b) {
  REQUIRE(a.labels == b.labels);
  REQUIRE(a.k == b.k);
  REQUIRE(a.kept_nouns == b.kept_nouns);
  REQUIRE(a.beta.size() == b.beta.size());
  REQUIRE(a.beta == b.beta);
  REQUIRE(a.eigenvalues.size() == b.eigenvalues.size());
  REQUIRE(a.eigenvalues == b.eigenvalues);
  REQUIRE(a.components == b.components);
  REQUIRE(a.embedding2d.rows() == b.embedding2d.rows());
  REQUIRE(a.embedding2d == b.embedding2d);
  REQUIRE(a.rad_outer_iterations == b.rad_outer_iterations);
  REQUIRE(a.graphs.size() == b.graphs.size());
  for (std::size_t g = 0; g < a.graphs.size(); ++g) REQUIRE(a.graphs[g].edges == b.graphs[g].edges);
  REQUIRE(a.cmatrix_nouns == b.cmatrix_nouns);
  REQUIRE(a.duplicate_groups == b.duplicate_groups);
  REQUIRE(a.k_estimate.candidates == b.k_estimate.candidates);
  REQUIRE(a.names.size() == b.names.size());
  for (std::size_t c = 0; c < a.names.size(); ++c) {
    REQUIRE(a.names[c].nouns == b.names[c].nouns);
    REQUIRE(a.names[c].size == b.names[c].size);
  }
}

// T̄ as the browser gets it: the ensemble of the unit templates, computed elsewhere.
vlc::RowMatrixF vocabulary_mean(const std::vector<vlc::RowMatrixF>& templates) {
  std::vector<vlc::RowMatrixF> unit;
  for (const auto& t : templates) unit.push_back(vlc::normalized_rows(t, vlc::InputRef::of_template(0)));
  return vlc::ensemble_nouns(unit);
}

std::vector<vlc::RowMatrixF> kept_rows(const std::vector<vlc::RowMatrixF>& templates, const std::vector<int>& kept) {
  std::vector<vlc::RowMatrixF> w;
  for (const auto& t : templates) w.push_back(vlc::select_rows(t, kept));
  return w;
}

}  // namespace

TEST_CASE("the session's stages, given T̄ and then the kept nouns' templates, give vlc::cluster's result",
          "[session]") {
  // The browser's order (web/src/cluster.js runPipeline): §1 on the template-averaged
  // vocabulary, then only the kept nouns' prompts are encoded.
  const auto d = data(200, 6, 3);
  const vlc::RowMatrixF t_bar = vocabulary_mean(d.templates);
  for (auto method : {vlc::Method::NtkRad, vlc::Method::NtkMean, vlc::Method::NtkPe, vlc::Method::NtkSingle}) {
    // Automatic K (k̃ from kmax) once: its K search costs more than the rest together.
    for (int k : method == vlc::Method::NtkRad ? std::vector<int>{6, 0} : std::vector<int>{6}) {
      INFO(vlc::method_name(method) << " k = " << k);
      vlc::Options o = options(k, method);
      o.name_clusters = true;
      o.template_index = 2;
      const vlc::Result expected = vlc::cluster(d.images, d.templates, o);
      vlc::Session s(d.images, o);
      s.set_vocabulary_mean(t_bar);
      const std::vector<int> kept = s.filter_nouns();
      REQUIRE(kept == expected.kept_nouns);
      s.set_kept_templates(kept_rows(d.templates, kept));
      s.cluster();
      s.name();
      require_same(s.result(), expected);
      REQUIRE(s.map() == expected.embedding2d);
    }
  }
}

TEST_CASE("every method through the session equals vlc::cluster, with near-duplicates merged", "[session]") {
  const auto d = data(200, 4, 5);
  // 20 exact copies (scaled: the same direction) of the first 20 images.
  vlc::RowMatrixF images(220, d.images.cols());
  images.topRows(200) = d.images;
  images.bottomRows(20) = 2.0f * d.images.topRows(20);
  for (auto method : {vlc::Method::NtkRad, vlc::Method::Rbf, vlc::Method::Cosine, vlc::Method::KMeans,
                      vlc::Method::CMatrix}) {
    INFO(vlc::method_name(method));
    vlc::Options o = options(4, method);
    o.name_clusters = true;
    const vlc::Result expected = vlc::cluster(images, d.templates, o);
    REQUIRE(expected.duplicate_groups.size() == 20);
    vlc::Session s(images, o);
    REQUIRE(s.rows() == 220);
    REQUIRE(s.clustered() == 200);
    s.set_vocabulary(d.templates);
    if (vlc::uses_nouns(method)) s.filter_nouns();
    s.cluster();
    s.name();
    const vlc::Result r = s.result();
    require_same(r, expected);
    REQUIRE(r.labels.size() == 220);
    for (int i = 0; i < 20; ++i) REQUIRE(r.labels[200 + i] == r.labels[i]);
  }
}

TEST_CASE("re-clustering with another K reuses the graphs and equals a fresh run", "[session]") {
  SECTION("ntk-rad: K = 10 and 12 on 30 images share k̃ = min(M, 3K) = 30, so §1 to §3 are reused") {
    const auto d = data(30, 10, 11);
    vlc::Options o = options(10);
    o.q = 5;
    o.duplicate_cosine = 0;
    vlc::Session s(d.images, o);
    s.set_vocabulary(d.templates);
    s.filter_nouns();
    s.cluster();
    o.k = 12;
    s.set_options(o);
    s.filter_nouns();
    const vlc::Result again = s.cluster();
    REQUIRE(s.counts().filter == 1);
    REQUIRE(s.counts().graph == 1);
    REQUIRE(s.counts().affinity == 1);
    REQUIRE(s.counts().partition == 2);
    require_same(again, vlc::cluster(d.images, d.templates, o));
  }
  SECTION("the browser's order: the same kept nouns' templates handed again keep the graphs") {
    const auto d = data(30, 10, 11);
    vlc::Options o = options(10);
    o.q = 5;
    vlc::Session s(d.images, o);
    s.set_vocabulary_mean(vocabulary_mean(d.templates));
    s.set_kept_templates(kept_rows(d.templates, s.filter_nouns()));
    s.cluster();
    o.k = 12;
    s.set_options(o);
    s.set_kept_templates(kept_rows(d.templates, s.filter_nouns()));
    const vlc::Result again = s.cluster();
    REQUIRE(s.counts().graph == 1);
    REQUIRE(s.counts().partition == 2);
    require_same(again, vlc::cluster(d.images, d.templates, o));
  }
  SECTION("ntk-rad: a K that changes k̃ re-runs §1, and the graphs only if the kept nouns changed") {
    const auto d = data(200, 6, 3);
    vlc::Options o = options(6);
    vlc::Session s(d.images, o);
    s.set_vocabulary(d.templates);
    const std::vector<int> before = s.filter_nouns();
    s.cluster();
    o.k = 4;
    s.set_options(o);
    const std::vector<int> after = s.filter_nouns();
    const vlc::Result again = s.cluster();
    REQUIRE(s.counts().filter == 2);
    REQUIRE(s.counts().graph == (after == before ? 1 : 2));
    require_same(again, vlc::cluster(d.images, d.templates, o));
  }
  SECTION("cosine graph: only the partition is recomputed") {
    const auto d = data(200, 6, 3);
    vlc::Options o = options(6, vlc::Method::Cosine);
    vlc::Session s(d.images, o);
    s.cluster();
    for (int k : {3, 0, 8}) {
      o.k = k;
      s.set_options(o);
      const vlc::Result again = s.cluster();
      REQUIRE(s.counts().graph == 1);
      require_same(again, vlc::cluster(d.images, d.templates, o));
    }
    REQUIRE(s.counts().partition == 4);
  }
  SECTION("ntk-rad to ntk-mean reuses the per-template graphs; to ntk-pe builds its own") {
    const auto d = data(200, 6, 3);
    vlc::Options o = options(6);
    vlc::Session s(d.images, o);
    s.set_vocabulary(d.templates);
    s.filter_nouns();
    s.cluster();
    o.method = vlc::Method::NtkMean;
    s.set_options(o);
    const vlc::Result mean = s.cluster();
    REQUIRE(s.counts().graph == 1);
    REQUIRE(s.counts().affinity == 2);
    require_same(mean, vlc::cluster(d.images, d.templates, o));
    o.method = vlc::Method::NtkPe;
    s.set_options(o);
    const vlc::Result pe = s.cluster();
    REQUIRE(s.counts().graph == 2);
    require_same(pe, vlc::cluster(d.images, d.templates, o));
  }
  SECTION("a new seed rebuilds the graphs of the ann search (its HNSW levels), not the exact ones") {
    // 30 images and K = 10: k̃ = M fine centres, one per image whatever the seed, so §1 keeps
    // the same nouns and only the search itself can make the graphs stale.
    const auto d = data(30, 10, 11);
    for (const auto c : {vlc::NtkCandidates::Ann, vlc::NtkCandidates::Exact}) {
      INFO(vlc::ntk_candidates_name(c));
      vlc::Options o = options(10);
      o.q = 5;
      o.duplicate_cosine = 0;
      o.ntk_candidates = c;
      vlc::Session s(d.images, o);
      s.set_vocabulary(d.templates);
      const std::vector<int> before = s.filter_nouns();
      s.cluster();
      o.seed = 8;
      s.set_options(o);
      REQUIRE(s.filter_nouns() == before);
      const vlc::Result again = s.cluster();
      REQUIRE(s.counts().graph == (c == vlc::NtkCandidates::Ann ? 2 : 1));
      require_same(again, vlc::cluster(d.images, d.templates, o));
    }
  }
  SECTION("calling cluster() again without a change recomputes nothing") {
    const auto d = data(200, 6, 3);
    vlc::Session s(d.images, options(6));
    s.set_vocabulary(d.templates);
    s.filter_nouns();
    const vlc::Result first = s.cluster();
    const vlc::Result second = s.cluster();
    require_same(first, second);
    REQUIRE(s.counts().filter == 1);
    REQUIRE(s.counts().graph == 1);
    REQUIRE(s.counts().partition == 1);
  }
}

TEST_CASE("session stages called out of order say which call is missing", "[session][validation]") {
  const auto d = data(100, 4, 2);
  vlc::Session s(d.images, options(4));
  REQUIRE_THROWS_WITH(s.filter_nouns(), Catch::Contains("call set_vocabulary or set_vocabulary_mean first"));
  REQUIRE_THROWS_WITH(s.cluster(), Catch::Contains("call filter_nouns first"));
  REQUIRE_THROWS_WITH(s.name(), Catch::Contains("call cluster first"));
  REQUIRE_THROWS_WITH(s.map(), Catch::Contains("call cluster first"));
  REQUIRE_THROWS_WITH(s.set_kept_templates(d.templates), Catch::Contains("call filter_nouns first"));

  s.set_vocabulary_mean(vocabulary_mean(d.templates));
  const std::vector<int> kept = s.filter_nouns();
  REQUIRE_THROWS_WITH(s.cluster(), Catch::Contains("call set_kept_templates with the " + std::to_string(kept.size())));
  REQUIRE_THROWS_WITH(s.set_kept_templates(d.templates),
                      Catch::Contains("filter_nouns kept " + std::to_string(kept.size())));
  s.set_kept_templates(kept_rows(d.templates, kept));
  REQUIRE(s.cluster().labels.size() == 100);

  // A rejected option change leaves the session as it was.
  vlc::Options bad = options(4);
  bad.q = 100;
  REQUIRE_THROWS_WITH(s.set_options(bad), Catch::Contains("q = 100 must be smaller than the number of images"));
  REQUIRE(s.options().q == 10);
  REQUIRE(s.cluster().labels.size() == 100);
}
