#include "vlc/knn_graph.hpp"
#include <algorithm>
#include "vlc/device_math.hpp"
#include "vlc/error.hpp"
#include "vlc/parallel.hpp"

namespace vlc {

void top_q_of_row(const float* row, int m, int self, int q, int* out_index, float* out_value) {
  // A sorted running list, best first (device_math.hpp, shared with the CUDA kernel). Once
  // it is full, a candidate below the worst kept value costs one comparison (`worst` in a
  // register: the hot loop is as fast as the former bounded heap).
  int count = 0, j = 0;
  for (; j < m && count < q; ++j)
    if (j != self) dm::topq_insert(out_value, out_index, count, q, row[j], j);
  if (count < q) return;  // fewer than q candidates (callers require q < m)
  float worst = out_value[q - 1];
  for (; j < m; ++j)
    if (row[j] >= worst && j != self) {
      dm::topq_insert(out_value, out_index, count, q, row[j], j);
      worst = out_value[q - 1];
    }
}

Neighbours top_q_tiled(int m, int q, const TileFunction& tile, int tile_rows) {
  require(q >= 1, "neighbours: q = ", q, " must be at least 1");
  require(q < m, "neighbours: q = ", q, " must be smaller than the number of images M = ", m,
          " (a node has only M−1 possible neighbours); lower q");
  Neighbours nbrs;
  nbrs.rows = m;
  nbrs.q = q;
  nbrs.index.resize(static_cast<std::size_t>(m) * q);
  nbrs.value.resize(static_cast<std::size_t>(m) * q);
  tile_rows = std::max(1, tile_rows);
  RowMatrixF block;
  for (int begin = 0; begin < m; begin += tile_rows) {
    const int end = std::min(m, begin + tile_rows);
    block.resize(end - begin, m);
    tile(begin, end, block);
    parallel_for(begin, end, [&](std::int64_t i) {
      const std::size_t at = static_cast<std::size_t>(i) * q;
      top_q_of_row(block.row(i - begin).data(), m, static_cast<int>(i), q, nbrs.index.data() + at,
                   nbrs.value.data() + at);
    });
  }
  return nbrs;
}

SparseMatrixD mutual_knn(const Neighbours& nbrs, const std::function<double(float)>& weight, GraphStats* stats) {
  const int m = nbrs.rows, q = nbrs.q;
  // Sorted copies of each neighbour list make "is i a neighbour of j" a binary search.
  std::vector<int> sorted(nbrs.index);
  parallel_for(0, m, [&](std::int64_t i) {
    std::sort(sorted.begin() + i * q, sorted.begin() + (i + 1) * q);
  });
  auto has = [&](int row, int col) {
    auto first = sorted.begin() + static_cast<std::ptrdiff_t>(row) * q;
    return std::binary_search(first, first + q, col);
  };

  std::vector<Eigen::Triplet<double, int>> triplets;
  triplets.reserve(static_cast<std::size_t>(m) * q);
  std::vector<std::uint8_t> has_mutual(m, 0);
  for (int i = 0; i < m; ++i) {
    const int* idx = nbrs.row_index(i);
    const float* val = nbrs.row_value(i);
    for (int t = 0; t < q; ++t) {
      const int j = idx[t];
      if (!has(j, i)) continue;
      has_mutual[i] = 1;
      // Each pair is emitted once, from its smaller end, with that row's value, so A is
      // exactly symmetric even when tiles rounded K(i,j) and K(j,i) differently.
      if (i < j) {
        const double w = weight(val[t]);
        if (w > 0) {
          triplets.emplace_back(i, j, w);
          triplets.emplace_back(j, i, w);
        }
      }
    }
  }
  std::int64_t rescued = 0;
  for (int i = 0; i < m; ++i) {
    if (has_mutual[i]) continue;
    // Isolated-node rule (§2): keep the edge to the single best neighbour, symmetrically.
    const int j = nbrs.row_index(i)[0];
    const double w = weight(nbrs.row_value(i)[0]);
    ++rescued;
    if (w > 0) {
      triplets.emplace_back(i, j, w);
      triplets.emplace_back(j, i, w);
    }
  }
  SparseMatrixD a(m, m);
  a.setFromTriplets(triplets.begin(), triplets.end(), [](double x, double y) { return std::max(x, y); });
  a.makeCompressed();
  if (stats) {
    stats->nodes = m;
    stats->edges = a.nonZeros() / 2;
    stats->rescued = rescued;
    stats->isolated = 0;
    for (int i = 0; i < m; ++i)
      if (a.outerIndexPtr()[i + 1] == a.outerIndexPtr()[i]) ++stats->isolated;
  }
  return a;
}

}  // namespace vlc
