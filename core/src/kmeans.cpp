// Lloyd's k-means, Euclidean or spherical (§1 step 3, §4 of docs/method.md).
//
// Choices, so that every target gives the same labels for a seed:
// - Seeding is scikit-learn's greedy k-means++: the first centre uniformly at random, then
//   for each further centre 2 + ⌊ln k⌋ candidates drawn by D² sampling, keeping the one that
//   lowers the potential most. Spherical mode samples by 1 − cos, which is D²/2 on unit rows.
// - All randomness comes from vlc::Random: restart r uses Random(master.bits()), the r-th
//   draw of Random(seed), so restart 0 is the same whatever n_init is.
// - Convergence as scikit-learn: stop when the labels stop changing, or when no centre
//   moves by more than tol × (mean per-feature variance of the data) in squared distance;
//   then labels are refreshed against the final centres.
// - Euclidean empty clusters move to the points farthest from their centres (ties: lower
//   index), taking each point out of its old cluster as scikit-learn does. Spherical empty
//   centres stay put while iterating and are dropped at the end, labels compacted (§1).
// - Distances come from blocked products ‖x‖² − 2 x·c + ‖c‖² over chunks of rows, in the
//   points' own precision (float points: float GEMM, the cost that matters at 100k × 512);
//   the reported inertia is recomputed directly in double from the final labels.
// - Chunks are independent under parallel_for and every reduction runs serially in point
//   order, so the result does not depend on the thread count.
#include "vlc/kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "vlc/error.hpp"
#include "vlc/parallel.hpp"
#include "vlc/random.hpp"

