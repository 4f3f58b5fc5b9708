// §2: the ε-sparse exact NTK path (ntk_sparse.hpp) against the dense tile computation.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <limits>
#include "support/dense_reference.hpp"
#include "vlc/ntk.hpp"
#include "vlc/ntk_sparse.hpp"
#include "vlc/synthetic.hpp"

namespace {

vlc::SyntheticData peaked_data(int m, int k, std::uint64_t seed) {
  vlc::SyntheticOptions o;
  o.m = m;
  o.k = k;
  o.d = 96;
  o.vocab = 160;
  o.templates = 3;
  o.seed = seed;
  return vlc::make_synthetic(o);
}

// Compares the sparse lists of every template with the dense tile lists (ntk_neighbours):
// a different index is accepted only as a float near-tie of the double-precision K.
// Returns the number of rows that are identical.
int compare_with_dense(const vlc::SyntheticData& data, const std::vector<vlc::Neighbours>& sparse, int q, int b,
                       double tau) {
  vlc::NtkOptions o;
  o.q = q;
  o.tau = tau;
  const vlc::Neighbours dense = vlc::ntk_neighbours(data.images, data.templates[b], o);
  const auto exact = vlc::ref::ntk_matrix(data.images, data.templates[b], tau);
  const int m = dense.rows;
  int identical = 0;
  for (int i = 0; i < m; ++i) {
    bool same = true;
    for (int t = 0; t < q; ++t) {
      const int got = sparse[b].row_index(i)[t], want = dense.row_index(i)[t];
      REQUIRE(got != i);
      if (got == want) continue;
      same = false;
      INFO("template " << b << " row " << i << " rank " << t << ": sparse " << got << " (K " << exact(i, got)
                       << ") dense " << want << " (K " << exact(i, want) << ")");
      REQUIRE(std::abs(exact(i, got) - exact(i, want)) <= 1e-4 * std::abs(exact(i, want)) + 1e-5);
    }
    identical += same;
  }
  return identical;
}

}  // namespace

TEST_CASE("ε-sparse NTK lists equal the dense tile lists on peaked data", "[ntk][ntk-sparse]") {
  const auto data = peaked_data(900, 12, 31);
  vlc::SparseNtkOptions o;
  o.q = 15;
  o.block_rows = 50;  // several blocks, and blocks that straddle two top nouns
  std::vector<vlc::SparseNtkStats> stats;
  const auto sparse = vlc::ntk_neighbours_sparse(data.images, data.templates, o, &stats);
  REQUIRE(sparse.size() == data.templates.size());
  for (int b = 0; b < 3; ++b) {
    const int identical = compare_with_dense(data, sparse, o.q, b, o.tau);
    std::printf("[ntk-sparse] template %d: %d/900 rows identical to the dense tiles, %lld fallback rows, "
                "%lld candidate pairs (dense: %d), %.2f candidate nouns/row, m_max %.2g\n",
                b, identical, static_cast<long long>(stats[b].fallback_rows),
                static_cast<long long>(stats[b].candidate_pairs), 900 * 899, stats[b].mean_candidate_nouns,
                stats[b].max_dropped);
    REQUIRE(identical >= 890);
    // The sparse path really is sparse here: few fallbacks, far fewer pairs than M².
    REQUIRE(stats[b].fallback_rows <= 90);
    REQUIRE(stats[b].candidate_pairs < 900LL * 899 / 3);
    REQUIRE(stats[b].max_dropped <= o.epsilon);
  }
}

TEST_CASE("ε-sparse NTK: rows that cannot be proven fall back to the dense tiles", "[ntk][ntk-sparse]") {
  const auto data = peaked_data(500, 6, 32);
  SECTION("a loose ε (0.45) makes the bound loose: many rows fall back, lists still equal") {
    vlc::SparseNtkOptions o;
    o.q = 10;
    o.epsilon = 0.45;
    o.value_epsilon = 1e-7;
    std::vector<vlc::SparseNtkStats> stats;
    const auto sparse = vlc::ntk_neighbours_sparse(data.images, data.templates, o, &stats);
    for (int b = 0; b < 3; ++b) {
      std::printf("[ntk-sparse] ε = 0.45, template %d: %lld/500 fallback rows\n", b,
                  static_cast<long long>(stats[b].fallback_rows));
      REQUIRE(stats[b].fallback_rows > 0);
      REQUIRE(compare_with_dense(data, sparse, o.q, b, o.tau) >= 495);
    }
  }
  SECTION("every row through the fallback") {
    vlc::SparseNtkOptions o;
    o.q = 10;
    o.force_dense = true;
    o.fallback_columns = 77;  // column blocks that do not divide M
    std::vector<vlc::SparseNtkStats> stats;
    const auto sparse = vlc::ntk_neighbours_sparse(data.images, data.templates, o, &stats);
    for (int b = 0; b < 3; ++b) {
      REQUIRE(stats[b].fallback_rows == 500);
      REQUIRE(compare_with_dense(data, sparse, o.q, b, o.tau) >= 495);
    }
  }
}

