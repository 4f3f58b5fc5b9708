#include "vlc/naming.hpp"
#include <algorithm>
#include <numeric>
#include "vlc/error.hpp"
#include "vlc/parallel.hpp"

namespace vlc {
namespace {

// The `top` largest entries of one score row, best first; ties go to the smaller index so the
// result does not depend on the order of evaluation.
void top_scores(const float* row, int l, int top, const std::uint8_t* allowed, int* index, float* score) {
  int filled = 0;
  for (int j = 0; j < l; ++j) {
    if (allowed && !allowed[j]) continue;
    const float s = row[j];
    if (filled == top && !(s > score[top - 1])) continue;  // strict: an equal later index loses
    int pos = filled < top ? filled++ : top - 1;
    while (pos > 0 && s > score[pos - 1]) {
      score[pos] = score[pos - 1];
      index[pos] = index[pos - 1];
      --pos;
    }
    score[pos] = s;
    index[pos] = j;
  }
}

void check_inputs(const RowMatrixF& images, const RowMatrixF& nouns, const Labels& labels, int k,
                  const NamingOptions& o) {
  require(k >= 1, "name_clusters: k = ", k, ": need at least one cluster");
  require(images.rows() >= 1, "name_clusters: no images");
  require(nouns.rows() >= 1, "name_clusters: the vocabulary is empty");
  require(images.cols() == nouns.cols(), "name_clusters: images have dimension ", images.cols(),
          " but nouns have dimension ", nouns.cols());
  require(labels.size() == static_cast<std::size_t>(images.rows()), "name_clusters: ", labels.size(),
          " labels for ", images.rows(), " images");
  for (std::size_t i = 0; i < labels.size(); ++i)
    require(labels[i] >= 0 && labels[i] < k, "name_clusters: label ", labels[i], " of image ", i,
            " is outside 0..", k - 1);
  require(o.top >= 1, "name_clusters: top = ", o.top, " must be at least 1");
  require(o.runners_up >= 0, "name_clusters: runners_up = ", o.runners_up, " must not be negative");
  require(o.chunk >= 1, "name_clusters: chunk = ", o.chunk, " must be at least 1");
  require(o.allowed.empty() || o.allowed.size() == static_cast<std::size_t>(nouns.rows()), "name_clusters: noun mask has ",
          o.allowed.size(), " entries but the vocabulary has ", nouns.rows());
}

}  // namespace

std::vector<ClusterName> name_clusters(const RowMatrixF& images, const RowMatrixF& nouns, const Labels& labels, int k,
                                       const NamingOptions& o) {
  check_inputs(images, nouns, labels, k, o);
  const int m = static_cast<int>(images.rows());
  const int l = static_cast<int>(nouns.rows());
  const std::uint8_t* allowed = o.allowed.empty() ? nullptr : o.allowed.data();
  const int usable = allowed ? static_cast<int>(std::count_if(o.allowed.begin(), o.allowed.end(), [](std::uint8_t a) { return a != 0; })) : l;
  require(usable >= 1, "name_clusters: every noun is masked out; allow at least one");
  const int top = std::min(o.top, usable);

  // seed 004 Alg. 2 lines (8)–(9): cosine scores (unit rows, so a GEMM) and each image's top
  // entries. Chunks of images keep the score block small; each chunk writes only its own rows.
  std::vector<int> best_index(static_cast<std::size_t>(m) * top);
  std::vector<float> best_score(static_cast<std::size_t>(m) * top);
  const int chunks = (m + o.chunk - 1) / o.chunk;
  parallel_for(0, chunks, [&](std::int64_t c) {
    const int begin = static_cast<int>(c) * o.chunk;
    const int rows = std::min(o.chunk, m - begin);
    const RowMatrixF scores = images.middleRows(begin, rows) * nouns.transpose();
    for (int r = 0; r < rows; ++r) {
      const std::size_t at = static_cast<std::size_t>(begin + r) * top;
      top_scores(scores.row(r).data(), l, top, allowed, &best_index[at], &best_score[at]);
    }
  });

  // Alg. 2 line (10): V ← V + valid scores, one vote vector per cluster. Serial, in image
  // order, so sums are identical on every target.
  RowMatrixD votes = RowMatrixD::Zero(k, l);
  std::vector<int> size(k, 0);
  for (int i = 0; i < m; ++i) {
    ++size[labels[i]];
    for (int t = 0; t < top; ++t)
      votes(labels[i], best_index[static_cast<std::size_t>(i) * top + t]) += best_score[static_cast<std::size_t>(i) * top + t];
  }

  // Output: argmax V, then the runners-up, each with its share of the cluster's total vote.
  std::vector<ClusterName> names(k);
  const int wanted = std::min(l, 1 + o.runners_up);
  for (int c = 0; c < k; ++c) {
    names[c].cluster = c;
    names[c].size = size[c];
    if (size[c] == 0) continue;
    std::vector<int> order(l);
    std::iota(order.begin(), order.end(), 0);
    const auto v = votes.row(c);
    std::partial_sort(order.begin(), order.begin() + wanted, order.end(),
                      [&](int a, int b) { return v(a) != v(b) ? v(a) > v(b) : a < b; });
    const double total = v.sum();
    for (int t = 0; t < wanted; ++t) {
      if (v(order[t]) == 0) break;  // nouns nobody voted for are not candidates
      names[c].nouns.push_back(order[t]);
      names[c].shares.push_back(total != 0 ? v(order[t]) / total : 0.0);
    }
  }
  return names;
}

}  // namespace vlc
