// The HNSW candidate search with exact rescoring (see ntk_ann.hpp for the why).
//
// hnswlib's own SIMD distance kernels choose SSE/AVX by the compiler's macros and a CPU check (hnswlib.h
// defines non-inline cpuid helpers for that): off, so that this file compiles for WASM and
// every target computes the same distances with fixed_dot below. hnswlib.h may be included
// by this one translation unit only (those helpers are not inline).
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#include "vlc/ntk_ann.hpp"
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <memory>
#include "vlc/device_math.hpp"
#include "vlc/error.hpp"
#include "vlc/ntk_sparse.hpp"
#include "vlc/parallel.hpp"
#include "vlc/random.hpp"

namespace vlc {

NtkCandidates parse_ntk_candidates(const std::string& name) {
  if (name == "exact") return NtkCandidates::Exact;
  if (name == "ann") return NtkCandidates::Ann;
  if (name == "auto") return NtkCandidates::Auto;
  fail("NTK candidates: unknown value \"", name, "\"; expected exact, ann or auto");
}

std::string ntk_candidates_name(NtkCandidates c) {
  switch (c) {
    case NtkCandidates::Exact: return "exact";
    case NtkCandidates::Ann: return "ann";
    case NtkCandidates::Auto: return "auto";
  }
  return "?";
}

void validate_ann_options(const AnnOptions& a, int q) {
  require(a.candidates >= 0, "NTK ann: candidates = ", a.candidates, " must not be negative");
  require(a.candidates == 0 || a.candidates >= q, "NTK ann: candidates = ", a.candidates,
          " must be 0 (= 3q) or at least q = ", q);
  require(a.links >= 2 && a.links <= 256, "NTK ann: links = ", a.links, " must be in [2, 256]");
  require(a.ef_construction >= 1, "NTK ann: ef_construction = ", a.ef_construction, " must be at least 1");
  require(a.ef_search >= 0, "NTK ann: ef_search = ", a.ef_search, " must be 0 (= 2 candidates) or positive");
  require(a.semantic_dims >= 0, "NTK ann: semantic_dims = ", a.semantic_dims, " must be 0 (all nouns) or positive");
  require(a.auto_min_m >= 0, "NTK ann: auto_min_m = ", a.auto_min_m, " must not be negative");
  require(std::isfinite(a.auto_walk) && a.auto_walk >= 0, "NTK ann: auto_walk = ", a.auto_walk,
          " must be a finite number ≥ 0");
}

namespace {

// Σ a_k b_k in a fixed order: eight interleaved partial sums, combined pairwise, then the
// tail. No reassociation is left to the compiler (it may vectorise the lanes, which keeps
// each lane's order), so every target rounds alike unless the build contracts to FMA.
float fixed_dot(const float* a, const float* b, std::size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int l = 0; l < 8; ++l) acc[l] += a[k + l] * b[k + l];
  float tail = 0;
  for (; k < n; ++k) tail += a[k] * b[k];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
}

// hnswlib space: "distance" 1 − a·b over `dim` floats.
class DotSpace final : public hnswlib::SpaceInterface<float> {
 public:
  explicit DotSpace(std::size_t dim) : dim_(dim) {}
  std::size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return &distance; }
  void* get_dist_func_param() override { return &dim_; }

 private:
  static float distance(const void* a, const void* b, const void* param) {
    return 1.0f - fixed_dot(static_cast<const float*>(a), static_cast<const float*>(b),
                            *static_cast<const std::size_t*>(param));
  }
  std::size_t dim_;
};

// HNSW node level: P(level ≥ ℓ) = links^−ℓ, hnswlib's distribution (−ln u / ln M), drawn by
// comparisons of one vlc::Random uniform against links^−ℓ (exact divisions), so no libm
// rounding enters either.
int draw_level(Random& rng, int links) {
  const double u = rng.uniform();
  int level = 0;
  double threshold = 1.0 / links;
  while (u < threshold && level < 30) {
    ++level;
    threshold /= links;
  }
  return level;
}

