#include "vlc/noun_filter.hpp"
#include <algorithm>
#include <cmath>
#include "vlc/error.hpp"
#include "vlc/kmeans.hpp"

namespace vlc {

RowMatrixF ensemble_nouns(const std::vector<RowMatrixF>& templates) {
  require(!templates.empty(), "ensemble_nouns: no templates (B = 0)");
  Eigen::MatrixXd sum = templates[0].cast<double>();
  for (std::size_t b = 1; b < templates.size(); ++b) sum += templates[b].cast<double>();
  RowMatrixF out(sum.rows(), sum.cols());
  for (Eigen::Index l = 0; l < sum.rows(); ++l) {
    const double norm = sum.row(l).norm();
    // Templates pointing in opposite directions can cancel; such a noun has no direction.
    require(norm > 0, "ensemble_nouns: noun ", l, " averages to zero over the templates");
    out.row(l) = (sum.row(l) / norm).cast<float>();
  }
  return out;
}

int fine_centre_count(int m, int k) {
  const int by_size = (m + 299) / 300;  // ⌈M/300⌉
  return std::min(m, std::max(by_size, 3 * k));
}

RowMatrixF select_rows(const RowMatrixF& x, const std::vector<int>& rows) {
  RowMatrixF out(static_cast<Eigen::Index>(rows.size()), x.cols());
  for (std::size_t r = 0; r < rows.size(); ++r) out.row(static_cast<Eigen::Index>(r)) = x.row(rows[r]);
  return out;
}

NounFilterResult filter_nouns(const RowMatrixF& images, const RowMatrixF& nouns, const NounFilterOptions& o) {
  require(images.cols() == nouns.cols(), "filter_nouns: images have dimension ", images.cols(), " but nouns have ",
          nouns.cols());
  require(nouns.rows() >= 1, "filter_nouns: the vocabulary is empty");
  require(o.allowed.empty() || o.allowed.size() == static_cast<std::size_t>(nouns.rows()),
          "filter_nouns: noun mask has ", o.allowed.size(), " entries but the vocabulary has ", nouns.rows());
  const int m = static_cast<int>(images.rows());
  const int l = static_cast<int>(nouns.rows());

  // §1 step 3: spherical k-means with k̃ centres.
  KMeansOptions km;
  km.k = fine_centre_count(m, o.k);
  km.n_init = o.restarts;
  km.max_iter = o.max_iter;
  km.seed = o.seed;
  km.spherical = true;
  KMeansResult fine = kmeans(images, km);

  NounFilterResult result;
  result.centres = fine.centres;
  result.fine_labels = std::move(fine.labels);
  const int r_count = static_cast<int>(result.centres.rows());

  // §1 step 4: softmax over centres (temperature 1) of c_r · T̄_l, per noun.
  const Eigen::MatrixXd logits = result.centres * nouns.cast<double>().transpose();  // r×L
  std::vector<int> owner(l);
  std::vector<double> confidence(l);
  for (int j = 0; j < l; ++j) {
    Eigen::Index best = 0;
    const double top = logits.col(j).maxCoeff(&best);
    const double denom = (logits.col(j).array() - top).exp().sum();
    owner[j] = static_cast<int>(best);
    confidence[j] = 1.0 / denom;  // p_{a(l),l} = exp(0)/Σ exp(·−top)
  }

  // §1 step 5: the (at most) per_centre most confident nouns of each centre.
  std::vector<std::vector<int>> by_centre(r_count);
  for (int j = 0; j < l; ++j)
    if (o.allowed.empty() || o.allowed[j]) by_centre[owner[j]].push_back(j);
  std::vector<std::uint8_t> keep(l, 0);
  for (auto& list : by_centre) {
    const std::size_t n = std::min<std::size_t>(list.size(), static_cast<std::size_t>(o.per_centre));
    std::partial_sort(list.begin(), list.begin() + n, list.end(), [&](int a, int b) {
      return confidence[a] != confidence[b] ? confidence[a] > confidence[b] : a < b;
    });
    for (std::size_t t = 0; t < n; ++t) keep[list[t]] = 1;
  }
  for (int j = 0; j < l; ++j)
    if (keep[j]) result.kept.push_back(j);
  require(!result.kept.empty(), "filter_nouns: no noun was kept (every noun is masked out); allow more nouns");
  return result;
}

}  // namespace vlc