TEST_CASE("flat softmaxes take the dense tiles: the dense tile lists, every row and pair counted",
          "[ntk][ntk-sparse][ntk-dense]") {
  // τ = 0.5 on this data: every noun stays above ε for every image, so the walk would visit
  // each pair once per noun (its estimate ≈ N = 160 ≥ dense_walk).
  const auto data = peaked_data(600, 8, 35);
  vlc::SparseNtkOptions o;
  o.q = 12;
  o.tau = 0.5;
  REQUIRE(vlc::estimated_sparse_walk(data.images, data.templates, o.tau, o.epsilon) >= o.dense_walk);
  std::vector<vlc::SparseNtkStats> stats;
  const auto tiles = vlc::ntk_neighbours_sparse(data.images, data.templates, o, &stats);
  REQUIRE(tiles.size() == data.templates.size());
  for (std::size_t b = 0; b < tiles.size(); ++b) {
    INFO("template " << b);
    REQUIRE(stats[b].fallback_rows == 600);
    REQUIRE(stats[b].candidate_pairs == 600LL * 599);
    REQUIRE_FALSE(stats[b].approximate);
    REQUIRE(compare_with_dense(data, tiles, o.q, static_cast<int>(b), o.tau) >= 594);
  }
  // The walk on the same data (dense_walk = ∞) gives the same lists up to near-ties.
  vlc::SparseNtkOptions walk = o;
  walk.dense_walk = std::numeric_limits<double>::infinity();
  std::vector<vlc::SparseNtkStats> walk_stats;
  const auto walked = vlc::ntk_neighbours_sparse(data.images, data.templates, walk, &walk_stats);
  for (std::size_t b = 0; b < tiles.size(); ++b) {
    REQUIRE(walk_stats[b].fallback_rows < 600);  // proven by the walk, not the tiles
    REQUIRE(compare_with_dense(data, walked, o.q, static_cast<int>(b), o.tau) >= 594);
  }
  // Row blocks (the MPI build's split), one of a single row: each row's list is the whole run's.
  // As in the ε-sparse split above, a tile's GEMM has other rows beside a row than in the whole
  // run, so a value may move by a few ulps and an index swap with an equal-K neighbour.
  const int cuts[] = {0, 255, 256, 413, 600};
  int swapped = 0, compared = 0;
  for (int c = 0; c + 1 < 5; ++c) {
    vlc::SparseNtkOptions part_o = o;
    part_o.row_begin = cuts[c];
    part_o.row_end = cuts[c + 1];
    const auto part = vlc::ntk_neighbours_sparse(data.images, data.templates, part_o);
    for (std::size_t b = 0; b < tiles.size(); ++b)
      for (int i = 0; i < 600; ++i) {
        INFO("cut " << c << " template " << b << " row " << i);
        const bool inside = i >= cuts[c] && i < cuts[c + 1];
        for (int t = 0; t < o.q; ++t) {
          if (!inside) {
            REQUIRE(part[b].row_index(i)[t] == -1);
            continue;
          }
          REQUIRE(part[b].row_value(i)[t] == Approx(tiles[b].row_value(i)[t]).epsilon(1e-5));
          swapped += part[b].row_index(i)[t] != tiles[b].row_index(i)[t];
          ++compared;
        }
      }
  }
  INFO(swapped << " of " << compared << " list entries swapped with an equal-K neighbour");
  REQUIRE(swapped <= compared / 1000);
  vlc::SparseNtkOptions bad = o;
  bad.dense_walk = -1;
  REQUIRE_THROWS_WITH(vlc::ntk_neighbours_sparse(data.images, data.templates, bad),
                      Catch::Contains("dense_walk = -1 must not be negative"));
}

