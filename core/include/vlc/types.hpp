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

}  // namespace vlc
