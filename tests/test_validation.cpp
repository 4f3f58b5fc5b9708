// One test per bad-input case of issue 3: each must raise vlc::Error with a message that
// names the problem, never crash.
#include <catch2/catch.hpp>
#include <limits>
#include "support/dense_reference.hpp"
#include "vlc/cluster.hpp"
#include "vlc/error.hpp"

using Catch::Matchers::Contains;

namespace {

struct Case {
  vlc::RowMatrixF images = vlc::ref::random_unit_rows(40, 8, 1);
  std::vector<vlc::RowMatrixF> templates{vlc::ref::random_unit_rows(12, 8, 2), vlc::ref::random_unit_rows(12, 8, 3)};
  vlc::Options options = [] {
    vlc::Options o;
    o.k = 3;
    o.q = 5;
    return o;
  }();
  vlc::Result run() const { return vlc::cluster(images, templates, options); }
};

}  // namespace

TEST_CASE("valid input clusters without error", "[errors]") {
  Case c;
  const auto result = c.run();
  REQUIRE(result.labels.size() == 40);
}

TEST_CASE("a zero image row is reported with its index", "[errors]") {
  Case c;
  c.images.row(17).setZero();
  REQUIRE_THROWS_WITH(c.run(), Contains("images row 17") && Contains("zeros"));
}

TEST_CASE("a non-finite image row is reported with its index", "[errors]") {
  Case c;
  c.images(23, 4) = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_THROWS_WITH(c.run(), Contains("images row 23") && Contains("non-finite"));
  c.images(23, 4) = std::numeric_limits<float>::infinity();
  REQUIRE_THROWS_AS(c.run(), vlc::Error);
}

TEST_CASE("a non-finite noun is reported with its template and row", "[errors]") {
  Case c;
  c.templates[1](5, 0) = std::numeric_limits<float>::infinity();
  REQUIRE_THROWS_WITH(c.run(), Contains("template 1 row 5"));
}

TEST_CASE("image and noun dimensions must match", "[errors]") {
  Case c;
  c.templates[0] = vlc::ref::random_unit_rows(12, 9, 4);
  c.templates[1] = vlc::ref::random_unit_rows(12, 9, 5);
  REQUIRE_THROWS_WITH(c.run(), Contains("dimension 9") && Contains("dimension 8"));
}

TEST_CASE("K below 2 is rejected", "[errors]") {
  Case c;
  c.options.k = 1;
  REQUIRE_THROWS_WITH(c.run(), Contains("k = 1"));
}

TEST_CASE("K above M is rejected", "[errors]") {
  Case c;
  c.options.k = 41;
  REQUIRE_THROWS_WITH(c.run(), Contains("k = 41") && Contains("M = 40"));
}

TEST_CASE("q at or above M is rejected", "[errors]") {
  Case c;
  c.options.q = 40;
  REQUIRE_THROWS_WITH(c.run(), Contains("q = 40") && Contains("M = 40"));
}

TEST_CASE("an empty vocabulary is rejected", "[errors]") {
  Case c;
  c.templates = {vlc::RowMatrixF(0, 8), vlc::RowMatrixF(0, 8)};
  REQUIRE_THROWS_WITH(c.run(), Contains("vocabulary is empty"));
}

TEST_CASE("zero templates (B = 0) are rejected", "[errors]") {
  Case c;
  c.templates.clear();
  REQUIRE_THROWS_WITH(c.run(), Contains("B = 0"));
}

TEST_CASE("templates of different lengths are rejected", "[errors]") {
  Case c;
  c.templates[1] = vlc::ref::random_unit_rows(11, 8, 6);
  REQUIRE_THROWS_WITH(c.run(), Contains("template 1 has 11 nouns") && Contains("template 0 has 12"));
}

TEST_CASE("an unknown method name lists the valid ones", "[errors]") {
  REQUIRE_THROWS_WITH(vlc::parse_method("ntk"), Contains("unknown method \"ntk\"") && Contains("ntk-rad"));
  for (auto m : {vlc::Method::NtkRad, vlc::Method::NtkMean, vlc::Method::NtkPe, vlc::Method::NtkSingle,
                 vlc::Method::Rbf, vlc::Method::Cosine, vlc::Method::KMeans})
    REQUIRE(vlc::parse_method(vlc::method_name(m)) == m);
}

namespace {

// The input a failing run's vlc::Error names (Error::input), for front ends that map it to
// their own names (the CLI: the file it came from).
vlc::InputRef failing_input(const Case& c) {
  try {
    c.run();
  } catch (const vlc::Error& e) {
    return e.input();
  }
  FAIL("no vlc::Error was thrown");
  return {};
}

}  // namespace

TEST_CASE("errors are tagged with the input they concern: images, template b, an option", "[errors]") {
  using Kind = vlc::InputRef::Kind;
  {
    Case c;
    c.images.row(17).setZero();
    const vlc::InputRef in = failing_input(c);
    CHECK(in.kind == Kind::Images);
    CHECK(in.row == 17);
    CHECK(in.name() == "images");
  }
  {
    Case c;
    c.templates[1](4, 2) = std::numeric_limits<float>::quiet_NaN();
    const vlc::InputRef in = failing_input(c);
    CHECK(in.kind == Kind::Template);
    CHECK(in.index == 1);
    CHECK(in.row == 4);
    CHECK(in.name() == "template 1");
  }
  {
    Case c;
    c.templates[1] = vlc::ref::random_unit_rows(12, 9, 4);
    const vlc::InputRef in = failing_input(c);
    CHECK(in.kind == Kind::Template);
    CHECK(in.index == 1);
    CHECK(in.row == -1);
  }
  for (const auto& [option, set] : std::vector<std::pair<std::string, void (*)(vlc::Options&)>>{
           {"k", [](vlc::Options& o) { o.k = 41; }},
           {"q", [](vlc::Options& o) { o.q = 40; }},
           {"tau", [](vlc::Options& o) { o.tau = 0; }},
           {"kmax", [](vlc::Options& o) { o.k = 0, o.kmin = 5, o.kmax = 4; }},
       }) {
    Case c;
    set(c.options);
    const vlc::InputRef in = failing_input(c);
    CHECK(in.kind == Kind::Option);
    CHECK(in.option == option);
  }
}