// One HNSW index over M rows of `dim` floats, inserted serially in row order (label = row =
// hnswlib's internal id), with our own levels.
class Index {
 public:
  Index(int dim, int m, const AnnOptions& a, std::uint64_t seed) : space_(dim), dim_(dim), rng_(seed), links_(a.links) {
    try {
      hnsw_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(&space_, static_cast<std::size_t>(m),
                                                                 static_cast<std::size_t>(a.links),
                                                                 static_cast<std::size_t>(a.ef_construction));
    } catch (const std::exception& e) {
      fail("NTK ann: cannot allocate the HNSW index for ", m, " rows of ", dim, " floats (", e.what(), ")");
    }
    // hnswlib draws a level on every insertion and uses ours only when it is > 0; with
    // mult_ = 0 its own draw is always 0, so level 0 comes from us too.
    hnsw_->mult_ = 0.0;
  }
  void add(const float* row, int label) {
    hnsw_->addPoint(row, static_cast<hnswlib::labeltype>(label), draw_level(rng_, links_));
  }
  void set_ef(int ef) { hnsw_->setEf(static_cast<std::size_t>(ef)); }
  // The k nearest labels of `query`, nearest first (ties: smaller label), into `out`; returns
  // how many (fewer than k only when the index has fewer rows).
  int search(const float* query, int k, std::vector<std::pair<float, int>>& scratch, int* out) const {
    auto heap = hnsw_->searchKnn(query, static_cast<std::size_t>(k));
    scratch.clear();
    while (!heap.empty()) {
      scratch.emplace_back(heap.top().first, static_cast<int>(heap.top().second));
      heap.pop();
    }
    std::sort(scratch.begin(), scratch.end());
    const int n = static_cast<int>(scratch.size());
    for (int t = 0; t < n; ++t) out[t] = scratch[t].second;
    return n;
  }
  const float* row(int label) const {
    return reinterpret_cast<const float*>(hnsw_->getDataByInternalId(static_cast<hnswlib::tableint>(label)));
  }
  int dim() const { return dim_; }

 private:
  DotSpace space_;
  int dim_;
  Random rng_;
  int links_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw_;
};

constexpr int kSoftBlock = kSoftmaxBlock;

// One template's joint index (ntk_ann.hpp): rows x_j = [z_j, λ p_j, √(R² − ‖z_j‖² − λ²‖p_j‖²)],
// all of norm R, with p_j = P s_j (or s_j itself when N ≤ r) and λ² = 1 / mean ‖p_i‖² so that
// both parts weigh alike in the graph; `soft` = the M×N softmax rows themselves for the
// rescoring, `semantic` = the p rows for the queries.
struct JointIndex {
  std::unique_ptr<Index> index;
  RowMatrixF soft;
  RowMatrixF semantic;  // M×r (empty when p = s)
  float lambda = 1;
  const float* p(int i) const { return semantic.size() ? semantic.row(i).data() : soft.row(i).data(); }
  int p_dims() const { return static_cast<int>(semantic.size() ? semantic.cols() : soft.cols()); }
};

// P (r×N): the top r eigenvectors of SᵀS over at most 16 384 evenly spaced rows (the best rank-r
// approximation of the Gram s_i·s_j in least squares), so p_i·p_j ≈ s_i·s_j for the search.
// Computed in double; the rows of P are sorted by decreasing eigenvalue.
RowMatrixF semantic_projection(const RowMatrixF& soft, int r) {
  const Eigen::Index m = soft.rows(), n = soft.cols();
  const Eigen::Index sample = std::min<Eigen::Index>(m, 16384);
  Eigen::MatrixXd s(sample, n);
  for (Eigen::Index t = 0; t < sample; ++t)
    s.row(t) = soft.row(static_cast<Eigen::Index>(static_cast<std::int64_t>(t) * m / sample)).cast<double>();
  const Eigen::MatrixXd gram = s.transpose() * s;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram);
  require(eig.info() == Eigen::Success, "NTK ann: the eigen-decomposition of the ", n, "×", n,
          " softmax Gram did not converge");
  RowMatrixF p(r, n);
  for (int k = 0; k < r; ++k) p.row(k) = eig.eigenvectors().col(n - 1 - k).transpose().cast<float>();
  return p;
}

