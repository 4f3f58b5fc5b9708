// libFuzzer target: the core entry point vlc::cluster on small inputs decoded from the bytes:
// M ≤ 60 images (sometimes 0 or 1), d ≤ 8, B ≤ 3 templates, L ≤ 12 nouns, any K (0 = automatic),
// q, τ, μ, λ, method, seed, noun mask; values drawn from normal floats and, now and then,
// NaN, ±Inf, denormals, huge, tiny and zero, whole zero rows and duplicated rows.
// Outcome: labels of size M in 0..K−1 (K = the requested or the estimated one), or vlc::Error.
// Never a crash, a hang (libFuzzer's -timeout) or another exception.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "fuzz_support.hpp"
#include "vlc/cluster.hpp"

namespace {

float value(FuzzedDataProvider& in) {
  const std::uint8_t kind = in.ConsumeIntegral<std::uint8_t>();
  if (kind < 224) return in.ConsumeFloatingPointInRange<float>(-1.0f, 1.0f);
  switch (kind % 12) {
    case 0: return std::numeric_limits<float>::quiet_NaN();
    case 1: return std::numeric_limits<float>::infinity();
    case 2: return -std::numeric_limits<float>::infinity();
    case 3: return std::numeric_limits<float>::denorm_min();
    case 4: return 1e-40f;  // subnormal
    case 5: return std::numeric_limits<float>::max();
    case 6: return -3e38f;
    case 7: return 1e-30f;
    case 8: return 0.0f;
    case 9: return -0.0f;
    case 10: return 1e20f;
    default: return in.ConsumeFloatingPoint<float>();  // anything, from the raw bits
  }
}

void fill(vlc::RowMatrixF& m, FuzzedDataProvider& in) {
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    const std::uint8_t row_kind = in.ConsumeIntegral<std::uint8_t>();
    if (row_kind >= 250) {
      m.row(i).setZero();
    } else if (row_kind >= 200 && i > 0) {
      m.row(i) = m.row(in.ConsumeIntegralInRange<Eigen::Index>(0, i - 1));  // a duplicate
    } else {
      for (Eigen::Index j = 0; j < m.cols(); ++j) m(i, j) = value(in);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const int m = in.ConsumeIntegralInRange<int>(0, 60);
  const int d = in.ConsumeIntegralInRange<int>(1, 8);
  const int b = in.ConsumeIntegralInRange<int>(1, 3);
  const int l = in.ConsumeIntegralInRange<int>(1, 12);
  vlc::Options o;
  o.k = in.ConsumeIntegralInRange<int>(-1, 62);
  o.q = in.ConsumeIntegralInRange<int>(-1, 62);
  o.method = static_cast<vlc::Method>(in.ConsumeIntegralInRange<int>(0, 7));
  o.kmin = in.ConsumeIntegralInRange<int>(0, 12);
  o.kmax = in.ConsumeIntegralInRange<int>(0, 20);
  o.k_rule = in.ConsumeBool() ? vlc::KRule::Eigengap : vlc::KRule::CodingLength;
  o.k_both_curves = in.ConsumeBool();
  o.name_clusters = in.ConsumeBool();
  o.n_init = in.ConsumeIntegralInRange<int>(1, 3);
  o.filter_restarts = in.ConsumeIntegralInRange<int>(1, 2);
  o.per_centre = in.ConsumeIntegralInRange<int>(0, 6);
  o.template_index = in.ConsumeIntegralInRange<int>(-1, 3);
  o.theta = in.ConsumeIntegralInRange<int>(0, 3);
  o.seed = in.ConsumeIntegral<std::uint8_t>();
  o.device = vlc::Device::Cpu;
  const double taus[] = {0.04, 1.0, 1e-6, 1e-300, 0.0, -1.0, 1e300, std::numeric_limits<double>::quiet_NaN()};
  o.tau = taus[in.ConsumeIntegralInRange<int>(0, 7)];
  const double mus[] = {0.1, 0.0, 1.0, 1e6, 1e-12};
  o.rad.mu = mus[in.ConsumeIntegralInRange<int>(0, 4)];
  const double lambdas[] = {10.0, 1e-9, 1e9, 1.0, 0.1};
  o.rad.lambda = lambdas[in.ConsumeIntegralInRange<int>(0, 4)];
  o.tau_rbf = in.ConsumeBool() ? 0.0 : in.ConsumeFloatingPointInRange<double>(-1.0, 10.0);
  if (in.ConsumeIntegralInRange<int>(0, 3) == 0) {
    o.noun_mask.resize(static_cast<std::size_t>(in.ConsumeIntegralInRange<int>(0, l + 1)));
    for (auto& x : o.noun_mask) x = in.ConsumeBool();
  }

  vlc::RowMatrixF images(m, d);
  fill(images, in);
  std::vector<vlc::RowMatrixF> templates;
  for (int t = 0; t < b; ++t) {
    templates.emplace_back(l, d);
    fill(templates.back(), in);
  }

  vlc_fuzz::expect_ok_or_vlc_error([&] {
    const vlc::Result r = vlc::cluster(images, templates, o);
    if (static_cast<int>(r.labels.size()) != m) vlc_fuzz::unexpected("labels do not have M entries");
    if (o.k > 0 && r.k != o.k) vlc_fuzz::unexpected("result K differs from the requested K");
    if (r.k < 1 || r.k > m) vlc_fuzz::unexpected("result K outside 1..M");
    for (int y : r.labels)
      if (y < 0 || y >= r.k) vlc_fuzz::unexpected("a label outside 0..K-1");
  });
  return 0;
}
