// C-matrix clustering (cmatrix.hpp, seed 002 Sec. 3.1): candidate nouns by hand, C against an
// explicit dense inverse, clustering on the synthetic generator, input errors.
#include <catch2/catch.hpp>

#include <Eigen/LU>

#include "vlc/cluster.hpp"
#include "vlc/cmatrix.hpp"
#include "vlc/error.hpp"
#include "vlc/metrics.hpp"
#include "vlc/noun_filter.hpp"
#include "vlc/random.hpp"
#include "vlc/synthetic.hpp"

namespace {

vlc::RowMatrixF random_unit_rows(int n, int d, std::uint64_t seed) {
  vlc::Random rng(seed);
  vlc::RowMatrixF x(n, d);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < d; ++j) x(i, j) = static_cast<float>(rng.normal());
    x.row(i).normalize();
  }
  return x;
}

}  // namespace

TEST_CASE("C equals Z Uᵀ (U Uᵀ + γI)⁻¹ computed with an explicit inverse", "[cmatrix]") {
  const vlc::RowMatrixF z = random_unit_rows(50, 16, 1), u = random_unit_rows(12, 16, 2);
  for (double gamma : {5.0, 0.5}) {
    const vlc::RowMatrixD c = vlc::c_matrix(z, u, gamma);
    const Eigen::MatrixXd ud = u.cast<double>();
    const Eigen::MatrixXd inverse = (ud * ud.transpose() + gamma * Eigen::MatrixXd::Identity(12, 12)).inverse();
    const Eigen::MatrixXd expected = z.cast<double>() * ud.transpose() * inverse;
    REQUIRE(c.rows() == 50);
    REQUIRE(c.cols() == 12);
    // Both are double-precision solves of a system with condition number ≤ (‖U‖² + γ)/γ < 10;
    // 1e-12 absolute leaves ample room for rounding.
    CHECK((c - expected).cwiseAbs().maxCoeff() < 1e-12);
  }
}

TEST_CASE("candidate nouns: θ most similar among those assigned to each centre", "[cmatrix]") {
  vlc::RowMatrixD centres(2, 2);
  centres << 1, 0, 0, 1;
  vlc::RowMatrixF nouns(5, 2);
  // cos to centre 0 / 1: n0 (0.99, ·) n1 (0.9) n2 (0.8) → centre 0; n3, n4 → centre 1.
  auto unit = [](float a) { return Eigen::RowVector2f(a, std::sqrt(1 - a * a)); };
  nouns.row(0) = unit(0.99f);
  nouns.row(1) = unit(0.9f);
  nouns.row(2) = unit(0.8f);
  nouns.row(3) = unit(0.3f);
  nouns.row(4) = unit(0.1f);
  CHECK(vlc::candidate_nouns(centres, nouns, 2) == std::vector<int>{0, 1, 3, 4});
  CHECK(vlc::candidate_nouns(centres, nouns, 1) == std::vector<int>{0, 4});
  CHECK(vlc::candidate_nouns(centres, nouns, 1, {0, 1, 1, 1, 1}) == std::vector<int>{1, 4});
  CHECK_THROWS_AS(vlc::candidate_nouns(centres, nouns, 0), vlc::Error);
  CHECK_THROWS_AS(vlc::candidate_nouns(centres, nouns, 2, {0, 0, 0, 0, 0}), vlc::Error);
  CHECK_THROWS_AS(vlc::candidate_nouns(centres, vlc::RowMatrixF::Identity(3, 3), 2), vlc::Error);
}

TEST_CASE("C-matrix clustering recovers the synthetic classes", "[cmatrix]") {
  vlc::SyntheticOptions s;
  s.k = 6;
  s.m = 360;
  s.seed = 5;
  const vlc::SyntheticData data = vlc::make_synthetic(s);
  vlc::Options o;
  o.k = 6;
  o.method = vlc::parse_method("cmatrix");
  CHECK(vlc::method_name(o.method) == "cmatrix");
  const vlc::Result r = vlc::cluster(data.images, data.templates, o);
  REQUIRE(r.labels.size() == 360);
  CHECK(!r.cmatrix_nouns.empty());
  const double acc = vlc::accuracy(data.truth, r.labels);
  INFO("cmatrix ACC " << acc << " with |U| = " << r.cmatrix_nouns.size());
  CHECK(acc > 0.6);
  // The direct call gives the same labels as cluster().
  vlc::CMatrixOptions co;
  co.k = 6;
  const vlc::CMatrixResult direct = vlc::cmatrix_clustering(data.images, vlc::ensemble_nouns(data.templates), co);
  CHECK(direct.labels == r.labels);
  CHECK(direct.nouns == r.cmatrix_nouns);
}

TEST_CASE("C-matrix rejects bad input", "[cmatrix]") {
  const vlc::RowMatrixF z = random_unit_rows(20, 8, 3), u = random_unit_rows(4, 8, 4);
  CHECK_THROWS_AS(vlc::c_matrix(z, random_unit_rows(4, 7, 4), 5), vlc::Error);  // dimension mismatch
  CHECK_THROWS_AS(vlc::c_matrix(z, u, 0), vlc::Error);
  CHECK_THROWS_AS(vlc::c_matrix(z, vlc::RowMatrixF(0, 8), 5), vlc::Error);
  vlc::CMatrixOptions co;
  co.k = 0;
  CHECK_THROWS_AS(vlc::cmatrix_clustering(z, u, co), vlc::Error);
  co.k = 21;
  CHECK_THROWS_AS(vlc::cmatrix_clustering(z, u, co), vlc::Error);
}
