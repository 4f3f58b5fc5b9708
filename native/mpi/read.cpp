#include "read.hpp"
#include "npy.hpp"
#include "runtime.hpp"

namespace vlc::mpi {

RowMatrixF read_matrix_by_blocks(const std::string& path, const std::string& expected) {
  const npy::Array a = npy::open_matrix(path, expected);
  const std::int64_t m = a.shape()[0], d = a.shape()[1];
  RowMatrixF z(m, d);
  const int n = size();
  std::vector<std::int64_t> first(static_cast<std::size_t>(n) + 1, 0);
  for (int r = 0; r < n; ++r) first[r + 1] = row_block(m, r, n).end;
  const RowBlock own = row_block(m, rank(), n);
  a.copy_floats(own.begin * d, (own.end - own.begin) * d, z.data() + own.begin * d);
  allgather_blocks(z.data(), first, MPI_FLOAT, static_cast<int>(d));
  return z;
}

}  // namespace vlc::mpi
