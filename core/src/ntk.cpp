#include "vlc/ntk.hpp"
#include <algorithm>
#include <cmath>
#include "vlc/backend.hpp"
#include "vlc/device_math.hpp"
#include "vlc/error.hpp"
#include "vlc/parallel.hpp"

namespace vlc {

RowMatrixF semantic_softmax(const RowMatrixF& images, const RowMatrixF& nouns, double tau) {
  require(tau > 0, "NTK: temperature tau must be positive, got ", tau);
  require(images.cols() == nouns.cols(), "NTK: images have dimension ", images.cols(), " but nouns have ",
          nouns.cols());
  require(nouns.rows() >= 1, "NTK: no nouns to anchor the affinity (empty positive set)");
  RowMatrixF soft = images * nouns.transpose();  // M×N logits·τ (blocked GEMM)
  const float inv_tau = static_cast<float>(1.0 / tau);
  parallel_for(0, soft.rows(), [&](std::int64_t i) {
    auto row = soft.row(i);
    // Eq. 7 with the row max subtracted (device_math.hpp, shared with the CUDA kernel).
    dm::softmax_row(row.data(), static_cast<int>(row.size()), inv_tau);
  });
  return soft;
}

void semantic_softmax_rows(const RowMatrixF& images, const RowMatrixF& nouns, Eigen::Index begin, Eigen::Index rows,
                           float inv_tau, RowMatrixF& out) {
  out.noalias() = images.middleRows(begin, rows) * nouns.transpose();
  for (Eigen::Index r = 0; r < rows; ++r) dm::softmax_row(out.row(r).data(), static_cast<int>(out.cols()), inv_tau);
}

RowMatrixF semantic_softmax_blocked(const RowMatrixF& images, const RowMatrixF& nouns, double tau) {
  const Eigen::Index m = images.rows();
  const float inv_tau = static_cast<float>(1.0 / tau);
  RowMatrixF soft;
  resize_safely(soft, m, nouns.rows());
  const std::int64_t blocks = (m + kSoftmaxBlock - 1) / kSoftmaxBlock;
  parallel_tasks(blocks, [&](std::int64_t blk) {
    const Eigen::Index b0 = blk * kSoftmaxBlock;
    const Eigen::Index rows = std::min<Eigen::Index>(kSoftmaxBlock, m - b0);
    RowMatrixF part;
    semantic_softmax_rows(images, nouns, b0, rows, inv_tau, part);
    soft.middleRows(b0, rows) = part;
  });
  return soft;
}

void ntk_tile(const RowMatrixF& images, const RowMatrixF& soft, double tau, int begin, int end, RowMatrixF& out) {
  const int rows = end - begin;
  // Eq. 8: K = (1/τ²) · U ⊙ V with U = Z Zᵀ (visual proximity) and V = S Sᵀ (semantic overlap).
  out.noalias() = images.middleRows(begin, rows) * images.transpose();
  RowMatrixF overlap = soft.middleRows(begin, rows) * soft.transpose();
  const float scale = static_cast<float>(1.0 / (tau * tau));
  float* k = out.data();
  const float* v = overlap.data();
  for (Eigen::Index t = 0; t < out.size(); ++t) k[t] = dm::ntk_value(k[t], v[t], scale);
}

Neighbours ntk_neighbours(const RowMatrixF& images, const RowMatrixF& nouns, const NtkOptions& o) {
  const RowMatrixF soft = semantic_softmax(images, nouns, o.tau);
  const int m = static_cast<int>(images.rows());
  return top_q_tiled(
      m, o.q, [&](int begin, int end, RowMatrixF& out) { ntk_tile(images, soft, o.tau, begin, end, out); },
      o.tile_rows);
}

SparseMatrixD ntk_affinity(const RowMatrixF& images, const RowMatrixF& nouns, const NtkOptions& o,
                           GraphStats* stats) {
  const Neighbours nbrs = o.backend ? o.backend->ntk_neighbours(images, nouns, o) : ntk_neighbours(images, nouns, o);
  return mutual_knn(nbrs, [](float k) { return std::max(0.0, static_cast<double>(k)); }, stats);
}

}  // namespace vlc
