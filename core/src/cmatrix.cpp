#include "vlc/cmatrix.hpp"
#include <Eigen/Cholesky>
#include <algorithm>
#include "vlc/error.hpp"
#include "vlc/kmeans.hpp"
#include "vlc/noun_filter.hpp"

namespace vlc {

std::vector<int> candidate_nouns(const RowMatrixD& centres, const RowMatrixF& nouns, int theta,
                                 const std::vector<std::uint8_t>& allowed) {
  require(centres.rows() >= 1, "candidate_nouns: no centres");
  require(nouns.rows() >= 1, "candidate_nouns: the vocabulary is empty");
  require(centres.cols() == nouns.cols(), "candidate_nouns: centres have dimension ", centres.cols(),
          " but nouns have dimension ", nouns.cols());
  require(theta >= 1, "candidate_nouns: theta = ", theta, " must be at least 1");
  require(allowed.empty() || allowed.size() == static_cast<std::size_t>(nouns.rows()), "candidate_nouns: noun mask has ",
          allowed.size(), " entries but the vocabulary has ", nouns.rows());
  const int l = static_cast<int>(nouns.rows());
  // Unit centres and unit nouns: the dot product is the cosine of seed 002 Eq. 3.
  const Eigen::MatrixXd similarity = centres * nouns.cast<double>().transpose();  // r×L
  std::vector<std::vector<int>> assigned(centres.rows());
  for (int j = 0; j < l; ++j) {
    if (!allowed.empty() && !allowed[j]) continue;
    Eigen::Index owner = 0;
    similarity.col(j).maxCoeff(&owner);  // seed 002 Eq. 2: a(i) = argmax_r cos(w_i, p_r)
    assigned[owner].push_back(j);
  }
  std::vector<std::uint8_t> keep(l, 0);
  for (Eigen::Index r = 0; r < centres.rows(); ++r) {
    auto& list = assigned[r];
    const std::size_t n = std::min<std::size_t>(list.size(), static_cast<std::size_t>(theta));
    std::partial_sort(list.begin(), list.begin() + n, list.end(), [&](int a, int b) {
      return similarity(r, a) != similarity(r, b) ? similarity(r, a) > similarity(r, b) : a < b;
    });
    for (std::size_t t = 0; t < n; ++t) keep[list[t]] = 1;
  }
  std::vector<int> u;
  for (int j = 0; j < l; ++j)
    if (keep[j]) u.push_back(j);
  require(!u.empty(), "candidate_nouns: no candidate noun (every noun is masked out); allow more nouns");
  return u;
}

RowMatrixD c_matrix(const RowMatrixF& images, const RowMatrixF& candidates, double gamma) {
  require(images.cols() == candidates.cols(), "c_matrix: images have dimension ", images.cols(),
          " but candidate nouns have dimension ", candidates.cols());
  require(candidates.rows() >= 1, "c_matrix: no candidate nouns");
  require(gamma > 0, "c_matrix: gamma = ", gamma, " must be positive (it makes U Uᵀ + γI invertible)");
  const Eigen::MatrixXd u = candidates.cast<double>();
  Eigen::MatrixXd gram = u * u.transpose();  // |U|×|U|
  gram.diagonal().array() += gamma;
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(gram);
  require(ldlt.info() == Eigen::Success, "c_matrix: LDLT of U Uᵀ + γI failed");
  // seed 002 Eq. 5 transposed: (UUᵀ + γI) Cᵀ = U Zᵀ (the Gram is symmetric).
  const Eigen::MatrixXd ct = ldlt.solve(u * images.cast<double>().transpose());
  return ct.transpose();
}

CMatrixResult cmatrix_representation(const RowMatrixF& images, const RowMatrixF& nouns, const CMatrixOptions& o) {
  require(o.k >= 1 && o.k <= images.rows(), "cmatrix: k = ", o.k, " must be between 1 and M = ", images.rows());
  // §1 steps 2–3 (seed 002 uses the same k̃ = max(⌈N/300⌉, 3K)): reuse the noun filter's
  // spherical k-means centres; its TAC noun selection is not needed here.
  NounFilterOptions nf;
  nf.k = o.k;
  nf.restarts = o.filter_restarts;
  nf.seed = o.seed;
  nf.allowed = o.allowed;
  const NounFilterResult fine = filter_nouns(images, nouns, nf);

  CMatrixResult result;
  result.nouns = candidate_nouns(fine.centres, nouns, o.theta, o.allowed);
  result.c = c_matrix(images, select_rows(nouns, result.nouns), o.gamma);
  return result;
}

CMatrixResult cmatrix_clustering(const RowMatrixF& images, const RowMatrixF& nouns, const CMatrixOptions& o) {
  CMatrixResult result = cmatrix_representation(images, nouns, o);
  KMeansOptions km;
  km.k = o.k;
  km.n_init = o.n_init;
  km.seed = o.seed;
  result.labels = kmeans(result.c, km).labels;
  return result;
}

}  // namespace vlc
