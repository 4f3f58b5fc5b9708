#include "vlc/naming.hpp"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <Eigen/Core>
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
  require(o.parent.empty() || o.parent.size() == static_cast<std::size_t>(nouns.rows()), "name_clusters: the noun tree has ",
          o.parent.size(), " entries but the vocabulary has ", nouns.rows());
  for (std::size_t r = 0; r < o.parent.size(); ++r)
    require(o.parent[r] >= -1 && o.parent[r] < nouns.rows(), "name_clusters: parent ", o.parent[r], " of noun ", r,
            " is not a vocabulary row or -1");
  require(o.cover > 0 && o.cover <= 1, "name_clusters: cover = ", o.cover, " must be in (0, 1]");
  require(o.allowed.empty() || o.allowed.size() == static_cast<std::size_t>(nouns.rows()), "name_clusters: noun mask has ",
          o.allowed.size(), " entries but the vocabulary has ", nouns.rows());
}


// The nouns anyone in the cluster voted for, best candidate first. Without the noun tree: by
// vote (seed 004's argmax V). With it (NamingOptions::parent): first the nouns that cover at
// least `cover` of the cluster — an image is covered by a noun when the noun or one of its
// hyponyms is in the image's top list — deepest (most specific) first, ties by vote; then the
// others by vote. Why: a hypernym ("odd-toed ungulate", "artifact") is in almost every image's
// top 5 of a class and out-votes the class noun, while one breed's name is in too few of a
// "dog" cluster's lists; people name an album by the most specific word true of nearly all of it.
// With NamingOptions::distinctive the votes are weighted by idf first (distinctive_weights),
// and the noun tree is not consulted.
std::vector<int> rank_candidates(const Eigen::Ref<const Eigen::RowVectorXd>& v,
                                 const Eigen::Ref<const Eigen::Matrix<int, 1, Eigen::Dynamic>>& cover, int size,
                                 const std::vector<int>& depth, const NamingOptions& o, const VectorD& idf) {
  std::vector<int> voted;
  for (int j = 0; j < v.size(); ++j)
    if (v(j) != 0 || (!depth.empty() && cover(j) > 0)) voted.push_back(j);
  const bool tree = !depth.empty() && !o.distinctive;
  auto covers = [&](int j) { return tree && cover(j) >= o.cover * size; };
  auto score = [&](int j) { return o.distinctive ? v(j) * idf(j) : v(j); };
  std::sort(voted.begin(), voted.end(), [&](int a, int b) {
    if (covers(a) != covers(b)) return covers(a);
    if (covers(a) && depth[a] != depth[b]) return depth[a] > depth[b];
    return score(a) != score(b) ? score(a) > score(b) : a < b;
  });
  return voted;
}

// Class-based TF-IDF (BERTopic, "BERTopic: Neural topic modeling with a class-based TF-IDF
// procedure"): idf_j = log(1 + A / f_j), A = the mean vote total per cluster, f_j = noun j's
// votes summed over all clusters. A hypernym that every cluster votes for ("dog",
// "odd-toed ungulate", "artifact") is down-weighted against the noun only this cluster votes
// for. Empty unless NamingOptions::distinctive.
VectorD distinctive_weights(const RowMatrixD& votes, const NamingOptions& o) {
  if (!o.distinctive) return VectorD();
  const VectorD f = votes.colwise().sum().transpose();
  const double mean_total = votes.sum() / static_cast<double>(votes.rows());
  VectorD idf(f.size());
  for (Eigen::Index j = 0; j < f.size(); ++j) idf(j) = f(j) > 0 ? std::log1p(mean_total / f(j)) : 0.0;
  return idf;
}

// Depth of every noun in the tree given by parent rows (−1 = root); empty without a tree.
std::vector<int> tree_depths(const std::vector<int>& parent) {
  std::vector<int> depth(parent.size(), -1);
  for (std::size_t r = 0; r < parent.size(); ++r) {
    int d = 0;
    for (int p = parent[r]; p >= 0 && d <= static_cast<int>(parent.size()); p = parent[p]) ++d;
    require(d <= static_cast<int>(parent.size()), "name_clusters: the noun tree has a cycle through noun ", r);
    depth[r] = d;
  }
  return depth;
}

