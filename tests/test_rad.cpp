// §3: RAD's masked iteration and closed-form β against dense references.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include "support/dense_reference.hpp"
#include "vlc/metrics.hpp"
#include "vlc/ntk.hpp"
#include "vlc/rad.hpp"
#include "vlc/random.hpp"
#include "vlc/spectral.hpp"
#include "vlc/synthetic.hpp"

namespace {

std::vector<vlc::SparseMatrixD> ntk_graphs(const vlc::SyntheticData& data, int q) {
  vlc::NtkOptions o;
  o.q = q;
  std::vector<vlc::SparseMatrixD> graphs;
  for (const auto& t : data.templates) graphs.push_back(vlc::ntk_affinity(data.images, t, o));
  return graphs;
}

vlc::SyntheticData data_for_rad(int m, int templates, std::uint64_t seed) {
  vlc::SyntheticOptions o;
  o.m = m;
  o.k = 4;
  o.d = 24;
  o.vocab = 30;
  o.templates = templates;
  o.template_noise = 0.4;
  o.seed = seed;
  return vlc::make_synthetic(o);
}

}  // namespace

TEST_CASE("β-step equals a brute-force simplex minimisation", "[rad]") {
  vlc::Random rng(21);
  for (int trial = 0; trial < 300; ++trial) {
    const int b = 1 + static_cast<int>(rng.below(7));
    const double lambda = std::pow(10.0, -2.0 + 3.0 * rng.uniform());
    Eigen::VectorXd h(b);
    for (int j = 0; j < b; ++j) h(j) = 5.0 * rng.uniform();
    const Eigen::VectorXd beta = vlc::beta_step(h, lambda);
    const Eigen::VectorXd expected = vlc::ref::simplex_brute_force(h, lambda);
    REQUIRE(beta.sum() == Approx(1.0).margin(1e-12));
    REQUIRE(beta.minCoeff() >= 0.0);
    REQUIRE((beta - expected).cwiseAbs().maxCoeff() <= 1e-12);
  }
  // λ → large gives uniform weights; small λ puts all weight on the smallest loss.
  Eigen::VectorXd h(3);
  h << 0.3, 0.1, 0.2;
  REQUIRE((vlc::beta_step(h, 1e9).array() - 1.0 / 3).abs().maxCoeff() < 1e-9);
  REQUIRE(vlc::beta_step(h, 1e-3)(1) == 1.0);
}

TEST_CASE("masked sandwich S X S equals the dense product on the mask", "[rad]") {
  const auto data = data_for_rad(150, 2, 4);
  const auto graphs = ntk_graphs(data, 6);
  const vlc::SparseMatrixD omega = vlc::union_pattern(graphs);
  const vlc::SparseMatrixD s = vlc::symmetric_normalize(graphs[0]);
  // A random symmetric X on Ω.
  vlc::SparseMatrixD x = omega;
  vlc::Random rng(8);
  for (int i = 0; i < x.outerSize(); ++i)
    for (vlc::SparseMatrixD::InnerIterator it(x, i); it; ++it)
      if (it.col() >= i) it.valueRef() = rng.uniform();
  x = vlc::SparseMatrixD(x.triangularView<Eigen::Upper>()) +
      vlc::SparseMatrixD(vlc::SparseMatrixD(x.triangularView<Eigen::StrictlyUpper>()).transpose());
  const vlc::SparseMatrixD got = vlc::masked_sandwich(s, x, omega);
  const Eigen::MatrixXd sd(s), xd(x);
  const Eigen::MatrixXd dense = sd * xd * sd;
  double worst = 0;
  for (int i = 0; i < got.outerSize(); ++i)
    for (vlc::SparseMatrixD::InnerIterator it(got, i); it; ++it)
      worst = std::max(worst, std::abs(it.value() - dense(i, it.col())));
  REQUIRE(got.nonZeros() == omega.nonZeros());
  REQUIRE(worst <= 1e-13);
}

TEST_CASE("RAD on a complete pattern equals the dense iteration", "[rad]") {
  // With q = M−1 every pair is a mutual neighbour, Ω is everything and the mask changes nothing.
  auto data = data_for_rad(40, 3, 6);
  // A shared direction makes every cosine, hence every NTK value, positive: no edge is
  // dropped as non-positive, so the pattern really is complete.
  for (int i = 0; i < 40; ++i) {
    data.images.row(i) += 2.0f * data.images.row(0);
    data.images.row(i).normalize();
  }
  const auto graphs = ntk_graphs(data, 39);
  REQUIRE(vlc::union_pattern(graphs).nonZeros() == 40 * 40);
  // Fixed iteration counts (tolerances 0): otherwise a stopping test that lands within rounding
  // of its threshold could stop one implementation a round earlier than the other.
  vlc::RadOptions o;
  o.outer_tol = 0;
  o.inner_tol = 0;
  o.max_outer = 4;
  o.max_inner = 12;
  const vlc::RadResult got = vlc::rad(graphs, o);
  std::vector<Eigen::MatrixXd> dense_graphs;
  for (const auto& g : graphs) dense_graphs.emplace_back(g);
  // The reference states the paper's objective; per image (RadOptions::per_image) is it with λ·M.
  const double lambda_total = o.lambda * static_cast<double>(graphs[0].rows());
  const auto want = vlc::ref::rad(dense_graphs, o.mu, lambda_total, o.max_outer, o.outer_tol, o.max_inner, o.inner_tol);
  const Eigen::MatrixXd a(got.affinity);
  const double diff = (a - want.affinity).cwiseAbs().maxCoeff();
  INFO("max |Â_masked − Â_dense| = " << diff);
  REQUIRE(diff <= 1e-10);
  REQUIRE((got.beta - want.beta).cwiseAbs().maxCoeff() <= 1e-10);
  REQUIRE(got.beta.sum() == Approx(1.0).margin(1e-12));
}