namespace vlc {
namespace {

using Eigen::Index;
template <class S>
using RowMatrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Rows per distance block: big enough for an efficient product, small enough that the
// block (rows × k) stays in cache and gives parallel_for enough pieces.
constexpr Index kChunkRows = 256;
// Below this many centres a product is "narrow" (seeding candidates, tiny k).
constexpr Index kNarrow = 16;

template <class S>
struct Data {
  const RowMatrix<S>& x;
  bool spherical = false;
  std::vector<double> sq_norm;   // ‖x_i‖² (Euclidean)
  std::vector<double> inv_norm;  // 1 / ‖x_i‖ (spherical)
};

// Centres in the points' precision, as the distance products use them.
template <class S>
struct CentreBlock {
  RowMatrix<S> values;
  std::vector<double> sq_norm;
};

template <class S>
CentreBlock<S> make_block(const RowMatrixD& centres) {
  CentreBlock<S> block;
  block.values = centres.cast<S>();
  block.sq_norm.resize(centres.rows());
  for (Index j = 0; j < centres.rows(); ++j) block.sq_norm[j] = block.values.row(j).template cast<double>().squaredNorm();
  return block;
}

void validate(Index rows, Index cols, const KMeansOptions& o) {
  require(o.k >= 1, "kmeans: k must be at least 1, got ", o.k);
  require(rows >= 1 && cols >= 1, "kmeans: the point matrix is empty (", rows, "x", cols, ")");
  require(o.k <= rows, "kmeans: k = ", o.k, " exceeds the number of points (", rows, ")");
  require(o.n_init >= 1, "kmeans: n_init must be at least 1, got ", o.n_init);
  require(o.max_iter >= 1, "kmeans: max_iter must be at least 1, got ", o.max_iter);
  require(std::isfinite(o.tol) && o.tol >= 0, "kmeans: tol must be finite and non-negative, got ", o.tol);
}

template <class S>
Data<S> prepare(const RowMatrix<S>& x, const KMeansOptions& o) {
  validate(x.rows(), x.cols(), o);
  Data<S> data{x, o.spherical, {}, {}};
  data.sq_norm.resize(x.rows());
  for (Index i = 0; i < x.rows(); ++i) {
    require(x.row(i).allFinite(), "kmeans: point ", i, " has a non-finite value");
    data.sq_norm[i] = x.row(i).template cast<double>().squaredNorm();
  }
  if (o.spherical) {
    data.inv_norm.resize(x.rows());
    for (Index i = 0; i < x.rows(); ++i) {
      require(data.sq_norm[i] > 0, "kmeans: point ", i, " is zero; spherical k-means needs non-zero rows");
      data.inv_norm[i] = 1.0 / std::sqrt(data.sq_norm[i]);
    }
  }
  return data;
}

// Point i as the geometry sees it: unit length in spherical mode.
template <class S>
Eigen::RowVectorXd point(const Data<S>& data, Index i) {
  Eigen::RowVectorXd p = data.x.row(i).template cast<double>();
  if (data.spherical) p *= data.inv_norm[i];
  return p;
}

// Mean per-feature variance of the (unit, if spherical) points: scikit-learn's scale for tol.
template <class S>
double data_scale(const Data<S>& data) {
  const Index m = data.x.rows();
  Eigen::RowVectorXd mean = Eigen::RowVectorXd::Zero(data.x.cols());
  for (Index i = 0; i < m; ++i) mean += point(data, i);
  mean /= static_cast<double>(m);
  Eigen::RowVectorXd var = Eigen::RowVectorXd::Zero(data.x.cols());
  for (Index i = 0; i < m; ++i) var += (point(data, i) - mean).array().square().matrix();
  return var.mean() / static_cast<double>(m);
}

// Calls visit(i, dist) for every point i, where dist[j] is its distance to centre j
// (squared Euclidean, or 1 − cos), clamped at 0 against rounding. Runs chunks in
// parallel: visit must write only to slots owned by i.
template <class S, class Visit>
void visit_distances(const Data<S>& data, const CentreBlock<S>& centres, Visit&& visit) {
  const Index m = data.x.rows();
  const Index k = centres.values.rows();
  const Index chunks = (m + kChunkRows - 1) / kChunkRows;
  parallel_for(0, chunks, [&](std::int64_t chunk) {
    const Index begin = static_cast<Index>(chunk) * kChunkRows;
    const Index rows = std::min(kChunkRows, m - begin);
    RowMatrix<S> dot(rows, k);
    // For the few candidates of a seeding step, packing the block for GEMM costs as much as
    // the product itself; the coefficient-wise product is ~1.5x faster there.
    if (k < kNarrow) {
      dot.noalias() = data.x.middleRows(begin, rows).lazyProduct(centres.values.transpose());
    } else {
      dot.noalias() = data.x.middleRows(begin, rows) * centres.values.transpose();
    }
    std::vector<double> dist(k);
    for (Index r = 0; r < rows; ++r) {
      const Index i = begin + r;
      for (Index j = 0; j < k; ++j) {
        const double g = static_cast<double>(dot(r, j));
        const double d = data.spherical ? 1.0 - g * data.inv_norm[i]
                                        : data.sq_norm[i] - 2.0 * g + centres.sq_norm[j];
        dist[j] = std::max(d, 0.0);
      }
      visit(i, dist.data());
    }
  });
}

// Greedy k-means++ (see the file comment).
template <class S>
RowMatrixD seed_centres(const Data<S>& data, int k, Random& rng) {
  const Index m = data.x.rows();
  const int trials = 2 + static_cast<int>(std::floor(std::log(static_cast<double>(k))));
  RowMatrixD centres(k, data.x.cols());
  centres.row(0) = point(data, rng.below(m));

  std::vector<double> closest(m);
  visit_distances(data, make_block<S>(centres.topRows(1)), [&](Index i, const double* d) { closest[i] = d[0]; });
  double potential = std::accumulate(closest.begin(), closest.end(), 0.0);

  std::vector<double> cumulative(m);
  std::vector<Index> ids(trials);
  RowMatrixD candidate_closest(m, trials);
  for (int c = 1; c < k; ++c) {
    std::partial_sum(closest.begin(), closest.end(), cumulative.begin());
    RowMatrixD candidates(trials, data.x.cols());
    for (int t = 0; t < trials; ++t) {
      if (potential > 0) {
        // First point whose cumulative weight exceeds the draw: never a zero-weight point,
        // so an existing centre is not picked again while others remain.
        const double target = rng.uniform() * potential;
        const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
        ids[t] = std::min<Index>(it - cumulative.begin(), m - 1);
      } else {
        ids[t] = rng.below(m);  // every point sits on a centre: any choice is as good
      }
      candidates.row(t) = point(data, ids[t]);
    }
    visit_distances(data, make_block<S>(candidates), [&](Index i, const double* d) {
      for (int t = 0; t < trials; ++t) candidate_closest(i, t) = std::min(closest[i], d[t]);
    });
    int best = 0;
    double best_potential = 0;
    for (int t = 0; t < trials; ++t) {
      double p = 0;
      for (Index i = 0; i < m; ++i) p += candidate_closest(i, t);
      if (t == 0 || p < best_potential) {
        best = t;
        best_potential = p;
      }
    }
    for (Index i = 0; i < m; ++i) closest[i] = candidate_closest(i, best);
    potential = best_potential;
    centres.row(c) = candidates.row(best);
  }
  return centres;
}

// E-step: nearest centre (ties: lower index) and the distance to it.
template <class S>
void assign(const Data<S>& data, const RowMatrixD& centres, Labels& labels, std::vector<double>& nearest) {
  const Index k = centres.rows();
  visit_distances(data, make_block<S>(centres), [&](Index i, const double* d) {
    Index best = 0;
    for (Index j = 1; j < k; ++j) {
      if (d[j] < d[best]) best = j;
    }
    labels[i] = static_cast<int>(best);
    nearest[i] = d[best];
  });
}

// Gives empty Euclidean clusters the points farthest from their centres. A point is taken
// only from a cluster that keeps at least one other member. Returns whether any moved.
template <class S>
bool relocate_empty(const Data<S>& data, const Labels& labels, const std::vector<double>& nearest,
                    RowMatrixD& sums, std::vector<Index>& counts) {
  std::vector<Index> empty;
  for (Index j = 0; j < static_cast<Index>(counts.size()); ++j) {
    if (counts[j] == 0) empty.push_back(j);
  }
  if (empty.empty()) return false;
  std::vector<Index> order(labels.size());
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return nearest[a] > nearest[b]; });
  bool moved = false;
  std::size_t next = 0;
  for (Index j : empty) {
    while (next < order.size() && counts[labels[order[next]]] < 2) ++next;
    if (next == order.size()) break;
    const Index p = order[next++];
    const Eigen::RowVectorXd x = point(data, p);
    sums.row(labels[p]) -= x;
    --counts[labels[p]];
    sums.row(j) = x;
    counts[j] = 1;
    moved = true;
  }
  return moved;
}

