// device_math.hpp: the kernel arithmetic shared by the CPU and CUDA backends, checked against
// straightforward formulas (plain C++: runs natively and as WebAssembly), plus the CPU
// backend interface (backend.hpp) that runs it.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>
#include "support/random_sparse.hpp"
#include "vlc/backend.hpp"
#include "vlc/device_math.hpp"
#include "vlc/error.hpp"
#include "vlc/rad.hpp"

namespace {

using vlc::test::random_symmetric;

}  // namespace

TEST_CASE("device_math softmax_row matches exp(x/τ)/Σ and survives large logits", "[device_math]") {
  const float inv_tau = 25.0f;
  std::vector<float> row = {0.31f, -0.12f, 0.29f, 0.05f, 0.3f};
  std::vector<double> expected(row.size());
  double sum = 0;
  for (std::size_t l = 0; l < row.size(); ++l) sum += expected[l] = std::exp(double(row[l]) * inv_tau);
  for (double& e : expected) e /= sum;
  vlc::dm::softmax_row(row.data(), static_cast<int>(row.size()), inv_tau);
  for (std::size_t l = 0; l < row.size(); ++l) CHECK(row[l] == Approx(expected[l]).epsilon(1e-5));
  CHECK(std::accumulate(row.begin(), row.end(), 0.0) == Approx(1.0).epsilon(1e-6));

  // Logits·1/τ of 10^4: exp alone would overflow float; the max-subtracted form does not.
  std::vector<float> big = {400.0f, 399.0f, -400.0f};
  vlc::dm::softmax_row(big.data(), 3, inv_tau);
  CHECK(std::isfinite(big[0]));
  CHECK(big[0] == Approx(1.0 / (1.0 + std::exp(-25.0))).epsilon(1e-6));
  CHECK(big[2] == 0.0f);
  std::vector<float> one = {-3.0f};
  vlc::dm::softmax_row(one.data(), 1, inv_tau);
  CHECK(one[0] == 1.0f);
}

TEST_CASE("device_math ntk_value is (1/τ²)·(z_i·z_j)·(s_i·s_j)", "[device_math]") {
  const double tau = 0.04;
  const float inv_tau2 = static_cast<float>(1.0 / (tau * tau));
  for (float gram : {-0.5f, 0.0f, 0.25f, 0.9f})
    for (float overlap : {0.0f, 1e-6f, 0.3f, 1.0f})
      CHECK(vlc::dm::ntk_value(gram, overlap, inv_tau2) ==
            Approx(double(gram) * double(overlap) / (tau * tau)).epsilon(1e-6).margin(1e-12));
}

TEST_CASE("device_math topq_insert keeps the q best under (value desc, index asc) in any order", "[device_math]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 200, q = 1 + trial % 31;
    std::vector<float> v(n);
    // Few distinct values: many ties, so the index rule decides.
    std::uniform_int_distribution<int> level(0, 12);
    for (float& x : v) x = 0.125f * static_cast<float>(level(rng)) - 0.5f;
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return v[a] != v[b] ? v[a] > v[b] : a < b; });

    // Offered in a shuffled order (as a CUDA thread sees its strided columns, then a merge).
    std::vector<int> offer(order);
    std::shuffle(offer.begin(), offer.end(), rng);
    std::vector<float> kept_v(q);
    std::vector<int> kept_i(q);
    int count = 0;
    for (int j : offer) vlc::dm::topq_insert(kept_v.data(), kept_i.data(), count, q, v[j], j);
    REQUIRE(count == q);
    for (int t = 0; t < q; ++t) {
      CHECK(kept_i[t] == order[t]);
      CHECK(kept_v[t] == v[order[t]]);
    }
  }
}

TEST_CASE("top_q_of_row (shared insertion) matches a full sort and excludes self", "[device_math]") {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> level(0, 20);
  const int m = 300, q = 30;
  std::vector<float> row(m);
  for (float& x : row) x = static_cast<float>(level(rng));
  for (int self : {0, 17, m - 1}) {
    std::vector<int> order;
    for (int j = 0; j < m; ++j)
      if (j != self) order.push_back(j);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return row[a] != row[b] ? row[a] > row[b] : a < b; });
    std::vector<int> idx(q);
    std::vector<float> val(q);
    vlc::top_q_of_row(row.data(), m, self, q, idx.data(), val.data());
    for (int t = 0; t < q; ++t) CHECK(idx[t] == order[t]);
  }
}

