#include "vlc/duplicates.hpp"
#include <algorithm>
#include <numeric>
#include "vlc/error.hpp"
#include "vlc/random.hpp"

namespace vlc {
namespace {

int find_root(std::vector<int>& parent, int i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

void unite(std::vector<int>& parent, int a, int b) {
  a = find_root(parent, a);
  b = find_root(parent, b);
  if (a != b) parent[std::max(a, b)] = std::min(a, b);  // the smaller index stays the root
}

// One table: each row's `bits`-bit code from the signs of its projections on random directions.
std::vector<std::uint32_t> hash_codes(const RowMatrixF& centred, int bits, Random& rng) {
  RowMatrixF planes(bits, centred.cols());
  for (Eigen::Index r = 0; r < planes.rows(); ++r)
    for (Eigen::Index c = 0; c < planes.cols(); ++c) planes(r, c) = static_cast<float>(rng.normal());
  const RowMatrixF proj = centred * planes.transpose();
  std::vector<std::uint32_t> code(static_cast<std::size_t>(centred.rows()), 0);
  for (Eigen::Index i = 0; i < proj.rows(); ++i)
    for (int b = 0; b < bits; ++b)
      if (proj(i, b) > 0) code[i] |= 1u << b;
  return code;
}

}  // namespace

Duplicates find_duplicates(const RowMatrixF& z, const DuplicateOptions& o) {
  require(o.cosine > 0 && o.cosine <= 1, "duplicates: cosine = ", o.cosine, " must be in (0, 1]");
  require(o.tables >= 1 && o.bits >= 1 && o.bits <= 30, "duplicates: tables ≥ 1 and bits in 1..30 (got ", o.tables,
          ", ", o.bits, ")");
  const int m = static_cast<int>(z.rows());
  std::vector<int> parent(m);
  std::iota(parent.begin(), parent.end(), 0);
  if (m >= 2) {
    // Centring removes the shared cone of CLIP embeddings, so the hyperplanes split the data.
    // Float, like the input: at M = 10⁶, d = 512 this copy is 2 GB.
    RowMatrixF centred = z;
    const Eigen::RowVectorXf mean = (z.cast<double>().colwise().sum() / double(m)).cast<float>();
    centred.rowwise() -= mean;
    Random rng(o.seed);
    std::vector<int> order(m);
    for (int t = 0; t < o.tables; ++t) {
      const std::vector<std::uint32_t> code = hash_codes(centred, o.bits, rng);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return code[a] < code[b]; });
      for (int begin = 0; begin < m;) {
        int end = begin + 1;
        while (end < m && code[order[end]] == code[order[begin]]) ++end;
        for (int x = begin; x < end; ++x)
          for (int y = x + 1; y < end; ++y) {
            const int i = order[x], j = order[y];
            if (find_root(parent, i) == find_root(parent, j)) continue;
            if (z.row(i).dot(z.row(j)) >= o.cosine) unite(parent, i, j);
          }
        begin = end;
      }
    }
  }
  Duplicates d;
  d.representative.resize(m);
  std::vector<int> group_of(m, -1);
  for (int i = 0; i < m; ++i) {
    const int r = find_root(parent, i);
    d.representative[i] = r;
    if (r == i) d.unique.push_back(i);
  }
  for (int i = 0; i < m; ++i) {
    const int r = d.representative[i];
    if (r == i) continue;
    if (group_of[r] < 0) {
      group_of[r] = static_cast<int>(d.groups.size());
      d.groups.push_back({r});
    }
    d.groups[group_of[r]].push_back(i);
  }
  std::sort(d.groups.begin(), d.groups.end());
  return d;
}

}  // namespace vlc
