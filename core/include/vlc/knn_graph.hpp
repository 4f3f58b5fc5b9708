// The mutual-kNN frame shared by every affinity (§2): tiled top-q per row, then mutual
// neighbours, then the isolated-node rule. Never holds more than one tile of similarities.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

// q neighbours per row, best first (larger value first, ties by smaller index). Self excluded.
struct Neighbours {
  int rows = 0;
  int q = 0;
  std::vector<int> index;     // rows×q, row-major
  std::vector<float> value;   // the similarity of each neighbour
  const int* row_index(int i) const { return index.data() + static_cast<std::size_t>(i) * q; }
  const float* row_value(int i) const { return value.data() + static_cast<std::size_t>(i) * q; }
};

struct GraphStats {
  std::int64_t nodes = 0;
  std::int64_t edges = 0;          // undirected edges with positive weight
  std::int64_t rescued = 0;        // nodes with no mutual neighbour that kept their best edge
  std::int64_t isolated = 0;       // nodes whose degree is still zero (all similarities ≤ 0)
};

// Fills out (rows [begin,end) × all M columns, row-major) with similarities of those rows.
using TileFunction = std::function<void(int begin, int end, RowMatrixF& out)>;

// Runs tile by tile over M rows and keeps a running top-q per row. Memory O(tile·M + M·q).
Neighbours top_q_tiled(int m, int q, const TileFunction& tile, int tile_rows = 256);

// Keeps the q best of one row of similarities (self = `self` excluded), best first.
void top_q_of_row(const float* row, int m, int self, int q, int* out_index, float* out_value);

// A[i,j] = weight(value) when j ∈ N_q(i) and i ∈ N_q(j); isolated-node rule; symmetric, zero
// diagonal. weight maps a similarity to an edge weight (NTK: max(K,0); RBF: exp(...)).
SparseMatrixD mutual_knn(const Neighbours& nbrs, const std::function<double(float)>& weight,
                         GraphStats* stats = nullptr);

}  // namespace vlc
