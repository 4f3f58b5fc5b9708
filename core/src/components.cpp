#include "vlc/components.hpp"
#include <algorithm>
#include <numeric>

namespace vlc {

Components connected_components(const SparseMatrixD& a) {
  const int m = static_cast<int>(a.rows());
  std::vector<int> raw(m, -1);
  std::vector<int> raw_size, first_node, stack;
  for (int start = 0; start < m; ++start) {
    if (raw[start] >= 0) continue;
    const int id = static_cast<int>(raw_size.size());
    raw_size.push_back(0);
    first_node.push_back(start);
    raw[start] = id;
    stack.assign(1, start);
    while (!stack.empty()) {
      const int i = stack.back();
      stack.pop_back();
      ++raw_size[id];
      for (SparseMatrixD::InnerIterator it(a, i); it; ++it)
        if (it.value() > 0 && raw[it.col()] < 0) {
          raw[it.col()] = id;
          stack.push_back(static_cast<int>(it.col()));
        }
    }
  }
  // Renumber by decreasing size (ties: earliest first node) so that ids do not depend on
  // traversal details and "the largest components" is a prefix.
  std::vector<int> order(raw_size.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int x, int y) {
    return raw_size[x] != raw_size[y] ? raw_size[x] > raw_size[y] : first_node[x] < first_node[y];
  });
  std::vector<int> rank(order.size());
  for (std::size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<int>(r);
  Components c;
  c.count = static_cast<int>(order.size());
  c.of.resize(m);
  for (int i = 0; i < m; ++i) c.of[i] = rank[raw[i]];
  c.size.resize(order.size());
  for (std::size_t r = 0; r < order.size(); ++r) c.size[r] = raw_size[order[r]];
  return c;
}

}  // namespace vlc
