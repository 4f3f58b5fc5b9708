// Size limits per target (core/include/vlc/limits.hpp, issue 9). Shapes only: the estimate and
// the checks are computed from the sizes, nothing large is allocated.
#include <catch2/catch.hpp>
#include "vlc/error.hpp"
#include "vlc/limits.hpp"
#include "vlc/validate.hpp"

using Catch::Matchers::Contains;

namespace {
vlc::ProblemSize size(std::int64_t m, int q = 30, std::int64_t d = 512, std::int64_t b = 7, std::int64_t l = 1000, int k = 10) {
  vlc::ProblemSize s;
  s.m = m;
  s.d = d;
  s.b = b;
  s.l = l;
  s.q = q;
  s.k = k;
  return s;
}
}  // namespace

TEST_CASE("the memory estimate follows the formula's terms", "[limits]") {
  // Ω bound: M·(1 + B·(q + 2)), capped at M².
  CHECK(vlc::omega_nonzeros_bound(size(1000)) == 1000 * (1 + 7 * 32));
  CHECK(vlc::omega_nonzeros_bound(size(10)) == 100);
  CHECK(vlc::omega_nonzeros_bound(size(1000, 0)) == 0);
  // grows linearly in M at fixed shapes (≈ 52 KB per image at d = 512, B = 7, q = 30)
  const double per_image = vlc::estimate_memory_bytes(size(100000)) / 100000;
  CHECK(per_image > 40e3);
  CHECK(per_image < 60e3);
  CHECK(vlc::estimate_memory_bytes(size(200000)) == Approx(2 * vlc::estimate_memory_bytes(size(100000))).epsilon(0.02));
  // more neighbours, templates, nouns or dimensions never need less
  CHECK(vlc::estimate_memory_bytes(size(50000, 60)) > vlc::estimate_memory_bytes(size(50000, 30)));
  CHECK(vlc::estimate_memory_bytes(size(50000, 30, 768)) > vlc::estimate_memory_bytes(size(50000, 30, 512)));
  CHECK(vlc::estimate_memory_bytes(size(50000, 30, 512, 8)) > vlc::estimate_memory_bytes(size(50000, 30, 512, 7)));
  CHECK(vlc::estimate_memory_bytes(size(50000, 30, 512, 7, 20000)) > vlc::estimate_memory_bytes(size(50000)));
  // methods without a graph (q = 0) need much less
  CHECK(vlc::estimate_memory_bytes(size(50000, 0)) < vlc::estimate_memory_bytes(size(50000)) / 4);
}

TEST_CASE("the sparse index limit: nnz(Ω) must stay below 2^31 on every target", "[limits]") {
  REQUIRE_NOTHROW(vlc::check_limits(size(1000)));
  // 10 million images, B = 7, q = 30: Ω up to 2.25e9 entries
  REQUIRE_THROWS_WITH(vlc::check_limits(size(10000000)),
                      Contains("32-bit indices") && Contains("lower q") && Contains("at most M = 9544371"));
  // kmeans/cmatrix (q = 0) build no graph: only the M limit applies natively
  REQUIRE_THROWS_WITH(vlc::check_limits(size(3000000000LL, 0)), Contains("2147483647 images"));
  REQUIRE_THROWS_WITH(vlc::check_limits(size(1000, 30, 512, 7, 3000000000LL)), Contains("smaller vocabulary"));
}

TEST_CASE("the WebAssembly memory budget is 3.5 GiB; natively there is none", "[limits]") {
  const auto big = size(200000);  // ≈ 10 GB by the estimate
  REQUIRE(vlc::estimate_memory_bytes(big) > 4e9);
  if (vlc::target_name() == "webassembly") {
    CHECK(vlc::memory_budget_bytes() == Approx(3.5 * 1024 * 1024 * 1024));
    REQUIRE_THROWS_WITH(vlc::check_limits(big), Contains("too large for WebAssembly") &&
                                                    Contains("use the native CLI") && Contains("lower q"));
    REQUIRE_NOTHROW(vlc::check_limits(size(50000)));  // ≈ 2.6 GB
    // without a graph far more images fit
    REQUIRE_NOTHROW(vlc::check_limits(size(100000, 0)));
  } else {
    CHECK(vlc::target_name() == "native");
    CHECK(vlc::memory_budget_bytes() == 0);
    REQUIRE_NOTHROW(vlc::check_limits(big));
  }
}

TEST_CASE("validate_shapes applies the limits for the given q", "[limits]") {
  vlc::RowMatrixF images = vlc::RowMatrixF::Ones(40, 4);
  for (int i = 0; i < 40; ++i) images(i, i % 4) = static_cast<float>(2 + i);  // 40 distinct rows
  const std::vector<vlc::RowMatrixF> templates{vlc::RowMatrixF::Ones(5, 4)};
  REQUIRE_NOTHROW(vlc::validate_shapes(images, templates, 3, 30));
  REQUIRE_NOTHROW(vlc::validate_shapes(images, templates, 3, 0));
  REQUIRE_NOTHROW(vlc::validate_shapes(images, templates, 3));
}
