// The exact NTK lists by dense tiles (ntk_sparse.hpp, ntk_neighbours_dense): the path of flat
// softmaxes, where the ε-sparse walk would visit every pair once per shared noun.
#include <algorithm>
#include "vlc/device_math.hpp"
#include "vlc/ntk.hpp"
#include "vlc/ntk_sparse.hpp"
#include "vlc/parallel.hpp"

namespace vlc {
namespace {

// Tile shape: 256 rows × 2048 columns keeps a tile's U and one V in 4 MB (per thread), and the
// rows of a task fixed, so lists and values do not depend on the thread count.
constexpr int kTileRows = 256;
constexpr int kTileColumns = 2048;

}  // namespace

std::vector<Neighbours> ntk_neighbours_dense(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                             const SparseNtkOptions& o, std::vector<SparseNtkStats>* stats) {
  check_ntk_search_inputs(images, nouns, o);
  const int m = static_cast<int>(images.rows());
  const int nb = static_cast<int>(nouns.size());
  const int q = o.q;
  const float inv_tau2 = static_cast<float>(1.0 / (o.tau * o.tau));
  const int row_begin = o.row_begin, row_end = o.row_end < 0 ? m : o.row_end;
  const int n_rows = row_end - row_begin;

  std::vector<RowMatrixF> soft(nb);
  for (int b = 0; b < nb; ++b) soft[b] = semantic_softmax_blocked(images, nouns[b], o.tau);

  std::vector<Neighbours> out(nb);
  for (auto& nbrs : out) {
    nbrs.rows = m;
    nbrs.q = q;
    nbrs.index.assign(static_cast<std::size_t>(m) * q, -1);
    nbrs.value.assign(static_cast<std::size_t>(m) * q, 0.0f);
  }
  const int tasks = (n_rows + kTileRows - 1) / kTileRows;
  parallel_tasks(tasks, [&](std::int64_t task) {
    const int r0 = row_begin + static_cast<int>(task) * kTileRows;
    const int rows = std::min(kTileRows, row_end - r0);
    std::vector<int> count(static_cast<std::size_t>(nb) * rows, 0);
    RowMatrixF u, v;
    for (int c0 = 0; c0 < m; c0 += kTileColumns) {
      const int cols = std::min(kTileColumns, m - c0);
      u.noalias() = images.middleRows(r0, rows) * images.middleRows(c0, cols).transpose();
      for (int b = 0; b < nb; ++b) {
        v.noalias() = soft[b].middleRows(r0, rows) * soft[b].middleRows(c0, cols).transpose();
        for (int r = 0; r < rows; ++r) {
          const int i = r0 + r;
          float* val = out[b].value.data() + static_cast<std::size_t>(i) * q;
          int* idx = out[b].index.data() + static_cast<std::size_t>(i) * q;
          int& cnt = count[static_cast<std::size_t>(b) * rows + r];
          const float* ur = u.row(r).data();
          const float* vr = v.row(r).data();
          for (int c = 0; c < cols; ++c) {
            const int j = c0 + c;
            if (j != i) dm::topq_insert(val, idx, cnt, q, dm::ntk_value(ur[c], vr[c], inv_tau2), j);
          }
        }
      }
    }
  });

  if (stats) {
    stats->assign(nb, SparseNtkStats{});
    for (int b = 0; b < nb; ++b) {
      SparseNtkStats& st = (*stats)[b];
      st.candidate_pairs = static_cast<std::int64_t>(n_rows) * (m - 1);
      st.full_values = st.candidate_pairs;
      st.fallback_rows = n_rows;
      st.mean_candidate_nouns = static_cast<double>(nouns[b].rows());
      st.mean_value_nouns = st.mean_candidate_nouns;
    }
  }
  return out;
}

}  // namespace vlc