JointIndex build_joint_index(const RowMatrixF& z, const RowMatrixF& w, double tau, const AnnOptions& a,
                             std::uint64_t seed) {
  const int m = static_cast<int>(z.rows());
  const int d = static_cast<int>(z.cols());
  const int n = static_cast<int>(w.rows());
  JointIndex j;
  j.soft = semantic_softmax_blocked(z, w, tau);
  if (a.semantic_dims > 0 && a.semantic_dims < n) {
    const RowMatrixF proj = semantic_projection(j.soft, a.semantic_dims);
    resize_safely(j.semantic, m, a.semantic_dims);
    const int blocks = (m + kSoftBlock - 1) / kSoftBlock;
    parallel_tasks(blocks, [&](std::int64_t blk) {  // fixed blocks: the same rounding at any thread count
      const Eigen::Index b0 = blk * kSoftBlock;
      const Eigen::Index rows = std::min<Eigen::Index>(kSoftBlock, m - b0);
      j.semantic.middleRows(b0, rows).noalias() = j.soft.middleRows(b0, rows) * proj.transpose();
    });
  }
  const int r = j.p_dims();
  std::vector<float> z2(m), s2(m);
  parallel_for(0, m, [&](std::int64_t i) {
    z2[i] = fixed_dot(z.row(i).data(), z.row(i).data(), d);
    s2[i] = fixed_dot(j.p(static_cast<int>(i)), j.p(static_cast<int>(i)), r);
  });
  double mean_s2 = 0;  // serial: the same sum on every target and thread count
  for (float v : s2) mean_s2 += v;
  mean_s2 /= m;
  j.lambda = static_cast<float>(1.0 / std::sqrt(std::max(mean_s2, 1e-30)));
  const float l2 = j.lambda * j.lambda;
  float r2 = 0;
  for (int i = 0; i < m; ++i) r2 = std::max(r2, z2[i] + l2 * s2[i]);
  j.index = std::make_unique<Index>(d + r + 1, m, a, seed);
  std::vector<float> x(static_cast<std::size_t>(d + r + 1));
  for (int i = 0; i < m; ++i) {
    std::copy(z.row(i).data(), z.row(i).data() + d, x.data());
    const float* p = j.p(i);
    for (int l = 0; l < r; ++l) x[d + l] = j.lambda * p[l];
    x[d + r] = std::sqrt(std::max(0.0f, r2 - (z2[i] + l2 * s2[i])));
    j.index->add(x.data(), i);
  }
  return j;
}

struct Lists {
  int c = 0;
  std::vector<int> index;  // rows × c (−1 = none), nearest first
};

// The c nearest other rows of each row in [row_begin, row_end), queried in parallel. The
// query of row i is `query(i, buffer)` (a pointer to dim floats).
template <class Query>
Lists search_all(const Index& idx, int row_begin, int row_end, int c, const Query& query) {
  Lists out;
  out.c = c;
  const int n_rows = row_end - row_begin;
  out.index.assign(static_cast<std::size_t>(n_rows) * c, -1);
  const int m_total = c + 1;  // self is usually among the nearest
  parallel_for(0, n_rows, [&](std::int64_t r) {
    thread_local std::vector<std::pair<float, int>> scratch;
    thread_local std::vector<int> found;
    thread_local std::vector<float> buffer;
    const int i = row_begin + static_cast<int>(r);
    found.resize(m_total);
    buffer.resize(idx.dim());
    const int n = idx.search(query(i, buffer.data()), m_total, scratch, found.data());
    int* dst = out.index.data() + static_cast<std::size_t>(r) * c;
    int kept = 0;
    for (int t = 0; t < n && kept < c; ++t)
      if (found[t] != i) dst[kept++] = found[t];
  });
  return out;
}

}  // namespace

