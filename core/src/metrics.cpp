// §5 of docs/method.md: ACC, NMI and ARI as scikit-learn 1.2 computes them.
//
// The formulas and special cases follow sklearn.metrics.cluster._supervised line by line
// (normalized_mutual_info_score, mutual_info_score, entropy, adjusted_rand_score,
// pair_confusion_matrix) so that results agree to 1e-9; where sklearn relies on Python's
// unbounded integers (ARI) we use 128-bit integers instead.
#include "vlc/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

#include "vlc/error.hpp"

namespace vlc {
namespace {

// A labeling recoded to 0..classes−1 in increasing label order (np.unique's order).
struct Coded {
  std::vector<int> code;
  int classes = 0;
};

Coded encode(const Labels& labels, const char* which) {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    require(labels[i] >= 0, which, " label ", i, " is ", labels[i],
            "; cluster labels must be non-negative");
  }
  std::vector<int> values(labels);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  Coded out;
  out.classes = static_cast<int>(values.size());
  out.code.resize(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    out.code[i] = static_cast<int>(std::lower_bound(values.begin(), values.end(), labels[i]) - values.begin());
  }
  return out;
}

// The non-zero cells of the truth × predicted contingency table in row-major order,
// plus its margins. Sparse because both sides may have thousands of clusters.
struct Contingency {
  int rows = 0, cols = 0;               // classes of truth, of predicted
  std::int64_t total = 0;
  std::vector<int> cell_row, cell_col;  // one entry per non-zero cell
  std::vector<std::int64_t> cell_count;
  std::vector<std::int64_t> row_sum, col_sum;
};

Contingency contingency(const Labels& truth, const Labels& predicted) {
  require(truth.size() == predicted.size(), "label lengths differ: truth has ", truth.size(),
          " labels, predicted has ", predicted.size());
  const Coded t = encode(truth, "truth");
  const Coded p = encode(predicted, "predicted");
  Contingency c;
  c.rows = t.classes;
  c.cols = p.classes;
  c.total = static_cast<std::int64_t>(truth.size());
  c.row_sum.assign(c.rows, 0);
  c.col_sum.assign(c.cols, 0);
  std::vector<std::int64_t> keys(truth.size());
  for (std::size_t i = 0; i < truth.size(); ++i) {
    keys[i] = static_cast<std::int64_t>(t.code[i]) * c.cols + p.code[i];
    ++c.row_sum[t.code[i]];
    ++c.col_sum[p.code[i]];
  }
  std::sort(keys.begin(), keys.end());
  for (std::size_t i = 0; i < keys.size();) {
    std::size_t j = i;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    c.cell_row.push_back(static_cast<int>(keys[i] / c.cols));
    c.cell_col.push_back(static_cast<int>(keys[i] % c.cols));
    c.cell_count.push_back(static_cast<std::int64_t>(j - i));
    i = j;
  }
  return c;
}

// sklearn's entropy(): natural log, a single cluster has zero entropy.
double entropy(const std::vector<std::int64_t>& counts) {
  if (counts.size() <= 1) return 0.0;
  double sum = 0;
  for (auto n : counts) sum += static_cast<double>(n);
  const double log_sum = std::log(sum);
  double h = 0;
  for (auto n : counts) {
    const double x = static_cast<double>(n);
    h += (x / sum) * (std::log(x) - log_sum);
  }
  return -h;
}

// sklearn's mutual_info_score() on a contingency table, including its per-cell
// flush of |term| < eps to zero and the final clip at 0.
double mutual_information(const Contingency& c) {
  if (c.rows == 1 || c.cols == 1) return 0.0;
  const double total = static_cast<double>(c.total);
  const double log_total = std::log(total);
  const double eps = std::numeric_limits<double>::epsilon();
  double mi = 0;
  for (std::size_t k = 0; k < c.cell_count.size(); ++k) {
    const double n = static_cast<double>(c.cell_count[k]);
    const double nm = n / total;
    const double outer = static_cast<double>(c.row_sum[c.cell_row[k]] * c.col_sum[c.cell_col[k]]);
    const double log_outer = -std::log(outer) + log_total + log_total;
    const double term = nm * (std::log(n) - log_total) + nm * log_outer;
    if (std::abs(term) >= eps) mi += term;
  }
  return std::max(mi, 0.0);
}

// Rows of the cost matrix must not outnumber its columns here; hungarian() transposes.
// Shortest augmenting paths with row/column potentials (the Jonker–Volgenant-style
// O(rows²·cols) formulation). Written by hand: neither Eigen, Spectra nor the standard
// library offers an assignment solver.
std::vector<int> assign_rows(const RowMatrixD& cost) {
  const int n = static_cast<int>(cost.rows());
  const int m = static_cast<int>(cost.cols());
  const double inf = std::numeric_limits<double>::infinity();
  // 1-based with a virtual column 0 that holds the row being inserted.
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0);
  std::vector<int> owner(m + 1, 0), way(m + 1, 0);
  for (int row = 1; row <= n; ++row) {
    owner[0] = row;
    int col0 = 0;
    std::vector<double> minv(m + 1, inf);
    std::vector<char> used(m + 1, 0);
    do {
      used[col0] = 1;
      const int i0 = owner[col0];
      double delta = inf;
      int col1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double reduced = cost(i0 - 1, j - 1) - u[i0] - v[j];
        if (reduced < minv[j]) {
          minv[j] = reduced;
          way[j] = col0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          col1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used[j]) {
          u[owner[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      col0 = col1;
    } while (owner[col0] != 0);
    // Flip the augmenting path back to the virtual column.
    do {
      const int col1 = way[col0];
      owner[col0] = owner[col1];
      col0 = col1;
    } while (col0 != 0);
  }
  std::vector<int> result(n, -1);
  for (int j = 1; j <= m; ++j) {
    if (owner[j] != 0) result[owner[j] - 1] = j - 1;
  }
  return result;
}

}  // namespace

std::vector<int> hungarian(const RowMatrixD& cost) {
  require(cost.allFinite(), "hungarian: the cost matrix has a non-finite entry");
  const auto rows = cost.rows();
  const auto cols = cost.cols();
  if (rows == 0) return {};
  if (cols == 0) return std::vector<int>(rows, -1);
  if (rows <= cols) return assign_rows(cost);
  // More rows than columns: assign every column to a row instead, leaving rows out.
  const RowMatrixD transposed = cost.transpose();
  const std::vector<int> col_to_row = assign_rows(transposed);
  std::vector<int> result(rows, -1);
  for (int j = 0; j < static_cast<int>(cols); ++j) result[col_to_row[j]] = j;
  return result;
}

double accuracy(const Labels& truth, const Labels& predicted) {
  const Contingency c = contingency(truth, predicted);
  // Empty labelings agree vacuously, as sklearn's NMI and ARI also return 1.0 for them.
  if (c.total == 0) return 1.0;
  // Maximising matched counts = minimising their negatives; predicted clusters are rows,
  // like the usual linear_sum_assignment(-w) over w[predicted, truth].
  RowMatrixD cost = RowMatrixD::Zero(c.cols, c.rows);
  for (std::size_t k = 0; k < c.cell_count.size(); ++k) {
    cost(c.cell_col[k], c.cell_row[k]) = -static_cast<double>(c.cell_count[k]);
  }
  const std::vector<int> match = hungarian(cost);
  std::int64_t correct = 0;
  for (int r = 0; r < static_cast<int>(match.size()); ++r) {
    if (match[r] >= 0) correct += static_cast<std::int64_t>(-cost(r, match[r]));
  }
  return static_cast<double>(correct) / static_cast<double>(c.total);
}

double nmi(const Labels& truth, const Labels& predicted) {
  const Contingency c = contingency(truth, predicted);
  // sklearn: no split on either side (or no data) is a perfect match.
  if ((c.rows == 1 && c.cols == 1) || (c.rows == 0 && c.cols == 0)) return 1.0;
  const double mi = mutual_information(c);
  if (mi == 0.0) return 0.0;
  const double normaliser = (entropy(c.row_sum) + entropy(c.col_sum)) / 2.0;
  return mi / normaliser;
}

double ari(const Labels& truth, const Labels& predicted) {
  const Contingency c = contingency(truth, predicted);
  // Pair counts can exceed 2^63 in their products for n ≳ 10^5; sklearn uses Python ints.
  using Wide = __int128;
  Wide sum_squares = 0, row_weighted = 0, col_weighted = 0;
  for (std::size_t k = 0; k < c.cell_count.size(); ++k) {
    const Wide n = c.cell_count[k];
    sum_squares += n * n;
    row_weighted += n * c.col_sum[c.cell_col[k]];
    col_weighted += n * c.row_sum[c.cell_row[k]];
  }
  const Wide total = c.total;
  const Wide tp = sum_squares - total;
  const Wide fp = row_weighted - sum_squares;
  const Wide fn = col_weighted - sum_squares;
  const Wide tn = total * total - fp - fn - sum_squares;
  if (fn == 0 && fp == 0) return 1.0;
  const Wide numerator = tp * tn - fn * fp;
  const Wide denominator = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
  return 2.0 * static_cast<double>(numerator) / static_cast<double>(denominator);
}

}  // namespace vlc
