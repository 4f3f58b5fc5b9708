#include "vlc/baselines.hpp"
#include <algorithm>
#include <cmath>
#include "vlc/error.hpp"
#include "vlc/noun_filter.hpp"

namespace vlc {
namespace {

Neighbours cosine_neighbours(const RowMatrixF& images, int q) {
  return top_q_tiled(static_cast<int>(images.rows()), q, [&](int begin, int end, RowMatrixF& out) {
    out.noalias() = images.middleRows(begin, end - begin) * images.transpose();
  });
}

}  // namespace

SparseMatrixD cosine_affinity(const RowMatrixF& images, int q, GraphStats* stats) {
  return mutual_knn(cosine_neighbours(images, q), [](float c) { return std::max(0.0, static_cast<double>(c)); },
                    stats);
}

SparseMatrixD rbf_affinity(const RowMatrixF& images, int q, double tau_rbf, GraphStats* stats) {
  // Rows are unit length, so ‖z_i − z_j‖² = 2 − 2 z_i·z_j and the nearest neighbours by
  // distance are the most cosine-similar ones: one Gram tile serves both.
  const Neighbours nbrs = cosine_neighbours(images, q);
  if (tau_rbf <= 0) {
    double sum = 0;
    for (int i = 0; i < nbrs.rows; ++i) sum += 2.0 - 2.0 * nbrs.row_value(i)[q - 1];
    tau_rbf = std::max(sum / nbrs.rows, 1e-12);
  }
  const double scale = tau_rbf;
  return mutual_knn(
      nbrs, [scale](float c) { return std::exp(-std::max(0.0, 2.0 - 2.0 * static_cast<double>(c)) / scale); },
      stats);
}

SparseMatrixD mean_affinity(const std::vector<SparseMatrixD>& graphs) {
  require(!graphs.empty(), "mean affinity: no graphs (B = 0)");
  SparseMatrixD sum = graphs[0];
  for (std::size_t b = 1; b < graphs.size(); ++b) sum += graphs[b];
  sum *= 1.0 / static_cast<double>(graphs.size());  // Eq. 41
  return sum;
}

RowMatrixF prompt_ensemble(const std::vector<RowMatrixF>& kept_templates) {
  // Eq. 42 (W̄ = (1/B) Σ_b W^(b), rows renormalised) is §1's template ensemble on the kept nouns.
  return ensemble_nouns(kept_templates);
}

}  // namespace vlc