double estimated_sparse_walk(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns, double tau,
                             double epsilon) {
  const int m = static_cast<int>(images.rows());
  if (m == 0 || nouns.empty()) return 0;
  const int sample = std::min(m, 2048);
  RowMatrixF z(sample, images.cols());
  for (int r = 0; r < sample; ++r) z.row(r) = images.row(static_cast<Eigen::Index>(static_cast<std::int64_t>(r) * m / sample));
  const float inv_tau = static_cast<float>(1.0 / tau);
  double walk = 0;
  for (const auto& w : nouns) {
    std::vector<int> count(w.rows(), 0);
    RowMatrixF soft;
    for (int b0 = 0; b0 < sample; b0 += kSoftBlock) {
      const int rows = std::min(kSoftBlock, sample - b0);
      semantic_softmax_rows(z, w, b0, rows, inv_tau, soft);
      for (int r = 0; r < rows; ++r)
        for (Eigen::Index l = 0; l < soft.cols(); ++l) count[l] += soft(r, l) > epsilon;
    }
    double sum = 0;
    for (int c : count) sum += (double(c) / sample) * (double(c) / sample);
    walk += sum;
  }
  return walk / static_cast<double>(nouns.size());
}

std::vector<Neighbours> ntk_neighbours_ann(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                           const SparseNtkOptions& o, std::vector<SparseNtkStats>* stats) {
  check_ntk_search_inputs(images, nouns, o);
  const int m = static_cast<int>(images.rows());
  const int d = static_cast<int>(images.cols());
  const int row_begin = o.row_begin, row_end = o.row_end < 0 ? m : o.row_end;
  const int n_rows = row_end - row_begin;
  const int nb = static_cast<int>(nouns.size());
  const int q = o.q;
  const int c = std::min(m - 1, o.ann.candidates > 0 ? o.ann.candidates : 3 * q);
  const int ef = std::max(c + 1, o.ann.ef_search > 0 ? o.ann.ef_search : 2 * c);
  const float inv_tau2 = static_cast<float>(1.0 / (o.tau * o.tau));
  // Two seeds from one: the image index and the joint indices draw independent levels.
  Random seeds(o.ann.seed);
  const std::uint64_t image_seed = seeds.bits();
  std::vector<std::uint64_t> soft_seed(nb);
  for (auto& s : soft_seed) s = seeds.bits();

  // 1. The image index and every row's top c by z_i·z_j, with their Gram values (reused by
  //    all templates).
  Lists by_image;
  std::vector<float> image_gram;
  {
    Index zi(d, m, o.ann, image_seed);
    for (int i = 0; i < m; ++i) zi.add(images.row(i).data(), i);
    zi.set_ef(ef);
    by_image = search_all(zi, row_begin, row_end, c, [&](int i, float*) { return images.row(i).data(); });
    image_gram.assign(by_image.index.size(), 0.0f);
    parallel_for(0, n_rows, [&](std::int64_t r) {
      const int i = row_begin + static_cast<int>(r);
      for (int t = 0; t < c; ++t) {
        const int j = by_image.index[static_cast<std::size_t>(r) * c + t];
        if (j >= 0) image_gram[static_cast<std::size_t>(r) * c + t] = fixed_dot(images.row(i).data(), images.row(j).data(), d);
      }
    });
  }

  std::vector<Neighbours> out(nb);
  if (stats) stats->assign(nb, SparseNtkStats{});
  for (int b = 0; b < nb; ++b) {
    Neighbours& nbrs = out[b];
    nbrs.rows = m;
    nbrs.q = q;
    nbrs.index.assign(static_cast<std::size_t>(m) * q, -1);
    nbrs.value.assign(static_cast<std::size_t>(m) * q, 0.0f);
    const int n = static_cast<int>(nouns[b].rows());
    // 2. This template's joint index.
    const JointIndex ji = build_joint_index(images, nouns[b], o.tau, o.ann, soft_seed[b]);
    ji.index->set_ef(ef);
    const int dim = ji.index->dim();
    const int pr = ji.p_dims();
    // 3. Per row: rescore the image candidates; query [0, s_i, 0] (the top c by s_i·s_j) and
    //    rescore; then the tangent query at the provisional q-th neighbour (u0, v0),
    //    [z_i, (u0 / (λ v0)) s_i, 0], whose top c by u/u0 + v/v0 hold every pair with
    //    uv ≥ u0·v0 (ntk_ann.hpp), and rescore. K = ntk_value(z_i·z_j, s_i·s_j, 1/τ²).
    std::vector<std::int64_t> pairs(n_rows, 0);
    std::vector<std::uint8_t> short_row(n_rows, 0);
    parallel_for(0, n_rows, [&](std::int64_t r) {
      thread_local std::vector<std::uint32_t> seen;
      thread_local std::uint32_t visit = 0;
      thread_local std::vector<float> query;
      thread_local std::vector<int> found;
      thread_local std::vector<std::pair<float, int>> scratch;
      if (static_cast<int>(seen.size()) != m) {
        seen.assign(m, 0u);
        visit = 0;
      }
      if (++visit == 0) {
        std::fill(seen.begin(), seen.end(), 0u);
        visit = 1;
      }
      const int i = row_begin + static_cast<int>(r);
      float* val = nbrs.value.data() + static_cast<std::size_t>(i) * q;
      int* idx = nbrs.index.data() + static_cast<std::size_t>(i) * q;
      int cnt = 0;
      const float* z_i = images.row(i).data();
      const float* s_i = ji.soft.row(i).data();
      auto offer = [&](int j, float u) {
        dm::topq_insert(val, idx, cnt, q, dm::ntk_value(u, fixed_dot(s_i, ji.soft.row(j).data(), n), inv_tau2), j);
        ++pairs[r];
      };
      auto search = [&]() {
        found.resize(c + 1);
        const int got = ji.index->search(query.data(), c + 1, scratch, found.data());
        for (int t = 0; t < got; ++t) {
          const int j = found[t];
          if (j == i || seen[j] == visit) continue;
          seen[j] = visit;
          offer(j, fixed_dot(z_i, images.row(j).data(), d));
        }
      };
      const int* zc = by_image.index.data() + static_cast<std::size_t>(r) * c;
      const float* zg = image_gram.data() + static_cast<std::size_t>(r) * c;
      for (int t = 0; t < c; ++t) {
        const int j = zc[t];
        if (j < 0 || seen[j] == visit) continue;
        seen[j] = visit;
        offer(j, zg[t]);
      }
      const float* p_i = ji.p(i);
      query.assign(dim, 0.0f);
      std::copy(p_i, p_i + pr, query.begin() + d);
      search();
      if (cnt == q) {
        const int jq = idx[q - 1];
        const float u0 = fixed_dot(z_i, images.row(jq).data(), d);
        const float v0 = fixed_dot(s_i, ji.soft.row(jq).data(), n);
        if (u0 > 0 && v0 > 0) {
          std::copy(z_i, z_i + d, query.begin());
          const float weight = u0 / (ji.lambda * v0);
          for (int l = 0; l < pr; ++l) query[d + l] = weight * p_i[l];
          search();
        }
      }
      if (cnt < q) {  // the searches came back short: an exact scan of every image
        short_row[r] = 1;
        cnt = 0;
        for (int j = 0; j < m; ++j)
          if (j != i) offer(j, fixed_dot(z_i, images.row(j).data(), d));
      }
    });
    if (stats) {
      SparseNtkStats& st = (*stats)[b];
      for (int r = 0; r < n_rows; ++r) {
        st.candidate_pairs += pairs[r];
        st.fallback_rows += short_row[r];
      }
      st.full_values = st.candidate_pairs;
      st.mean_candidate_nouns = n;
      st.mean_value_nouns = n;
      st.approximate = true;
    }
  }
  return out;
}

}  // namespace vlc