TEST_CASE("device_math sandwich_row equals the dense (S X S) on Ω, for any lane split", "[device_math]") {
  const int m = 60;
  const vlc::SparseMatrixD s = random_symmetric(m, 3, 1, false);
  vlc::SparseMatrixD omega = random_symmetric(m, 4, 2, true);
  // X: arbitrary values on Ω (not symmetric, to catch transposition mistakes).
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> val(-1.0, 1.0);
  std::vector<double> x(omega.nonZeros());
  for (double& e : x) e = val(rng);
  vlc::SparseMatrixD xs = omega;
  std::copy(x.begin(), x.end(), xs.valuePtr());
  const Eigen::MatrixXd dense = Eigen::MatrixXd(s) * Eigen::MatrixXd(xs) * Eigen::MatrixXd(s);

  const int* po = omega.outerIndexPtr();
  const int* pi = omega.innerIndexPtr();
  std::vector<double> scratch(m, 0.0), out(omega.nonZeros(), 0.0);
  for (int i = 0; i < m; ++i)
    vlc::dm::sandwich_row(i, s.outerIndexPtr(), s.innerIndexPtr(), s.valuePtr(), po, pi, x.data(), scratch.data(),
                          out.data());
  for (int i = 0; i < m; ++i)
    for (int p = po[i]; p < po[i + 1]; ++p) CHECK(out[p] == Approx(dense(i, pi[p])).epsilon(1e-12).margin(1e-14));
  CHECK(std::all_of(scratch.begin(), scratch.end(), [](double v) { return v == 0.0; }));

  // The CUDA kernel splits each row among 32 lanes; run the same split sequentially, lane
  // by lane within each phase: the result is bit-identical (same terms, same order).
  const int width = 32;
  std::vector<double> split(omega.nonZeros(), 0.0);
  for (int i = 0; i < m; ++i) {
    for (int a = s.outerIndexPtr()[i]; a < s.outerIndexPtr()[i + 1]; ++a) {
      // scatter for one k at a time by every lane (the kernel syncs the warp after each k)
      const int k = s.innerIndexPtr()[a];
      const double w = s.valuePtr()[a];
      for (int lane = 0; lane < width; ++lane)
        for (int p = po[k] + lane; p < po[k + 1]; p += width) scratch[pi[p]] += w * x[p];
    }
    for (int lane = 0; lane < width; ++lane)
      vlc::dm::sandwich_gather(i, lane, width, s.outerIndexPtr(), s.innerIndexPtr(), s.valuePtr(), po, pi,
                               scratch.data(), split.data());
    for (int lane = 0; lane < width; ++lane)
      vlc::dm::sandwich_clear(i, lane, width, s.outerIndexPtr(), s.innerIndexPtr(), po, pi, scratch.data(),
                              vlc::dm::NoSync{});
  }
  CHECK(split == out);
  CHECK(std::all_of(scratch.begin(), scratch.end(), [](double v) { return v == 0.0; }));
}

TEST_CASE("device_math normalized_row is D^{-1/2} A D^{-1/2} x", "[device_math]") {
  const int m = 40;
  const vlc::SparseMatrixD a = random_symmetric(m, 3, 5, false);
  Eigen::VectorXd scale(m), x(m);
  for (int i = 0; i < m; ++i) {
    const double d = a.row(i).sum();
    scale(i) = 1.0 / std::sqrt(d > 0 ? d : 1.0);
    x(i) = std::sin(1.0 + i);
  }
  const Eigen::VectorXd expected = scale.asDiagonal() * (Eigen::MatrixXd(a) * (scale.asDiagonal() * x));
  for (int i = 0; i < m; ++i)
    CHECK(vlc::dm::normalized_row(i, a.outerIndexPtr(), a.innerIndexPtr(), a.valuePtr(), scale.data(), x.data()) ==
          Approx(expected(i)).epsilon(1e-13));

  const auto op = vlc::cpu_backend().normalized_matvec(a, scale);
  Eigen::VectorXd y(m);
  op->apply(x.data(), y.data());
  CHECK((y - expected).norm() <= 1e-13 * expected.norm());
}

