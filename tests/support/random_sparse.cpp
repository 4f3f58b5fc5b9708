#include "support/random_sparse.hpp"
#include <random>
#include <vector>

namespace vlc {
namespace test {

SparseMatrixD random_symmetric(int m, int per_row, std::uint32_t seed, bool diagonal) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> col(0, m - 1);
  std::uniform_real_distribution<double> val(0.05, 1.0);
  std::vector<Eigen::Triplet<double, int>> t;
  for (int i = 0; i < m; ++i) {
    for (int r = 0; r < per_row; ++r) {
      const int j = col(rng);
      if (j == i) continue;
      const double v = val(rng);
      t.emplace_back(i, j, v);
      t.emplace_back(j, i, v);
    }
    if (diagonal) t.emplace_back(i, i, val(rng));
  }
  SparseMatrixD a(m, m);
  a.setFromTriplets(t.begin(), t.end(), [](double x, double) { return x; });  // first draw wins
  a.makeCompressed();
  return a;
}

}  // namespace test
}  // namespace vlc