// M-step. Returns whether an empty cluster was relocated (then unchanged labels do not
// mean convergence).
template <class S>
bool update_centres(const Data<S>& data, const Labels& labels, const std::vector<double>& nearest,
                    RowMatrixD& centres) {
  const Index k = centres.rows();
  RowMatrixD sums = RowMatrixD::Zero(k, centres.cols());
  std::vector<Index> counts(k, 0);
  for (Index i = 0; i < static_cast<Index>(labels.size()); ++i) {
    const double scale = data.spherical ? data.inv_norm[i] : 1.0;
    sums.row(labels[i]) += data.x.row(i).template cast<double>() * scale;
    ++counts[labels[i]];
  }
  const bool moved = !data.spherical && relocate_empty(data, labels, nearest, sums, counts);
  for (Index j = 0; j < k; ++j) {
    if (counts[j] == 0) continue;  // spherical empty centre: kept, dropped at the end
    if (data.spherical) {
      const double norm = sums.row(j).norm();
      if (norm > 0) centres.row(j) = sums.row(j) / norm;  // antipodal members: keep the old direction
    } else {
      centres.row(j) = sums.row(j) / static_cast<double>(counts[j]);
    }
  }
  return moved;
}

template <class S>
double inertia(const Data<S>& data, const RowMatrixD& centres, const Labels& labels) {
  double total = 0;
  for (Index i = 0; i < static_cast<Index>(labels.size()); ++i) {
    const Eigen::RowVectorXd x = data.x.row(i).template cast<double>();
    total += data.spherical ? 1.0 - x.dot(centres.row(labels[i])) * data.inv_norm[i]
                            : (x - centres.row(labels[i])).squaredNorm();
  }
  return total;
}

template <class S>
KMeansResult lloyd(const Data<S>& data, RowMatrixD centres, const KMeansOptions& o, double tol) {
  const Index m = data.x.rows();
  Labels labels(m, -1), previous(m, -1);
  std::vector<double> nearest(m);
  bool settled = false;
  int iterations = 0;
  while (iterations < o.max_iter) {
    ++iterations;
    assign(data, centres, labels, nearest);
    const RowMatrixD before = centres;
    const bool relocated = update_centres(data, labels, nearest, centres);
    if (labels == previous && !relocated) {
      settled = true;  // centres are the means of these very labels
      break;
    }
    const double shift = (centres - before).rowwise().squaredNorm().maxCoeff();
    if (shift <= tol) break;
    previous = labels;
  }
  if (!settled) assign(data, centres, labels, nearest);
  KMeansResult result;
  result.inertia = inertia(data, centres, labels);
  result.labels = std::move(labels);
  result.centres = std::move(centres);
  result.iterations = iterations;
  return result;
}

// Spherical mode: remove centres without members and renumber labels in centre order.
void drop_empty_centres(KMeansResult& result) {
  const Index k = result.centres.rows();
  std::vector<int> renumber(k, -1);
  for (int label : result.labels) renumber[label] = 0;
  int kept = 0;
  for (Index j = 0; j < k; ++j) {
    if (renumber[j] == 0) renumber[j] = kept++;
  }
  if (kept == k) return;
  RowMatrixD centres(kept, result.centres.cols());
  for (Index j = 0; j < k; ++j) {
    if (renumber[j] >= 0) centres.row(renumber[j]) = result.centres.row(j);
  }
  result.centres = std::move(centres);
  for (int& label : result.labels) label = renumber[label];
}

template <class S>
KMeansResult run_kmeans(const RowMatrix<S>& points, const KMeansOptions& o) {
  const Data<S> data = prepare(points, o);
  const double tol = o.tol * data_scale(data);
  Random master(o.seed);
  KMeansResult best;
  for (int restart = 0; restart < o.n_init; ++restart) {
    Random rng(master.bits());
    KMeansResult run = lloyd(data, seed_centres(data, o.k, rng), o, tol);
    if (restart == 0 || run.inertia < best.inertia) best = std::move(run);  // ties: earliest
  }
  if (o.spherical) drop_empty_centres(best);
  return best;
}

}  // namespace

KMeansResult kmeans(const RowMatrixF& points, const KMeansOptions& options) { return run_kmeans(points, options); }

KMeansResult kmeans(const RowMatrixD& points, const KMeansOptions& options) { return run_kmeans(points, options); }

}  // namespace vlc