std::vector<int> first_choice(const std::vector<std::vector<int>>& ranked) {
  std::vector<int> chosen;
  for (const auto& r : ranked) chosen.push_back(r.empty() ? -1 : r[0]);
  return chosen;
}

// Names unique within the result: the cluster that gives a noun the larger vote keeps it, the
// other takes its next candidate (greedy over (cluster, candidate) pairs by vote; a cluster
// with no unused voted noun keeps its first choice).
std::vector<int> unique_choice(const std::vector<std::vector<int>>& ranked, const RowMatrixD& votes) {
  const int k = static_cast<int>(ranked.size());
  std::vector<int> chosen(k, -1), next(k, 0);
  std::vector<char> taken(static_cast<std::size_t>(votes.cols()), 0);
  const VectorD total = votes.rowwise().sum();  // once: the rounds below are k × k
  for (int round = 0; round < k; ++round) {
    // The unassigned cluster whose current candidate has the largest vote share goes next.
    int pick = -1;
    double best = -1;
    for (int c = 0; c < k; ++c) {
      if (chosen[c] >= 0 || ranked[c].empty()) continue;
      while (next[c] < static_cast<int>(ranked[c].size()) && taken[ranked[c][next[c]]]) ++next[c];
      if (next[c] == static_cast<int>(ranked[c].size())) {
        chosen[c] = ranked[c][0];
        continue;
      }
      const double share = total(c) > 0 ? votes(c, ranked[c][next[c]]) / total(c) : 0;
      if (share > best) best = share, pick = c;
    }
    if (pick < 0) break;
    chosen[pick] = ranked[pick][next[pick]];
    taken[chosen[pick]] = 1;
  }
  return chosen;
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
  // order, so sums are identical on every target. `cover` counts the images that voted.
  RowMatrixD votes = RowMatrixD::Zero(k, l);
  Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> cover =
      Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>::Zero(k, l);
  std::vector<int> size(k, 0);
  const std::vector<int> depth = tree_depths(o.parent);
  std::vector<int> stamp(static_cast<std::size_t>(l), -1);  // the last image that covered each noun
  for (int i = 0; i < m; ++i) {
    ++size[labels[i]];
    for (int t = 0; t < top; ++t) {
      const int j = best_index[static_cast<std::size_t>(i) * top + t];
      votes(labels[i], j) += best_score[static_cast<std::size_t>(i) * top + t];
      // The noun and its hypernyms cover image i, each once.
      for (int r = j; r >= 0 && stamp[r] != i; r = o.parent.empty() ? -1 : o.parent[r]) {
        stamp[r] = i;
        ++cover(labels[i], r);
      }
    }
  }

  // Every voted noun of each cluster, best candidate first (rank_candidates), then unique names.
  std::vector<std::vector<int>> ranked(k);
  const VectorD idf = distinctive_weights(votes, o);
  for (int c = 0; c < k; ++c) ranked[c] = rank_candidates(votes.row(c), cover.row(c), size[c], depth, o, idf);
  const std::vector<int> chosen = o.unique ? unique_choice(ranked, votes) : first_choice(ranked);

  std::vector<ClusterName> names(k);
  for (int c = 0; c < k; ++c) {
    names[c].cluster = c;
    names[c].size = size[c];
    if (size[c] == 0 || chosen[c] < 0) continue;
    const auto v = votes.row(c);
    const double total = v.sum();
    names[c].nouns.push_back(chosen[c]);
    for (int j : ranked[c]) {
      if (static_cast<int>(names[c].nouns.size()) > o.runners_up) break;
      if (j != chosen[c]) names[c].nouns.push_back(j);
    }
    for (int j : names[c].nouns) names[c].shares.push_back(total != 0 ? v(j) / total : 0.0);
  }
  return names;
}

}  // namespace vlc
