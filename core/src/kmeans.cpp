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
// - Hamerly's bounds (G. Hamerly, "Making k-means even faster", SDM 2010; KMeansAlgorithm)
//   skip, in an E-step, the points whose centre provably stays the nearest: per point an
//   upper bound u on the distance to its centre and a lower bound l on every other, both
//   moved by the centres' drift, and s = half the distance from its centre to the nearest
//   other. Spherical mode bounds the chord ‖x/‖x‖ − c‖ (chord² = 2 (1 − cos)), a metric.
//   Exactness, so that Hamerly gives Lloyd's labels, centres and iterations bit for bit: a
//   point is skipped only when the bounds separate its centre from all others by more than
//   twice the rounding of the blocked products (Slack: the γ_d bound of a float dot product);
//   the points left get all k distances in gathered blocked products that reproduce
//   Lloyd's values bit for bit: a product element depends on its own row and column and on
//   the block's shape and its position in it, never on the other rows, so each point sits at
//   its position within its own chunk in a gathered block of kChunkRows rows (filler rows
//   elsewhere; the cost is the most crowded position's count of blocks). An iteration that
//   leaves a Euclidean cluster empty recomputes every distance, as relocation reads them all.
//   Automatic: Hamerly from kHamerlyMinK centres (measured in bench/README.md).
// - Seeding at scale: greedy k-means++ costs O(M k d ln k): ~35 min at M = 1.28M, k = 4267
//   on 2 cores, extrapolated from bench/README.md (15 s at M = 50 000, k = 1000).
//   Above M·k = 2^27 point–centre pairs (no test or benchmark setting comes near: the
//   largest, bench/run's noun filter at M = 100k, is 3.3e7) it runs on a uniform sample of
//   max(2^27 / k, 32 k) points drawn from the restart's rng, then Lloyd runs on all points.
//   The sample's seeding costs max(2^27, 32 k²) pairs × d × (2 + ln k): at k = 4267,
//   5.8e8 pairs against 5.5e9 for every point of 1.28M. A sample rather than k-means||
//   (Bahmani et al., VLDB 2012): the latter needs ~5 passes over all M points with 2k new
//   centres each, about ten Lloyd iterations' work. Quality: tests/test_kmeans.cpp
//   (8 points per centre: inertia within 1% of full seeding's after Lloyd).
#include "vlc/kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
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

// Products x·c of `rows` (rows of the data, in its precision) with every centre.
template <class S, class Rows>
RowMatrix<S> dot_block(const Rows& rows, const CentreBlock<S>& centres) {
  RowMatrix<S> dot(rows.rows(), centres.values.rows());
  // For the few candidates of a seeding step, packing the block for GEMM costs as much as
  // the product itself; the coefficient-wise product is ~1.5x faster there.
  if (centres.values.rows() < kNarrow) {
    dot.noalias() = rows.lazyProduct(centres.values.transpose());
  } else {
    dot.noalias() = rows * centres.values.transpose();
  }
  return dot;
}

// Turns row r of a product block into distances of point i (squared Euclidean, or 1 − cos),
// clamped at 0 against rounding, and hands them to visit.
template <class S, class Visit>
void visit_row(const Data<S>& data, const CentreBlock<S>& centres, const RowMatrix<S>& dot, Index r, Index i,
               std::vector<double>& dist, Visit& visit) {
  const Index k = centres.values.rows();
  for (Index j = 0; j < k; ++j) {
    const double g = static_cast<double>(dot(r, j));
    const double d = data.spherical ? 1.0 - g * data.inv_norm[i] : data.sq_norm[i] - 2.0 * g + centres.sq_norm[j];
    dist[j] = std::max(d, 0.0);
  }
  visit(i, dist.data());
}

// The distances of the points of chunk `chunk` (kChunkRows consecutive rows), computed the
// one way visit_distances does, so that a single chunk can be recomputed bit for bit.
template <class S, class Visit>
void visit_chunk(const Data<S>& data, const CentreBlock<S>& centres, Index chunk, Visit&& visit) {
  const Index begin = chunk * kChunkRows;
  const Index rows = std::min(kChunkRows, static_cast<Index>(data.x.rows()) - begin);
  const RowMatrix<S> dot = dot_block(data.x.middleRows(begin, rows), centres);
  std::vector<double> dist(centres.values.rows());
  for (Index r = 0; r < rows; ++r) visit_row(data, centres, dot, r, begin + r, dist, visit);
}