TEST_CASE("backend: device names, CPU selection and the CPU masked product", "[backend]") {
  CHECK(vlc::parse_device("cpu") == vlc::Device::Cpu);
  CHECK(vlc::parse_device("cuda") == vlc::Device::Cuda);
  CHECK(vlc::parse_device("auto") == vlc::Device::Auto);
  CHECK_THROWS_WITH(vlc::parse_device("gpu"), Catch::Contains("expected cpu, cuda or auto"));
  CHECK(vlc::device_name(vlc::Device::Cuda) == "cuda");

  const auto cpu = vlc::select_backend(vlc::Device::Cpu);
  CHECK(cpu->device() == vlc::Device::Cpu);
  CHECK(cpu->name() == "cpu");
  std::string why;
  if (!vlc::cuda_available(&why)) {
    // Auto falls back to the CPU, an explicit CUDA request says why it cannot be met.
    CHECK(vlc::select_backend(vlc::Device::Auto)->device() == vlc::Device::Cpu);
    CHECK_THROWS_WITH(vlc::select_backend(vlc::Device::Cuda), Catch::Contains("device cuda requested but"));
    CHECK(!why.empty());
  }

  const int m = 50;
  const vlc::SparseMatrixD s = vlc::symmetric_normalize(random_symmetric(m, 3, 9, false));
  const vlc::SparseMatrixD omega = vlc::union_pattern({random_symmetric(m, 4, 10, false)});
  vlc::SparseMatrixD x = omega;
  for (int p = 0; p < x.nonZeros(); ++p) x.valuePtr()[p] = std::cos(0.1 * p);
  const vlc::SparseMatrixD expected = vlc::masked_sandwich(s, x, omega);
  std::vector<double> out(omega.nonZeros());
  cpu->masked_sandwich(s, omega)->apply(x.valuePtr(), out.data());
  for (int p = 0; p < omega.nonZeros(); ++p) CHECK(out[p] == expected.valuePtr()[p]);
}

TEST_CASE("backend: the CPU's symmetric masked product equals the full one on a symmetric X", "[backend]") {
  const auto& cpu = vlc::cpu_backend();
  for (int m : {1, 2, 60, 400}) {
    INFO("M = " << m);
    const vlc::SparseMatrixD s = vlc::symmetric_normalize(random_symmetric(m, 4, 11, false));
    const vlc::SparseMatrixD omega = vlc::union_pattern({random_symmetric(m, 5, 12, false), s});
    // X symmetric on Ω: x(i,j) = x(j,i) = cos(i + j) + 0.1·[i == j].
    std::vector<double> x(omega.nonZeros());
    for (int i = 0; i < m; ++i)
      for (int p = omega.outerIndexPtr()[i]; p < omega.outerIndexPtr()[i + 1]; ++p) {
        const int j = omega.innerIndexPtr()[p];
        x[p] = std::cos(static_cast<double>(i + j)) + (i == j ? 0.1 : 0.0);
      }
    auto op = cpu.masked_sandwich(s, omega);
    std::vector<double> full(x.size()), symmetric(x.size());
    op->apply(x.data(), full.data());
    op->apply_symmetric(x.data(), symmetric.data());
    op->apply_symmetric(x.data(), symmetric.data());  // twice: scratch and mirror are reused
    double diff = 0, scale = 1e-300;
    for (std::size_t p = 0; p < x.size(); ++p) {
      diff = std::max(diff, std::abs(full[p] - symmetric[p]));
      scale = std::max(scale, std::abs(full[p]));
    }
    // Only the summation order of the mirrored half differs: 1e-13 relative.
    CHECK(diff <= 1e-13 * scale);
  }
  // A pattern without its transpose is refused, naming the entry.
  std::vector<Eigen::Triplet<double, int>> t = {{0, 0, 1}, {1, 1, 1}, {0, 1, 1}};
  vlc::SparseMatrixD lopsided(2, 2);
  lopsided.setFromTriplets(t.begin(), t.end());
  lopsided.makeCompressed();
  std::vector<double> x(3, 1.0), out(3);
  auto op = cpu.masked_sandwich(vlc::symmetric_normalize(lopsided), lopsided);
  CHECK_THROWS_WITH(op->apply_symmetric(x.data(), out.data()), Catch::Contains("not symmetric"));
}
