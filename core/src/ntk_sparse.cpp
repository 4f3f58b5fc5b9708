// The ε-sparse exact NTK neighbour search (see ntk_sparse.hpp for the bound it relies on).
#include "vlc/ntk_sparse.hpp"
#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include "vlc/backend.hpp"
#include "vlc/device_math.hpp"
#include "vlc/error.hpp"
#include "vlc/parallel.hpp"

namespace vlc {
namespace {

// One template's softmax rows, kept sparse. CSR lists are sorted by noun.
struct SparseSoft {
  int nouns = 0;
  std::vector<std::int64_t> c_ptr;  // candidate entries (s > ε)
  std::vector<int> c_noun;
  std::vector<float> c_val;
  std::vector<std::int64_t> v_ptr;  // value entries (s > ε_v)
  std::vector<int> v_noun;
  std::vector<float> v_val;
  std::vector<float> dropped;  // m_i = max_{n ∉ C_i} s_in (0 if none dropped)
  std::vector<int> top;        // argmax_n s_in (ties: smaller n)
  float max_dropped = 0;
  std::vector<std::int64_t> p_ptr;  // postings: noun → images with it in C (ascending)
  std::vector<int> p_image;
};

constexpr int kSoftBlock = kSoftmaxBlock;

SparseSoft sparsify(const RowMatrixF& z, const RowMatrixF& w, double tau, float eps, float eps_v) {
  const int m = static_cast<int>(z.rows());
  const int n = static_cast<int>(w.rows());
  const float inv_tau = static_cast<float>(1.0 / tau);
  const int blocks = (m + kSoftBlock - 1) / kSoftBlock;
  std::vector<std::vector<int>> c_noun(blocks), v_noun(blocks);
  std::vector<std::vector<float>> c_val(blocks), v_val(blocks);
  SparseSoft s;
  s.nouns = n;
  s.dropped.assign(m, 0.0f);
  s.top.assign(m, 0);
  std::vector<int> c_count(m), v_count(m);
  parallel_tasks(blocks, [&](std::int64_t blk) {
    const int begin = static_cast<int>(blk) * kSoftBlock;
    const int rows = std::min(kSoftBlock, m - begin);
    RowMatrixF soft;
    semantic_softmax_rows(z, w, begin, rows, inv_tau, soft);
    auto& cn = c_noun[blk];
    auto& cv = c_val[blk];
    auto& vn = v_noun[blk];
    auto& vv = v_val[blk];
    for (int r = 0; r < rows; ++r) {
      const float* row = soft.row(r).data();
      const int i = begin + r;
      float drop = 0;
      int top = 0, cc = 0, vc = 0;
      for (int l = 0; l < n; ++l) {
        const float v = row[l];
        if (v > row[top]) top = l;
        if (v > eps) {
          cn.push_back(l);
          cv.push_back(v);
          ++cc;
        } else {
          drop = std::max(drop, v);
        }
        if (v > eps_v) {
          vn.push_back(l);
          vv.push_back(v);
          ++vc;
        }
      }
      s.dropped[i] = drop;
      s.top[i] = top;
      c_count[i] = cc;
      v_count[i] = vc;
    }
  });
  s.c_ptr.assign(m + 1, 0);
  s.v_ptr.assign(m + 1, 0);
  for (int i = 0; i < m; ++i) {
    s.c_ptr[i + 1] = s.c_ptr[i] + c_count[i];
    s.v_ptr[i + 1] = s.v_ptr[i] + v_count[i];
  }
  s.c_noun.reserve(s.c_ptr[m]);
  s.c_val.reserve(s.c_ptr[m]);
  s.v_noun.reserve(s.v_ptr[m]);
  s.v_val.reserve(s.v_ptr[m]);
  for (int blk = 0; blk < blocks; ++blk) {
    s.c_noun.insert(s.c_noun.end(), c_noun[blk].begin(), c_noun[blk].end());
    s.c_val.insert(s.c_val.end(), c_val[blk].begin(), c_val[blk].end());
    s.v_noun.insert(s.v_noun.end(), v_noun[blk].begin(), v_noun[blk].end());
    s.v_val.insert(s.v_val.end(), v_val[blk].begin(), v_val[blk].end());
    std::vector<int>().swap(c_noun[blk]);
    std::vector<int>().swap(v_noun[blk]);
    std::vector<float>().swap(c_val[blk]);
    std::vector<float>().swap(v_val[blk]);
  }
  s.max_dropped = m > 0 ? *std::max_element(s.dropped.begin(), s.dropped.end()) : 0.0f;
  // Inverted index noun → images (counting sort; images ascending within a noun).
  s.p_ptr.assign(n + 1, 0);
  for (int noun : s.c_noun) ++s.p_ptr[noun + 1];
  for (int l = 0; l < n; ++l) s.p_ptr[l + 1] += s.p_ptr[l];
  s.p_image.resize(s.c_noun.size());
  std::vector<std::int64_t> fill(s.p_ptr.begin(), s.p_ptr.end() - 1);
  for (int i = 0; i < m; ++i)
    for (std::int64_t t = s.c_ptr[i]; t < s.c_ptr[i + 1]; ++t) s.p_image[fill[s.c_noun[t]]++] = i;
  return s;
}

// Per-thread scratch of the block pass.
struct Scratch {
  std::vector<int> block_mark;    // image → last block that listed it as a candidate
  std::vector<int> column;        // image → column in the block's Gram
  std::vector<std::uint32_t> seen;  // image → last (row, template) visit that evaluated it
  std::uint32_t visit = 0;
  std::vector<std::vector<int>> noun_mark;  // per template: noun → last block that walked it
  std::vector<float> dense;       // s_i scattered over nouns
  std::vector<int> candidates;
  RowMatrixF zr, zc, gram;
};

// Dense tile fallback for rows `rows` of one template: exactly ntk_tile's arithmetic over
// column blocks, results merged into the running lists (reset first).
void dense_fallback(const RowMatrixF& z, const RowMatrixF& w, double tau, int q, int column_block,
                    const std::vector<int>& rows, float* values, int* index, int* count) {
  if (rows.empty()) return;
  const int m = static_cast<int>(z.rows());
  const int d = static_cast<int>(z.cols());
  const float inv_tau = static_cast<float>(1.0 / tau);
  const float inv_tau2 = static_cast<float>(1.0 / (tau * tau));
  const int f = static_cast<int>(rows.size());
  RowMatrixF zf(f, d);
  for (int r = 0; r < f; ++r) zf.row(r) = z.row(rows[r]);
  RowMatrixF sf = zf * w.transpose();
  parallel_for(0, f, [&](std::int64_t r) { dm::softmax_row(sf.row(r).data(), static_cast<int>(sf.cols()), inv_tau); });
  for (int r = 0; r < f; ++r) count[rows[r]] = 0;
  constexpr int kRowChunk = 1024;
  RowMatrixF sj, u, v;
  for (int col0 = 0; col0 < m; col0 += column_block) {
    const int cols = std::min(column_block, m - col0);
    resize_safely(sj, cols, w.rows());
    const int sub = (cols + kSoftBlock - 1) / kSoftBlock;
    parallel_tasks(sub, [&](std::int64_t t) {
      const int b0 = static_cast<int>(t) * kSoftBlock;
      const int rows_t = std::min(kSoftBlock, cols - b0);
      RowMatrixF part;
      semantic_softmax_rows(z, w, col0 + b0, rows_t, inv_tau, part);
      sj.middleRows(b0, rows_t) = part;
    });
    for (int r0 = 0; r0 < f; r0 += kRowChunk) {
      const int rr = std::min(kRowChunk, f - r0);
      u.noalias() = zf.middleRows(r0, rr) * z.middleRows(col0, cols).transpose();
      v.noalias() = sf.middleRows(r0, rr) * sj.transpose();
      parallel_for(0, rr, [&](std::int64_t r) {
        const int i = rows[r0 + r];
        float* val = values + static_cast<std::size_t>(i) * q;
        int* idx = index + static_cast<std::size_t>(i) * q;
        const float* ur = u.row(r).data();
        const float* vr = v.row(r).data();
        for (int c = 0; c < cols; ++c) {
          const int j = col0 + c;
          if (j == i) continue;
          dm::topq_insert(val, idx, count[i], q, dm::ntk_value(ur[c], vr[c], inv_tau2), j);
        }
      });
    }
  }
}

// options.candidates resolved: Auto takes the approximate path from ann.auto_min_m images on,
// when the estimated ε-sparse walk is at least ann.auto_walk · M² pairs (ntk_ann.hpp).
bool use_ann(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns, const SparseNtkOptions& o) {
  switch (o.candidates) {
    case NtkCandidates::Exact: return false;
    case NtkCandidates::Ann: return true;
    case NtkCandidates::Auto:
      return images.rows() >= o.ann.auto_min_m &&
             estimated_sparse_walk(images, nouns, o.tau, o.epsilon) >= o.ann.auto_walk;
  }
  return false;
}

// The exact lists from dense tiles instead of the walk: when the estimated walk is at least
// dense_walk · M² (row, posting) entries (SparseNtkOptions::dense_walk).
bool use_dense_tiles(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns, const SparseNtkOptions& o) {
  if (o.dense_walk == 0) return true;
  if (!std::isfinite(o.dense_walk)) return false;
  return estimated_sparse_walk(images, nouns, o.tau, o.epsilon) >= o.dense_walk;
}

}  // namespace

void check_ntk_search_inputs(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                             const SparseNtkOptions& o) {
  require(o.tau > 0, "NTK: temperature tau must be positive, got ", o.tau);
  require(!nouns.empty(), "NTK: no templates (B = 0)");
  const int m = static_cast<int>(images.rows());
  for (const auto& w : nouns) {
    require(w.cols() == images.cols(), "NTK: images have dimension ", images.cols(), " but nouns have ", w.cols());
    require(w.rows() >= 1, "NTK: no nouns to anchor the affinity (empty positive set)");
  }
  require(o.q >= 1, "neighbours: q = ", o.q, " must be at least 1");
  require(o.q < m, "neighbours: q = ", o.q, " must be smaller than the number of images M = ", m,
          " (a node has only M−1 possible neighbours); lower q");
  validate_ann_options(o.ann, o.q);
  const int row_end = o.row_end < 0 ? m : o.row_end;
  require(o.row_begin >= 0 && o.row_begin <= row_end && row_end <= m, "NTK: rows [", o.row_begin, ", ", row_end,
          ") are not within the M = ", m, " images");
}

std::vector<Neighbours> ntk_neighbours_sparse(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                              const SparseNtkOptions& o, std::vector<SparseNtkStats>* stats) {
  check_ntk_search_inputs(images, nouns, o);
  require(o.epsilon >= 0 && o.value_epsilon >= 0 && o.value_epsilon <= o.epsilon,
          "NTK: need 0 ≤ value_epsilon ≤ epsilon");
  require(o.dense_walk >= 0, "NTK: dense_walk = ", o.dense_walk, " must not be negative");
  if (!o.force_dense && use_ann(images, nouns, o)) return ntk_neighbours_ann(images, nouns, o, stats);
  if (!o.force_dense && use_dense_tiles(images, nouns, o)) return ntk_neighbours_dense(images, nouns, o, stats);
  const int m = static_cast<int>(images.rows());
  const int d = static_cast<int>(images.cols());
  const int nb = static_cast<int>(nouns.size());
  const int q = o.q;
  const float eps = static_cast<float>(o.epsilon), eps_v = static_cast<float>(o.value_epsilon);
  const float inv_tau2 = static_cast<float>(1.0 / (o.tau * o.tau));
  const int row_begin = o.row_begin, row_end = o.row_end < 0 ? m : o.row_end;
  const int n_rows = row_end - row_begin;

  std::vector<SparseSoft> soft(nb);
  for (int b = 0; b < nb; ++b) soft[b] = sparsify(images, nouns[b], o.tau, eps, eps_v);

  std::vector<Neighbours> out(nb);
  std::vector<int> counts(static_cast<std::size_t>(nb) * m, 0);
  for (auto& nbrs : out) {
    nbrs.rows = m;
    nbrs.q = q;
    nbrs.index.assign(static_cast<std::size_t>(m) * q, -1);
    nbrs.value.assign(static_cast<std::size_t>(m) * q, 0.0f);
  }
  std::vector<std::uint8_t> fallback(static_cast<std::size_t>(nb) * m, 0);
  std::vector<std::int64_t> pairs_per_row(static_cast<std::size_t>(nb) * m, 0), full_per_row(static_cast<std::size_t>(nb) * m, 0);

  if (!o.force_dense) {
    // Rows ordered by their top noun (template 0), so a block's candidate sets overlap.
    std::vector<int> order(n_rows);
    std::iota(order.begin(), order.end(), row_begin);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return soft[0].top[a] < soft[0].top[b]; });
    const int block_rows = std::max(1, o.block_rows);
    const int blocks = (n_rows + block_rows - 1) / block_rows;
    const int max_nouns = static_cast<int>(std::max_element(nouns.begin(), nouns.end(), [](const RowMatrixF& a, const RowMatrixF& b) {
                                             return a.rows() < b.rows();
                                           })->rows());
    // Marks are block numbers offset by a per-call base, so the thread-local marks of an
    // earlier call never match.
    static std::atomic<int> next_mark{0};
    const int mark_base = next_mark.fetch_add(blocks);
    parallel_tasks(blocks, [&](std::int64_t blk) {
      thread_local Scratch sc;
      if (static_cast<int>(sc.block_mark.size()) != m) {
        sc.block_mark.assign(m, -1);
        sc.column.assign(m, 0);
        sc.seen.assign(m, 0);
        sc.visit = 0;
      }
      if (static_cast<int>(sc.noun_mark.size()) != nb) sc.noun_mark.assign(nb, {});
      for (int b = 0; b < nb; ++b)
        if (static_cast<int>(sc.noun_mark[b].size()) != soft[b].nouns) sc.noun_mark[b].assign(soft[b].nouns, -1);
      if (static_cast<int>(sc.dense.size()) < max_nouns) sc.dense.assign(max_nouns, 0.0f);
      const int mark = mark_base + static_cast<int>(blk);
      const int begin = static_cast<int>(blk) * block_rows;
      const int rows = std::min(block_rows, n_rows - begin);
      const int* block = order.data() + begin;

      // The union of the block's candidates over all templates.
      sc.candidates.clear();
      for (int b = 0; b < nb; ++b) {
        const SparseSoft& s = soft[b];
        for (int r = 0; r < rows; ++r) {
          const int i = block[r];
          for (std::int64_t t = s.c_ptr[i]; t < s.c_ptr[i + 1]; ++t) {
            const int noun = s.c_noun[t];
            if (sc.noun_mark[b][noun] == mark) continue;
            sc.noun_mark[b][noun] = mark;
            for (std::int64_t p = s.p_ptr[noun]; p < s.p_ptr[noun + 1]; ++p) {
              const int j = s.p_image[p];
              if (sc.block_mark[j] == mark) continue;
              sc.block_mark[j] = mark;
              sc.candidates.push_back(j);
            }
          }
        }
      }
      std::sort(sc.candidates.begin(), sc.candidates.end());
      const int nc = static_cast<int>(sc.candidates.size());
      for (int c = 0; c < nc; ++c) sc.column[sc.candidates[c]] = c;
      // U = Z_block Z_candidatesᵀ, once for all templates.
      resize_safely(sc.zr, rows, d);
      for (int r = 0; r < rows; ++r) sc.zr.row(r) = images.row(block[r]);
      resize_safely(sc.zc, nc, d);
      for (int c = 0; c < nc; ++c) sc.zc.row(c) = images.row(sc.candidates[c]);
      resize_safely(sc.gram, rows, nc);
      if (nc > 0) sc.gram.noalias() = sc.zr * sc.zc.transpose();

      for (int b = 0; b < nb; ++b) {
        const SparseSoft& s = soft[b];
        const float* dropped = s.dropped.data();
        for (int r = 0; r < rows; ++r) {
          const int i = block[r];
          const std::size_t slot = static_cast<std::size_t>(b) * m + i;
          float* val = out[b].value.data() + static_cast<std::size_t>(i) * q;
          int* idx = out[b].index.data() + static_cast<std::size_t>(i) * q;
          int& cnt = counts[slot];
          for (std::int64_t t = s.v_ptr[i]; t < s.v_ptr[i + 1]; ++t) sc.dense[s.v_noun[t]] = s.v_val[t];
          if (++sc.visit == 0) {  // wrapped: clear and restart the visit numbers
            std::fill(sc.seen.begin(), sc.seen.end(), 0u);
            sc.visit = 1;
          }
          const std::uint32_t visit = sc.visit;
          const float* gram_row = sc.gram.row(r).data();
          std::int64_t pairs = 0, full = 0;
          for (std::int64_t t = s.c_ptr[i]; t < s.c_ptr[i + 1]; ++t) {
            const int noun = s.c_noun[t];
            for (std::int64_t p = s.p_ptr[noun]; p < s.p_ptr[noun + 1]; ++p) {
              const int j = s.p_image[p];
              if (j == i || sc.seen[j] == visit) continue;
              sc.seen[j] = visit;
              ++pairs;
              const float u = gram_row[sc.column[j]];
              if (!(u > 0.0f)) continue;  // K ≤ 0 never survives (see the bound below)
              if (cnt == q) {
                // Upper bound of K from j's candidate nouns (header): skip the full sum when
                // j cannot beat the worst kept entry.
                float a = 0;
                for (std::int64_t e = s.c_ptr[j]; e < s.c_ptr[j + 1]; ++e) a += s.c_val[e] * sc.dense[s.c_noun[e]];
                const float upper = u * ((a + eps_v + dropped[j]) * inv_tau2) * 1.0001f;
                if (upper < val[q - 1]) continue;
              }
              float overlap = 0;
              for (std::int64_t e = s.v_ptr[j]; e < s.v_ptr[j + 1]; ++e) overlap += s.v_val[e] * sc.dense[s.v_noun[e]];
              ++full;
              dm::topq_insert(val, idx, cnt, q, dm::ntk_value(u, overlap, inv_tau2), j);
            }
          }
          for (std::int64_t t = s.v_ptr[i]; t < s.v_ptr[i + 1]; ++t) sc.dense[s.v_noun[t]] = 0.0f;
          // Every non-candidate has K ≤ (m_i + m_max)/τ² (header); slack for float rounding.
          const float bound = (dropped[i] + s.max_dropped) * inv_tau2 * 1.0001f + 1e-6f;
          if (!(cnt == q && val[q - 1] > bound)) fallback[slot] = 1;
          pairs_per_row[slot] = pairs;
          full_per_row[slot] = full;
        }
      }
    });
  } else {
    for (int b = 0; b < nb; ++b)
      std::fill(fallback.begin() + static_cast<std::size_t>(b) * m + row_begin,
                fallback.begin() + static_cast<std::size_t>(b) * m + row_end, 1);
  }

  if (stats) stats->assign(nb, SparseNtkStats{});
  for (int b = 0; b < nb; ++b) {
    std::vector<int> rows;
    for (int i = row_begin; i < row_end; ++i)
      if (fallback[static_cast<std::size_t>(b) * m + i]) rows.push_back(i);
    dense_fallback(images, nouns[b], o.tau, q, std::max(1, o.fallback_columns), rows, out[b].value.data(),
                   out[b].index.data(), counts.data() + static_cast<std::size_t>(b) * m);
    if (stats) {
      SparseNtkStats& st = (*stats)[b];
      st.fallback_rows = static_cast<std::int64_t>(rows.size());
      st.max_dropped = soft[b].max_dropped;
      st.mean_candidate_nouns = static_cast<double>(soft[b].c_ptr[m]) / m;
      st.mean_value_nouns = static_cast<double>(soft[b].v_ptr[m]) / m;
      for (int i = row_begin; i < row_end; ++i) {
        st.candidate_pairs += pairs_per_row[static_cast<std::size_t>(b) * m + i];
        st.full_values += full_per_row[static_cast<std::size_t>(b) * m + i];
      }
    }
  }
  return out;
}

std::vector<SparseMatrixD> ntk_affinities(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                          const NtkOptions& o, std::vector<GraphStats>* stats,
                                          std::vector<SparseNtkStats>* sparse_stats) {
  std::vector<SparseMatrixD> graphs;
  if (stats) stats->clear();
  auto weight = [](float k) { return std::max(0.0, static_cast<double>(k)); };
  SparseNtkOptions so;
  so.tau = o.tau;
  so.q = o.q;
  so.candidates = o.candidates;
  so.ann = o.ann;
  std::vector<SparseNtkStats> local;
  const Backend& search = o.backend ? *o.backend : cpu_backend();
  const std::vector<Neighbours> lists = search.ntk_neighbours_sparse(images, nouns, so, sparse_stats ? sparse_stats : &local);
  for (const auto& nbrs : lists) {
    GraphStats st;
    graphs.push_back(mutual_knn(nbrs, weight, &st));
    if (stats) stats->push_back(st);
  }
  return graphs;
}

}  // namespace vlc