// Calls visit(i, dist) for every point i, where dist[j] is its distance to centre j
// (squared Euclidean, or 1 − cos), clamped at 0 against rounding. Runs chunks in
// parallel: visit must write only to slots owned by i.
template <class S, class Visit>
void visit_distances(const Data<S>& data, const CentreBlock<S>& centres, Visit&& visit) {
  const Index chunks = (data.x.rows() + kChunkRows - 1) / kChunkRows;
  parallel_for(0, chunks, [&](std::int64_t chunk) { visit_chunk(data, centres, static_cast<Index>(chunk), visit); });
}

// As visit_distances for the listed points only (in increasing order), with the very same
// values: a product element depends only on its row, its column and the block's shape and
// position, never on the other rows, so each point is gathered into a block of kChunkRows
// rows at its position within its own chunk (other positions: filler rows, not visited).
// Points of a last, shorter chunk are computed with that chunk itself.
template <class S, class Visit>
void visit_aligned(const Data<S>& data, const CentreBlock<S>& centres, const std::vector<Index>& ids, Visit&& visit) {
  const Index full_chunks = data.x.rows() / kChunkRows;
  std::vector<std::vector<Index>> at(kChunkRows);  // at[p]: listed points at position p
  bool tail = false;
  for (Index i : ids) {
    if (i / kChunkRows < full_chunks) {
      at[i % kChunkRows].push_back(i);
    } else {
      tail = true;
    }
  }
  Index blocks = 0;
  for (const auto& list : at) blocks = std::max(blocks, static_cast<Index>(list.size()));
  std::vector<char> listed;
  if (tail) {
    listed.assign(data.x.rows(), 0);
    for (Index i : ids) listed[i] = 1;
  }
  parallel_tasks(blocks + (tail ? 1 : 0), [&](std::int64_t task) {
    if (task == blocks) {
      visit_chunk(data, centres, full_chunks, [&](Index i, const double* d) {
        if (listed[i]) visit(i, d);
      });
      return;
    }
    const Index block = static_cast<Index>(task);
    RowMatrix<S> gathered(kChunkRows, data.x.cols());
    for (Index p = 0; p < kChunkRows; ++p) {
      gathered.row(p) = data.x.row(block < static_cast<Index>(at[p].size()) ? at[p][block] : p);
    }
    const RowMatrix<S> dot = dot_block(gathered, centres);
    std::vector<double> dist(centres.values.rows());
    for (Index p = 0; p < kChunkRows; ++p) {
      if (block < static_cast<Index>(at[p].size())) visit_row(data, centres, dot, p, at[p][block], dist, visit);
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

// Points the seeding looks at (see the file comment): all of them up to kFullSeedingPairs
// point–centre pairs, else a sample that keeps its cost near that.
constexpr double kFullSeedingPairs = 134217728.0;  // 2^27
constexpr Index kSamplePerCentre = 32;

Index seed_sample_size(Index m, int k, std::int64_t requested) {
  if (requested > 0) return std::clamp<Index>(static_cast<Index>(requested), k, m);
  if (static_cast<double>(m) * k <= kFullSeedingPairs) return m;
  const Index by_cost = static_cast<Index>(std::ceil(kFullSeedingPairs / k));
  return std::min(m, std::max(by_cost, kSamplePerCentre * static_cast<Index>(k)));
}

// Greedy k-means++ on every point, or on a uniform sample without replacement drawn from
// the restart's rng by a partial Fisher–Yates shuffle (kept in point order). With every
// point no draw is made, so results below the threshold are those of full seeding.
template <class S>
RowMatrixD seed(const Data<S>& data, const KMeansOptions& o, Random& rng) {
  const Index m = data.x.rows();
  const Index n = seed_sample_size(m, o.k, o.seed_sample);
  if (n == m) return seed_centres(data, o.k, rng);
  std::vector<Index> ids(m);
  std::iota(ids.begin(), ids.end(), Index{0});
  for (Index t = 0; t < n; ++t) std::swap(ids[t], ids[t + rng.below(m - t)]);
  ids.resize(n);
  std::sort(ids.begin(), ids.end());
  RowMatrix<S> rows(n, data.x.cols());
  Data<S> sample{rows, data.spherical, std::vector<double>(n), {}};
  if (data.spherical) sample.inv_norm.resize(n);
  for (Index r = 0; r < n; ++r) {
    rows.row(r) = data.x.row(ids[r]);
    sample.sq_norm[r] = data.sq_norm[ids[r]];
    if (data.spherical) sample.inv_norm[r] = data.inv_norm[ids[r]];
  }
  return seed_centres(sample, o.k, rng);
}

// Hamerly's bounds (see the file comment), in the metric where the triangle inequality
// holds: Euclidean, or the chord ‖x/‖x‖ − c‖ between unit vectors (chord² = 2 (1 − cos)).
struct Bounds {
  std::vector<double> upper;   // ≥ distance to the own centre
  std::vector<double> lower;   // ≤ distance to every other centre
  RowMatrixD centres;          // the centres the bounds refer to
  std::int64_t evaluations = 0;
};

// Per point, the largest possible |computed − exact| squared distance in that metric, so
// that a proven gap of twice it means the blocked products pick the same centre. A dot
// product of length d in precision u errs by at most γ_d ‖x‖‖c‖, γ_d = d u / (1 − d u),
// whatever its summation order; casting the centre to S adds u ‖c‖ (2‖x‖ + 2‖c‖). Double
// the bound of both, plus a relative 1e-12 for the double arithmetic around them.
template <class S>
class Slack {
 public:
  Slack(const Data<S>& data, const RowMatrixD& centres) : data_(data) {
    const double u = std::numeric_limits<S>::epsilon() / 2;
    const double du = static_cast<double>(data.x.cols()) * u;
    factor_ = 2 * (du / (1 - du) + 2 * u) + 1e-12;
    max_centre_ = data.spherical ? 1.0 : centres.rowwise().norm().maxCoeff();
  }
  double operator()(Index i) const {
    // Spherical: the computed 1 − cos errs by factor_ (unit x and c); chord² is twice it.
    if (data_.spherical) return 2 * factor_;
    const double scale = std::sqrt(data_.sq_norm[i]) + max_centre_;
    return factor_ * scale * scale;
  }
  // Computed distance (as visit_distances gives it) to chord² or squared Euclidean.
  double metric(double computed) const { return data_.spherical ? 2 * computed : computed; }

 private:
  const Data<S>& data_;
  double factor_ = 0, max_centre_ = 0;
};

// Nearest centre from computed distances (ties: lower index) and, on request, the
// smallest distance to any other centre.
Index nearest_of(const double* d, Index k, double* second = nullptr) {
  Index best = 0;
  for (Index j = 1; j < k; ++j) {
    if (d[j] < d[best]) best = j;
  }
  if (second) {
    *second = std::numeric_limits<double>::infinity();
    for (Index j = 0; j < k; ++j) {
      if (j != best) *second = std::min(*second, d[j]);
    }
  }
  return best;
}

template <class S>
void set_bounds(const Slack<S>& slack, Index i, double best, double second, Bounds& b) {
  const double eta = slack(i);
  b.upper[i] = std::sqrt(slack.metric(best) + eta);
  b.lower[i] = std::isinf(second) ? second : std::sqrt(std::max(slack.metric(second) - eta, 0.0));
}

// E-step: nearest centre (ties: lower index) and the distance to it; with bounds, also
// (re)starts them from these distances.
template <class S>
void assign(const Data<S>& data, const RowMatrixD& centres, Labels& labels, std::vector<double>& nearest,
            Bounds* bounds = nullptr) {
  const Index k = centres.rows();
  const Slack<S> slack(data, centres);
  visit_distances(data, make_block<S>(centres), [&](Index i, const double* d) {
    double second = 0;
    const Index best = nearest_of(d, k, bounds ? &second : nullptr);
    labels[i] = static_cast<int>(best);
    nearest[i] = d[best];
    if (bounds) set_bounds(slack, i, d[best], second, *bounds);
  });
  if (bounds) {
    bounds->centres = centres;
    bounds->evaluations += static_cast<std::int64_t>(data.x.rows()) * k;
  }
}

// Half the distance from each centre to its nearest other centre (Hamerly's s), a lower
// bound: the double products' rounding (≤ 4 d 2⁻⁵³ (‖a‖ + ‖b‖)²) is subtracted first.
std::vector<double> half_gaps(const RowMatrixD& centres) {
  const Index k = centres.rows();
  const Eigen::VectorXd sq = centres.rowwise().squaredNorm();
  const Eigen::VectorXd norm = sq.cwiseSqrt();
  const double rel = 4.0 * static_cast<double>(centres.cols()) * std::numeric_limits<double>::epsilon() + 1e-14;
  std::vector<double> half(k, std::numeric_limits<double>::infinity());
  const Index chunks = (k + kChunkRows - 1) / kChunkRows;
  parallel_for(0, chunks, [&](std::int64_t chunk) {
    const Index begin = static_cast<Index>(chunk) * kChunkRows;
    const Index rows = std::min(kChunkRows, k - begin);
    const Eigen::MatrixXd dot = centres.middleRows(begin, rows) * centres.transpose();
    for (Index r = 0; r < rows; ++r) {
      const Index a = begin + r;
      double closest = std::numeric_limits<double>::infinity();
      for (Index j = 0; j < k; ++j) {
        if (j == a) continue;
        const double reach = norm[a] + norm[j];
        closest = std::min(closest, sq[a] + sq[j] - 2 * dot(r, j) - rel * reach * reach);
      }
      half[a] = 0.5 * std::sqrt(std::max(closest, 0.0));
    }
  });
  return half;
}

// Exact distance (in the bounds' metric, rounded up) from point i to centre c.
template <class S>
double exact_distance(const Data<S>& data, Index i, const RowMatrixD& centres, Index c) {
  return std::sqrt((point(data, i) - centres.row(c)).squaredNorm() * (1 + 1e-10));
}

// Rows visit_aligned computes for these points, filler rows included.
Index aligned_rows(const std::vector<Index>& ids, Index m) {
  const Index full_chunks = m / kChunkRows;
  std::vector<Index> count(kChunkRows, 0);
  bool tail = false;
  for (Index i : ids) {
    if (i / kChunkRows < full_chunks) {
      ++count[i % kChunkRows];
    } else {
      tail = true;
    }
  }
  return *std::max_element(count.begin(), count.end()) * kChunkRows + (tail ? m - full_chunks * kChunkRows : 0);
}

// Hamerly's E-step: the labels assign() would give, computing distances only for the points
// whose bounds do not prove their centre. Steps, each parallel over points:
// 1. move the bounds by the centres' drift; a point keeps its label when the bound on its
//    own centre is below the bound on every other (max of the lower bound and 2s − upper)
//    by more than its rounding slack, first as is, then with the exact own distance;
// 2. the rest get all k distances, bit for bit as assign() computes them (visit_aligned).
template <class S>
void assign_bounded(const Data<S>& data, const RowMatrixD& centres, Labels& labels, Bounds& b) {
  const Index m = data.x.rows();
  const Index k = centres.rows();
  std::vector<double> drift(k);
  for (Index j = 0; j < k; ++j) drift[j] = (centres.row(j) - b.centres.row(j)).norm() * (1 + 1e-12);
  Index far = 0;
  for (Index j = 1; j < k; ++j) {
    if (drift[j] > drift[far]) far = j;
  }
  double second_drift = 0;
  for (Index j = 0; j < k; ++j) {
    if (j != far) second_drift = std::max(second_drift, drift[j]);
  }
  const std::vector<double> half = half_gaps(centres);
  const Slack<S> slack(data, centres);
  b.centres = centres;

  std::vector<char> open(m, 0);
  auto proven = [&](Index i, int a) {
    const double others = std::max(b.lower[i], 2 * half[a] - b.upper[i]);
    return others > b.upper[i] && others * others - b.upper[i] * b.upper[i] > 2 * slack(i);
  };
  const Index chunks = (m + kChunkRows - 1) / kChunkRows;
  parallel_for(0, chunks, [&](std::int64_t chunk) {
    const Index end = std::min(m, static_cast<Index>(chunk + 1) * kChunkRows);
    for (Index i = static_cast<Index>(chunk) * kChunkRows; i < end; ++i) {
      const int a = labels[i];
      b.upper[i] += drift[a];
      b.lower[i] -= a == far ? second_drift : drift[far];
      if (proven(i, a)) continue;
      b.upper[i] = exact_distance(data, i, centres, a);
      open[i] = proven(i, a) ? 2 : 1;  // 2: tightened and proven, 1: needs all distances
    }
  });
  std::vector<Index> gather;
  std::int64_t tightened = 0;
  for (Index i = 0; i < m; ++i) {
    tightened += open[i] != 0;
    if (open[i] == 1) gather.push_back(i);
  }

  const Index computed = aligned_rows(gather, m);
  visit_aligned(data, make_block<S>(centres), gather, [&](Index i, const double* d) {
    double second = 0;
    labels[i] = static_cast<int>(nearest_of(d, k, &second));
    set_bounds(slack, i, d[labels[i]], second, b);
  });
  b.evaluations += tightened + static_cast<std::int64_t>(computed) * k;
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

bool has_empty(const Labels& labels, Index k) {
  std::vector<char> used(k, 0);
  for (int l : labels) used[l] = 1;
  return std::find(used.begin(), used.end(), 0) != used.end();
}

template <class S>
KMeansResult lloyd(const Data<S>& data, RowMatrixD centres, const KMeansOptions& o, double tol, bool bounded) {
  const Index m = data.x.rows();
  const Index k = centres.rows();
  Labels labels(m, -1), previous(m, -1);
  std::vector<double> nearest(m);
  Bounds bounds;
  if (bounded) {
    bounds.upper.resize(m);
    bounds.lower.resize(m);
  }
  std::int64_t lloyd_evaluations = 0;
  // With bounds, the first E-step computes every distance; later ones skip proven points.
  auto e_step = [&] {
    if (!bounded) {
      assign(data, centres, labels, nearest);
      lloyd_evaluations += static_cast<std::int64_t>(m) * k;
    } else if (bounds.centres.rows() == 0) {
      assign(data, centres, labels, nearest, &bounds);
    } else {
      assign_bounded(data, centres, labels, bounds);
    }
  };
  bool settled = false;
  int iterations = 0;
  while (iterations < o.max_iter) {
    ++iterations;
    e_step();
    // Relocating an empty Euclidean cluster reads every point's computed distance to its
    // centre, which the bounded step does not have: compute them all, as Lloyd does.
    if (bounded && !data.spherical && iterations > 1 && has_empty(labels, k)) {
      assign(data, centres, labels, nearest, &bounds);
    }
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
  if (!settled) e_step();
  KMeansResult result;
  result.inertia = inertia(data, centres, labels);
  result.labels = std::move(labels);
  result.centres = std::move(centres);
  result.iterations = iterations;
  result.distance_evaluations = bounded ? bounds.evaluations : lloyd_evaluations;
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
  const bool bounded = o.algorithm == KMeansAlgorithm::Hamerly ||
                       (o.algorithm == KMeansAlgorithm::Automatic && o.k >= kHamerlyMinK);
  std::int64_t evaluations = 0;
  KMeansResult best;
  for (int restart = 0; restart < o.n_init; ++restart) {
    Random rng(master.bits());
    KMeansResult run = lloyd(data, seed(data, o, rng), o, tol, bounded);
    evaluations += run.distance_evaluations;
    if (restart == 0 || run.inertia < best.inertia) best = std::move(run);  // ties: earliest
  }
  best.distance_evaluations = evaluations;
  if (o.spherical) drop_empty_centres(best);
  return best;
}

}  // namespace

KMeansResult kmeans(const RowMatrixF& points, const KMeansOptions& options) { return run_kmeans(points, options); }

KMeansResult kmeans(const RowMatrixD& points, const KMeansOptions& options) { return run_kmeans(points, options); }

}  // namespace vlc
