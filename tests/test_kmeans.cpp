// k-means: recovery of separated blobs, determinism, restarts, spherical mode, inertia,
// input errors and degenerate (duplicate) data.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <set>

#include "vlc/error.hpp"
#include "vlc/kmeans.hpp"
#include "vlc/metrics.hpp"
#include "vlc/random.hpp"

namespace {

struct Blobs {
  vlc::RowMatrixD points;
  vlc::Labels truth;
};

// k Gaussian blobs whose centres are `spread` apart on average, noise sigma 1, rows shuffled
// by drawing each row's blob at random.
Blobs make_blobs(int per_blob, int k, int dim, double spread, std::uint64_t seed) {
  vlc::Random rng(seed);
  vlc::RowMatrixD centres(k, dim);
  for (int j = 0; j < k; ++j)
    for (int c = 0; c < dim; ++c) centres(j, c) = rng.normal() * spread;
  Blobs b;
  b.points.resize(per_blob * k, dim);
  for (int i = 0; i < per_blob * k; ++i) {
    const int blob = static_cast<int>(rng.below(k));
    b.truth.push_back(blob);
    for (int c = 0; c < dim; ++c) b.points(i, c) = centres(blob, c) + rng.normal();
  }
  return b;
}

// Unit directions plus small noise: clusters on the sphere, at random radii.
Blobs make_sphere_blobs(int per_blob, int k, int dim, double noise, std::uint64_t seed) {
  Blobs b = make_blobs(per_blob, k, dim, 1.0, seed);
  vlc::Random rng(seed + 1);
  vlc::RowMatrixD dirs(k, dim);
  for (int j = 0; j < k; ++j) {
    for (int c = 0; c < dim; ++c) dirs(j, c) = rng.normal();
    dirs.row(j).normalize();
  }
  for (int i = 0; i < b.points.rows(); ++i) {
    for (int c = 0; c < dim; ++c) b.points(i, c) = dirs(b.truth[i], c) + noise * rng.normal();
    b.points.row(i) *= 0.5 + 2.0 * rng.uniform();
  }
  return b;
}

double recomputed_inertia(const vlc::RowMatrixD& x, const vlc::KMeansResult& r, bool spherical) {
  double total = 0;
  for (int i = 0; i < x.rows(); ++i) {
    const auto c = r.centres.row(r.labels[i]);
    total += spherical ? 1.0 - x.row(i).dot(c) / x.row(i).norm() : (x.row(i) - c).squaredNorm();
  }
  return total;
}

void require_valid_labels(const vlc::KMeansResult& r, std::size_t n) {
  REQUIRE(r.labels.size() == n);
  for (int l : r.labels) {
    REQUIRE(l >= 0);
    REQUIRE(l < r.centres.rows());
  }
}

}  // namespace

TEST_CASE("kmeans recovers well-separated blobs exactly", "[kmeans]") {
  const Blobs b = make_blobs(60, 5, 8, 15.0, 11);
  vlc::KMeansOptions o;
  o.k = 5;
  o.seed = 3;
  const auto rd = vlc::kmeans(b.points, o);
  require_valid_labels(rd, b.truth.size());
  CHECK(vlc::accuracy(b.truth, rd.labels) == 1.0);
  CHECK(rd.centres.rows() == 5);
  CHECK(rd.iterations >= 1);
  // Float points go through the float path and must agree on such clear data.
  const vlc::RowMatrixF pf = b.points.cast<float>();
  const auto rf = vlc::kmeans(pf, o);
  CHECK(rf.labels == rd.labels);
  CHECK(rf.inertia == Approx(rd.inertia).epsilon(1e-5));
}

TEST_CASE("spherical kmeans recovers directions and returns unit centres", "[kmeans]") {
  const Blobs b = make_sphere_blobs(50, 6, 16, 0.15, 5);
  vlc::KMeansOptions o;
  o.k = 6;
  o.seed = 9;
  o.spherical = true;
  const auto r = vlc::kmeans(b.points, o);
  require_valid_labels(r, b.truth.size());
  CHECK(vlc::accuracy(b.truth, r.labels) == 1.0);
  for (int j = 0; j < r.centres.rows(); ++j) CHECK(r.centres.row(j).norm() == Approx(1.0).epsilon(1e-12));
  CHECK(r.inertia == Approx(recomputed_inertia(b.points, r, true)).epsilon(1e-10));
  CHECK(r.inertia >= 0);
  const vlc::RowMatrixF pf = b.points.cast<float>();
  const auto rf = vlc::kmeans(pf, o);
  CHECK(rf.labels == r.labels);
}