TEST_CASE("ntk_affinities gives one mutual-kNN graph per template", "[ntk][ntk-sparse]") {
  const auto data = peaked_data(400, 8, 33);
  vlc::NtkOptions o;
  o.q = 12;
  std::vector<vlc::GraphStats> stats;
  const auto graphs = vlc::ntk_affinities(data.images, data.templates, o, &stats);
  REQUIRE(graphs.size() == 3);
  REQUIRE(stats.size() == 3);
  for (int b = 0; b < 3; ++b) {
    const vlc::SparseMatrixD dense = vlc::ntk_affinity(data.images, data.templates[b], o);
    // Same pattern up to float near-ties; values within float rounding.
    const Eigen::MatrixXd a(graphs[b]), e(dense);
    REQUIRE((a - a.transpose()).cwiseAbs().maxCoeff() == 0.0);
    const double scale = e.cwiseAbs().maxCoeff();
    int differing = 0;
    for (int i = 0; i < 400; ++i)
      for (int j = 0; j < 400; ++j) {
        if ((a(i, j) > 0) != (e(i, j) > 0)) {
          ++differing;
        } else if (a(i, j) > 0) {
          REQUIRE(std::abs(a(i, j) - e(i, j)) <= 1e-4 * scale);
        }
      }
    REQUIRE(differing <= 8);
    REQUIRE(stats[b].edges == graphs[b].nonZeros() / 2);
  }
}

TEST_CASE("ε-sparse NTK by row blocks (the MPI build's split) gives the whole run's lists to float rounding",
          "[ntk][ntk-sparse]") {
  const auto data = peaked_data(500, 6, 33);
  for (const double epsilon : {1e-4, 0.45}) {  // 0.45: many rows through the dense fallback too
    vlc::SparseNtkOptions o;
    o.q = 10;
    o.epsilon = epsilon;
    o.value_epsilon = 1e-7;
    o.block_rows = 40;
    const auto whole = vlc::ntk_neighbours_sparse(data.images, data.templates, o);
    std::vector<vlc::SparseNtkStats> whole_stats;
    vlc::ntk_neighbours_sparse(data.images, data.templates, o, &whole_stats);
    std::vector<std::int64_t> fallback(data.templates.size(), 0);
    int swapped = 0, compared = 0;
    const int cuts[] = {0, 170, 171, 333, 500};  // one block of a single row
    for (int c = 0; c + 1 < 5; ++c) {
      o.row_begin = cuts[c];
      o.row_end = cuts[c + 1];
      std::vector<vlc::SparseNtkStats> stats;
      const auto part = vlc::ntk_neighbours_sparse(data.images, data.templates, o, &stats);
      for (std::size_t b = 0; b < whole.size(); ++b) {
        fallback[b] += stats[b].fallback_rows;
        for (int i = 0; i < 500; ++i)
          for (int t = 0; t < o.q; ++t) {
            INFO("ε " << epsilon << " template " << b << " row " << i << " rank " << t);
            const bool inside = i >= cuts[c] && i < cuts[c + 1];
            if (!inside) {
              REQUIRE(part[b].row_index(i)[t] == -1);
              continue;
            }
            // A block's Gram GEMM has other rows beside it than in the whole run, which can
            // change a float cosine in its last bit; K grows like exp(cos/τ), so one ulp
            // (6e-8) becomes 6e-8/τ = 1.5e-6 relative (seen: 393.43448 vs 393.43445 natively,
            // 240.42429 vs 240.42400 in WASM, whose GEMM blocks differently). Values agree to
            // a few such ulps (1e-5), and an index may swap with a neighbour of equal K only.
            REQUIRE(part[b].row_value(i)[t] == Approx(whole[b].row_value(i)[t]).epsilon(1e-5));
            swapped += part[b].row_index(i)[t] != whole[b].row_index(i)[t];
            ++compared;
          }
      }
    }
    INFO("ε " << epsilon << ": " << swapped << " of " << compared << " list entries swapped with an equal-K neighbour");
    REQUIRE(swapped <= compared / 1000);
    for (std::size_t b = 0; b < whole.size(); ++b) REQUIRE(fallback[b] == whole_stats[b].fallback_rows);
  }
  vlc::SparseNtkOptions bad;
  bad.q = 10;
  bad.row_begin = 400;
  bad.row_end = 501;
  REQUIRE_THROWS_WITH(vlc::ntk_neighbours_sparse(data.images, data.templates, bad),
                      Catch::Contains("rows [400, 501) are not within the M = 500 images"));
}