TEST_CASE("masked RAD stays close to the dense iteration on sparse kNN graphs", "[rad]") {
  // The masked iteration drops Â's mass outside Ω, so it is an approximation: we assert the
  // clusterings agree and report the size of the difference on Ω.
  const auto data = data_for_rad(400, 3, 12);
  const auto graphs = ntk_graphs(data, 15);
  vlc::RadOptions o;
  const vlc::RadResult masked = vlc::rad(graphs, o);
  std::vector<Eigen::MatrixXd> dense_graphs;
  for (const auto& g : graphs) dense_graphs.emplace_back(g);
  const auto dense = vlc::ref::rad(dense_graphs, o.mu, o.lambda * static_cast<double>(graphs[0].rows()), o.max_outer,
                                   o.outer_tol, o.max_inner, o.inner_tol);

  double worst = 0, scale = 0;
  for (int i = 0; i < masked.affinity.outerSize(); ++i)
    for (vlc::SparseMatrixD::InnerIterator it(masked.affinity, i); it; ++it) {
      worst = std::max(worst, std::abs(it.value() - dense.affinity(i, it.col())));
      scale = std::max(scale, std::abs(dense.affinity(i, it.col())));
    }
  vlc::SpectralOptions so;
  so.k = 4;
  const vlc::Labels a = vlc::spectral_clustering(masked.affinity, so);
  const vlc::Labels b = vlc::spectral_clustering(vlc::SparseMatrixD(dense.affinity.sparseView()), so);
  const double agreement = vlc::ari(a, b);
  const double acc_masked = vlc::accuracy(data.truth, a), acc_dense = vlc::accuracy(data.truth, b);
  std::printf("[rad] masked vs dense on Ω: max abs diff %.3g (max entry %.3g), beta diff %.3g, ARI between "
              "them %.4f, ACC masked %.4f dense %.4f\n",
              worst, scale, (masked.beta - dense.beta).cwiseAbs().maxCoeff(), agreement, acc_masked, acc_dense);
  REQUIRE(acc_masked >= acc_dense - 0.02);
  REQUIRE(agreement >= 0.85);
  REQUIRE(worst <= 0.25 * scale);
  REQUIRE((masked.beta - dense.beta).cwiseAbs().maxCoeff() <= 0.1);
}

TEST_CASE("RAD returns a symmetric affinity with β on the simplex", "[rad]") {
  const auto data = data_for_rad(300, 5, 14);
  const auto graphs = ntk_graphs(data, 10);
  const vlc::RadResult r = vlc::rad(graphs);
  const Eigen::MatrixXd a(r.affinity);
  REQUIRE((a - a.transpose()).cwiseAbs().maxCoeff() == 0.0);
  REQUIRE(r.beta.size() == 5);
  REQUIRE(r.beta.minCoeff() >= 0);
  REQUIRE(r.beta.sum() == Approx(1.0).margin(1e-12));
  REQUIRE(r.outer_iterations >= 1);
  REQUIRE(r.objective.size() == static_cast<std::size_t>(r.outer_iterations) + 1);
}

TEST_CASE("masked sandwich by row ranges (the MPI build's split) equals the whole product bit for bit", "[rad]") {
  const auto data = data_for_rad(150, 2, 5);
  const auto graphs = ntk_graphs(data, 6);
  const vlc::SparseMatrixD omega = vlc::union_pattern(graphs);
  const vlc::SparseMatrixD s = vlc::symmetric_normalize(graphs[1]);
  std::vector<double> x(omega.nonZeros());
  vlc::Random rng(9);
  for (double& v : x) v = rng.uniform();
  const std::size_t n = x.size();
  std::vector<double> whole(n, -1), parts(n, -1), whole_upper(n, -1), parts_upper(n, -1);
  vlc::masked_sandwich_values(s, omega, x.data(), whole.data());
  vlc::masked_sandwich_upper_values(s, omega, x.data(), whole_upper.data());
  const int cuts[] = {0, 1, 77, 150};
  for (int c = 0; c + 1 < 4; ++c) {
    vlc::masked_sandwich_values(s, omega, x.data(), parts.data(), cuts[c], cuts[c + 1]);
    vlc::masked_sandwich_upper_values(s, omega, x.data(), parts_upper.data(), cuts[c], cuts[c + 1]);
  }
  REQUIRE(parts == whole);              // every position written, each as in the whole run
  REQUIRE(parts_upper == whole_upper);  // the lower positions untouched in both (−1)
  REQUIRE_THROWS_WITH(vlc::masked_sandwich_values(s, omega, x.data(), parts.data(), 10, 151),
                      Catch::Contains("rows [10, 151) are not within the 150 rows"));
}