TEST_CASE("kmeans is deterministic for a seed and restarts never do worse", "[kmeans]") {
  // Overlapping blobs, more centres than blobs: many local optima.
  const Blobs b = make_blobs(40, 6, 5, 2.0, 21);
  for (bool spherical : {false, true}) {
    INFO("spherical " << spherical);
    vlc::KMeansOptions o;
    o.k = 9;
    o.seed = 1234;
    o.n_init = 1;
    o.spherical = spherical;
    const auto one = vlc::kmeans(b.points, o);
    const auto again = vlc::kmeans(b.points, o);
    CHECK(one.labels == again.labels);
    CHECK(one.centres == again.centres);
    CHECK(one.inertia == again.inertia);
    for (int n_init : {2, 5, 10}) {
      o.n_init = n_init;
      const auto more = vlc::kmeans(b.points, o);
      CHECK(more.inertia <= one.inertia);
      CHECK(more.labels == vlc::kmeans(b.points, o).labels);
    }
  }
}

TEST_CASE("kmeans inertia equals the recomputed value and labels are nearest centres", "[kmeans]") {
  const Blobs b = make_blobs(50, 4, 6, 3.0, 77);
  vlc::KMeansOptions o;
  o.k = 7;
  o.seed = 5;
  const auto r = vlc::kmeans(b.points, o);
  require_valid_labels(r, b.truth.size());
  CHECK(r.inertia == Approx(recomputed_inertia(b.points, r, false)).epsilon(1e-10));
  for (int i = 0; i < b.points.rows(); ++i) {
    const double own = (b.points.row(i) - r.centres.row(r.labels[i])).squaredNorm();
    for (int j = 0; j < r.centres.rows(); ++j)
      CHECK(own <= (b.points.row(i) - r.centres.row(j)).squaredNorm() + 1e-9);
  }
  // max_iter = 1 still returns consistent labels and inertia.
  o.max_iter = 1;
  const auto short_run = vlc::kmeans(b.points, o);
  CHECK(short_run.iterations == 1);
  CHECK(short_run.inertia == Approx(recomputed_inertia(b.points, short_run, false)).epsilon(1e-10));
}

TEST_CASE("kmeans rejects bad k and non-finite input", "[kmeans]") {
  vlc::RowMatrixD x = vlc::RowMatrixD::Random(5, 3);
  vlc::KMeansOptions o;
  o.k = 6;
  CHECK_THROWS_WITH(vlc::kmeans(x, o), Catch::Contains("k = 6") && Catch::Contains("(5)"));
  o.k = 0;
  CHECK_THROWS_AS(vlc::kmeans(x, o), vlc::Error);
  o.k = 2;
  o.n_init = 0;
  CHECK_THROWS_AS(vlc::kmeans(x, o), vlc::Error);
  o.n_init = 1;
  x(3, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(vlc::kmeans(x, o), Catch::Contains("point 3") && Catch::Contains("non-finite"));
  vlc::RowMatrixF xf = vlc::RowMatrixF::Ones(4, 2);
  xf(2, 0) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_AS(vlc::kmeans(xf, o), vlc::Error);
  CHECK_THROWS_AS(vlc::kmeans(vlc::RowMatrixD(0, 3), o), vlc::Error);
  o.spherical = true;
  vlc::RowMatrixD zero_row = vlc::RowMatrixD::Ones(4, 2);
  zero_row.row(1).setZero();
  CHECK_THROWS_WITH(vlc::kmeans(zero_row, o), Catch::Contains("point 1"));
}

TEST_CASE("kmeans with fewer distinct points than k returns valid labels", "[kmeans]") {
  vlc::RowMatrixD x(12, 3);
  const double distinct[3][3] = {{0, 0, 1}, {5, 1, 0}, {-2, 3, 3}};
  for (int i = 0; i < 12; ++i)
    for (int c = 0; c < 3; ++c) x(i, c) = distinct[i % 3][c];
  vlc::KMeansOptions o;
  o.k = 5;
  o.n_init = 3;
  const auto r = vlc::kmeans(x, o);
  require_valid_labels(r, 12);
  CHECK(r.centres.rows() == 5);
  CHECK(r.inertia == Approx(0.0).margin(1e-12));
  // Equal points share a label; distinct points do not.
  for (int i = 3; i < 12; ++i) CHECK(r.labels[i] == r.labels[i % 3]);
  CHECK(std::set<int>(r.labels.begin(), r.labels.end()).size() == 3);

  // All points identical, k = M.
  const vlc::RowMatrixF ones = vlc::RowMatrixF::Ones(4, 2);
  vlc::KMeansOptions all;
  all.k = 4;
  const auto same = vlc::kmeans(ones, all);
  require_valid_labels(same, 4);

  // Spherical: empty centres are dropped and labels compacted.
  o.spherical = true;
  const auto s = vlc::kmeans(x, o);
  require_valid_labels(s, 12);
  CHECK(s.centres.rows() <= 3);
  CHECK(std::set<int>(s.labels.begin(), s.labels.end()).size() == static_cast<std::size_t>(s.centres.rows()));
  for (int i = 3; i < 12; ++i) CHECK(s.labels[i] == s.labels[i % 3]);
}
