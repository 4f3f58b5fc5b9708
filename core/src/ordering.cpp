#include "vlc/ordering.hpp"
#include <algorithm>
#include <cstdlib>
#include "vlc/error.hpp"

namespace vlc {

std::vector<int> reverse_cuthill_mckee(const SparseMatrixD& pattern) {
  require(pattern.rows() == pattern.cols(), "ordering: pattern is ", pattern.rows(), "×", pattern.cols(),
          ", not square");
  const int m = static_cast<int>(pattern.rows());
  const int* outer = pattern.outerIndexPtr();
  const int* inner = pattern.innerIndexPtr();
  std::vector<int> degree(m);
  for (int i = 0; i < m; ++i) degree[i] = outer[i + 1] - outer[i];
  // Component starts: all nodes by increasing degree, so each component starts at a node of
  // least degree (a cheap stand-in for a pseudo-peripheral node).
  std::vector<int> by_degree(m);
  for (int i = 0; i < m; ++i) by_degree[i] = i;
  std::stable_sort(by_degree.begin(), by_degree.end(), [&](int a, int b) { return degree[a] < degree[b]; });

  std::vector<int> order;
  order.reserve(m);
  std::vector<char> seen(m, 0);
  std::vector<int> next;
  for (int start : by_degree) {
    if (seen[start]) continue;
    seen[start] = 1;
    std::size_t head = order.size();
    order.push_back(start);
    while (head < order.size()) {
      const int i = order[head++];
      next.clear();
      for (int p = outer[i]; p < outer[i + 1]; ++p)
        if (!seen[inner[p]]) {
          seen[inner[p]] = 1;
          next.push_back(inner[p]);
        }
      std::sort(next.begin(), next.end(),
                [&](int a, int b) { return degree[a] != degree[b] ? degree[a] < degree[b] : a < b; });
      order.insert(order.end(), next.begin(), next.end());
    }
  }
  std::vector<int> new_index(m);
  for (int t = 0; t < m; ++t) new_index[order[t]] = m - 1 - t;
  return new_index;
}

SparseMatrixD permute_symmetric(const SparseMatrixD& a, const std::vector<int>& new_index) {
  require(a.rows() == a.cols() && static_cast<Eigen::Index>(new_index.size()) == a.rows(),
          "ordering: permutation of ", new_index.size(), " entries for a ", a.rows(), "×", a.cols(), " matrix");
  std::vector<Eigen::Triplet<double, int>> triplets;
  triplets.reserve(a.nonZeros());
  for (int i = 0; i < a.outerSize(); ++i)
    for (SparseMatrixD::InnerIterator it(a, i); it; ++it)
      triplets.emplace_back(new_index[i], new_index[it.col()], it.value());
  SparseMatrixD b(a.rows(), a.cols());
  b.setFromTriplets(triplets.begin(), triplets.end());
  b.makeCompressed();
  return b;
}

int bandwidth(const SparseMatrixD& pattern, const std::vector<int>& new_index) {
  int width = 0;
  for (int i = 0; i < pattern.outerSize(); ++i)
    for (SparseMatrixD::InnerIterator it(pattern, i); it; ++it)
      width = std::max(width, std::abs(new_index[i] - new_index[it.col()]));
  return width;
}

}  // namespace vlc
