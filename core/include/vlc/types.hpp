// Shared matrix and graph types of the vlcluster core.
#pragma once
#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <cstdint>
#include <vector>

namespace vlc {

// Row-major so that one embedding is one contiguous row, as in .npy files and typed arrays.
using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using VectorD = Eigen::VectorXd;

// Sparse affinities are CSR (row-major) so that a row is a node's neighbourhood.
using SparseMatrixD = Eigen::SparseMatrix<double, Eigen::RowMajor, int>;

using Labels = std::vector<int>;

// Resize a reused matrix so that running out of memory cannot corrupt it. Eigen 3.4's resize
// frees the old buffer, then allocates the new one, and keeps the freed pointer when that
// allocation throws, so the destructor frees it a second time (seen as a crash after the
// out-of-memory message from a thread_local scratch). Releasing first leaves a null buffer.
template <class Matrix>
void resize_safely(Matrix& m, Eigen::Index rows, Eigen::Index cols) {
  if (m.rows() * m.cols() != rows * cols) m = Matrix();
  m.resize(rows, cols);
}

}  // namespace vlc
