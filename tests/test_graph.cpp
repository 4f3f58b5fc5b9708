// §2: the tiled NTK graph against the dense formulas.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include "support/dense_reference.hpp"
#include "vlc/baselines.hpp"
#include "vlc/knn_graph.hpp"
#include "vlc/ntk.hpp"
#include "vlc/random.hpp"
#include "vlc/synthetic.hpp"

namespace {

vlc::SyntheticData small_data(int m, std::uint64_t seed) {
  vlc::SyntheticOptions o;
  o.m = m;
  o.k = 6;
  o.d = 32;
  o.vocab = 40;
  o.templates = 2;
  o.seed = seed;
  return vlc::make_synthetic(o);
}

}  // namespace

TEST_CASE("NTK tile values equal the dense formula", "[ntk]") {
  const auto data = small_data(300, 3);
  const double tau = 0.04;
  const auto dense = vlc::ref::ntk_matrix(data.images, data.templates[0], tau);
  const vlc::RowMatrixF soft = vlc::semantic_softmax(data.images, data.templates[0], tau);
  REQUIRE(soft.rowwise().sum().minCoeff() == Approx(1.0).epsilon(1e-5));
  vlc::RowMatrixF tile;
  tile.resize(50, 300);
  vlc::ntk_tile(data.images, soft, tau, 100, 150, tile);
  // float GEMM against double: relative tolerance 1e-4 of the largest entry (K ≤ 1/τ² = 625).
  const double scale = dense.cwiseAbs().maxCoeff();
  double worst = 0;
  for (int i = 0; i < 50; ++i)
    for (int j = 0; j < 300; ++j) worst = std::max(worst, std::abs(tile(i, j) - dense(100 + i, j)));
  INFO("max |tile - dense| = " << worst << " of scale " << scale);
  REQUIRE(worst <= 1e-4 * scale);
}

TEST_CASE("tiled top-q selection equals a full stable sort, ties to the smaller index", "[ntk]") {
  // Quantised values create many exact ties; tiles of 7 rows exercise tile boundaries.
  const int m = 120, q = 9;
  vlc::Random rng(5);
  vlc::RowMatrixF full(m, m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) full(i, j) = static_cast<float>(rng.below(6));
  const auto nbrs = vlc::top_q_tiled(
      m, q, [&](int b, int e, vlc::RowMatrixF& out) { out = full.middleRows(b, e - b); }, 7);
  const auto expected = vlc::ref::sorted_neighbours(full.cast<double>(), q);
  for (int i = 0; i < m; ++i) {
    std::vector<int> got(nbrs.row_index(i), nbrs.row_index(i) + q);
    REQUIRE(got == expected[i]);
    REQUIRE(std::find(got.begin(), got.end(), i) == got.end());
  }
}

TEST_CASE("NTK neighbour lists equal the dense sort up to float near-ties", "[ntk]") {
  const auto data = small_data(400, 7);
  vlc::NtkOptions o;
  o.q = 12;
  o.tile_rows = 64;
  const auto nbrs = vlc::ntk_neighbours(data.images, data.templates[1], o);
  const auto dense = vlc::ref::ntk_matrix(data.images, data.templates[1], o.tau);
  const auto expected = vlc::ref::sorted_neighbours(dense, o.q);
  int identical_rows = 0;
  for (int i = 0; i < 400; ++i) {
    bool same = true;
    for (int t = 0; t < o.q; ++t) {
      const int got = nbrs.row_index(i)[t], want = expected[i][t];
      if (got != want) {
        same = false;
        // A different index is only acceptable as a float-rounding tie.
        REQUIRE(std::abs(dense(i, got) - dense(i, want)) <= 1e-4 * std::abs(dense(i, want)) + 1e-6);
      }
    }
    identical_rows += same;
  }
  INFO("identical rows: " << identical_rows << " / 400");
  REQUIRE(identical_rows >= 396);
}

TEST_CASE("mutual kNN is symmetric, zero-diagonal and keeps only mutual edges", "[ntk]") {
  const auto data = small_data(300, 11);
  vlc::NtkOptions o;
  o.q = 10;
  const auto nbrs = vlc::ntk_neighbours(data.images, data.templates[0], o);
  vlc::GraphStats stats;
  const vlc::SparseMatrixD a = vlc::ntk_affinity(data.images, data.templates[0], o, &stats);
  const Eigen::MatrixXd dense(a);
  REQUIRE((dense - dense.transpose()).cwiseAbs().maxCoeff() == 0.0);
  REQUIRE(dense.diagonal().cwiseAbs().maxCoeff() == 0.0);
  auto listed = [&](int i, int j) {
    const int* first = nbrs.row_index(i);
    return std::find(first, first + o.q, j) != first + o.q;
  };
  for (int i = 0; i < 300; ++i)
    for (int j = 0; j < 300; ++j) {
      if (dense(i, j) == 0) continue;
      const bool mutual = listed(i, j) && listed(j, i);
      const bool rescue = nbrs.row_index(i)[0] == j || nbrs.row_index(j)[0] == i;
      REQUIRE((mutual || rescue));
      REQUIRE(dense(i, j) > 0);
    }
  REQUIRE(stats.edges == a.nonZeros() / 2);
  REQUIRE(stats.isolated == 0);
}

TEST_CASE("a node with no mutual neighbour keeps its single best edge", "[ntk]") {
  // Three tight groups plus one outlier: nobody lists the outlier, so it is rescued.
  vlc::RowMatrixF x = vlc::ref::random_unit_rows(31, 16, 9);
  const vlc::RowMatrixF centres = vlc::ref::random_unit_rows(3, 16, 10);
  for (int i = 0; i < 30; ++i) x.row(i) = (centres.row(i % 3) + 0.1f * x.row(i)).normalized();
  const int outlier = 30;
  vlc::GraphStats stats;
  const vlc::SparseMatrixD a = vlc::cosine_affinity(x, 4, &stats);
  const auto nbrs = vlc::top_q_tiled(31, 4, [&](int b, int e, vlc::RowMatrixF& out) {
    out = x.middleRows(b, e - b) * x.transpose();
  });
  REQUIRE(stats.rescued >= 1);
  const int best = nbrs.row_index(outlier)[0];
  REQUIRE(a.row(outlier).nonZeros() <= 1);
  if (nbrs.row_value(outlier)[0] > 0) {
    REQUIRE(a.row(outlier).nonZeros() == 1);
    REQUIRE(a.coeff(outlier, best) > 0);
    REQUIRE(a.coeff(best, outlier) == a.coeff(outlier, best));
  }
}

TEST_CASE("RBF and cosine graphs share the cosine neighbours", "[ntk]") {
  const auto data = small_data(200, 13);
  const vlc::SparseMatrixD c = vlc::cosine_affinity(data.images, 8);
  const vlc::SparseMatrixD r = vlc::rbf_affinity(data.images, 8, 0.5);
  REQUIRE(c.nonZeros() == r.nonZeros());
  for (int i = 0; i < c.outerSize(); ++i)
    for (vlc::SparseMatrixD::InnerIterator it(c, i); it; ++it) {
      const double expected = std::exp(-(2.0 - 2.0 * it.value()) / 0.5);
      REQUIRE(r.coeff(i, it.col()) == Approx(expected).epsilon(1e-6));
    }
}
