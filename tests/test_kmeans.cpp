// k-means: recovery of separated blobs, determinism, restarts, spherical mode, inertia,
// input errors and degenerate (duplicate) data.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "vlc/error.hpp"
#include "vlc/kmeans.hpp"
#include "vlc/metrics.hpp"
#include "vlc/parallel.hpp"
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

namespace {

// Lloyd and Hamerly on the same input and seed: both must give the same result bit for bit
// (Hamerly recomputes every near-tie the way Lloyd does, core/src/kmeans.cpp). Its work is
// not compared here: on duplicate points every exact tie is recomputed twice.
template <class Matrix>
void require_same_as_lloyd(const Matrix& x, vlc::KMeansOptions o) {
  o.algorithm = vlc::KMeansAlgorithm::Lloyd;
  const auto lloyd = vlc::kmeans(x, o);
  o.algorithm = vlc::KMeansAlgorithm::Hamerly;
  const auto hamerly = vlc::kmeans(x, o);
  REQUIRE(hamerly.labels == lloyd.labels);
  CHECK(hamerly.iterations == lloyd.iterations);
  CHECK(hamerly.centres == lloyd.centres);
  CHECK(hamerly.inertia == lloyd.inertia);
}

}  // namespace

TEST_CASE("Hamerly's bounds give Lloyd's labels, centres and iterations", "[kmeans][hamerly]") {
  // Overlapping blobs (many boundary points), more centres than blobs, float and double.
  for (int dim : {4, 24}) {
    const Blobs b = make_blobs(60, 20, dim, 2.5, 40 + dim);
    const vlc::RowMatrixF pf = b.points.cast<float>();
    for (bool spherical : {false, true}) {
      for (int k : {2, 17, 64, 300}) {
        for (std::uint64_t seed : {1u, 2u, 3u}) {
          INFO("dim " << dim << " spherical " << spherical << " k " << k << " seed " << seed);
          vlc::KMeansOptions o;
          o.k = k;
          o.n_init = 1;
          o.seed = seed;
          o.spherical = spherical;
          require_same_as_lloyd(b.points, o);
          require_same_as_lloyd(pf, o);
        }
      }
    }
  }
}

TEST_CASE("Hamerly's bounds skip most distances once centres settle", "[kmeans][hamerly]") {
  const Blobs b = make_blobs(40, 50, 16, 6.0, 8);
  const vlc::RowMatrixF pf = b.points.cast<float>();
  vlc::KMeansOptions o;
  o.k = 50;
  o.n_init = 1;
  o.seed = 4;
  o.algorithm = vlc::KMeansAlgorithm::Lloyd;
  const auto lloyd = vlc::kmeans(pf, o);
  o.algorithm = vlc::KMeansAlgorithm::Hamerly;
  const auto hamerly = vlc::kmeans(pf, o);
  REQUIRE(hamerly.labels == lloyd.labels);
  REQUIRE(lloyd.iterations >= 4);
  // Lloyd: M·k per E-step (one per iteration; one more unless the labels settled). Hamerly's
  // first E-step computes all M·k; the later ones must skip most (a count, not a time).
  const std::int64_t pass = static_cast<std::int64_t>(pf.rows()) * o.k;
  CHECK(lloyd.distance_evaluations >= pass * lloyd.iterations);
  CHECK(lloyd.distance_evaluations <= pass * (lloyd.iterations + 1));
  CHECK(hamerly.distance_evaluations < lloyd.distance_evaluations / 2);
  std::printf("[hamerly] k = 50, %d iterations: %.2f M·k passes (Lloyd %.2f)\n", lloyd.iterations,
              double(hamerly.distance_evaluations) / pass, double(lloyd.distance_evaluations) / pass);
}

TEST_CASE("Hamerly's bounds: k = 1, k = M, duplicates and empty clusters as Lloyd", "[kmeans][hamerly]") {
  const Blobs b = make_blobs(30, 4, 3, 3.0, 17);
  for (bool spherical : {false, true}) {
    INFO("spherical " << spherical);
    vlc::KMeansOptions o;
    o.spherical = spherical;
    o.n_init = 2;
    o.k = 1;
    require_same_as_lloyd(b.points, o);
    o.k = static_cast<int>(b.points.rows());
    require_same_as_lloyd(b.points, o);
    // Fewer distinct points than centres: duplicate seeds, empty clusters relocated.
    vlc::RowMatrixD dup(40, 3);
    for (int i = 0; i < 40; ++i) dup.row(i) = b.points.row(i % 6);
    for (int k : {4, 6, 9, 20}) {
      INFO("duplicates, k " << k);
      o.k = k;
      require_same_as_lloyd(dup, o);
    }
    // Many centres on few points in 2-D: clusters empty out during the iterations.
    const Blobs tight = make_blobs(8, 12, 2, 1.5, 99);
    for (std::uint64_t seed = 0; seed < 12; ++seed) {
      INFO("many centres, seed " << seed);
      o.seed = seed;
      o.k = 40;
      require_same_as_lloyd(tight.points, o);
      require_same_as_lloyd(tight.points.cast<float>().eval(), o);
    }
  }
}

TEST_CASE("Hamerly's result does not depend on the thread count", "[kmeans][hamerly]") {
  const Blobs b = make_blobs(50, 12, 20, 3.0, 5);
  const vlc::RowMatrixF pf = b.points.cast<float>();
  const int threads = vlc::max_threads();
  for (bool spherical : {false, true}) {
    vlc::KMeansOptions o;
    o.k = 80;
    o.n_init = 2;
    o.seed = 6;
    o.spherical = spherical;
    o.algorithm = vlc::KMeansAlgorithm::Hamerly;
    vlc::set_threads(1);
    const auto one = vlc::kmeans(pf, o);
    vlc::set_threads(std::max(2, threads));
    const auto many = vlc::kmeans(pf, o);
    vlc::set_threads(threads);
    CHECK(one.labels == many.labels);
    CHECK(one.centres == many.centres);
    CHECK(one.distance_evaluations == many.distance_evaluations);
  }
}

TEST_CASE("sampled k-means++ seeding: off below the threshold, near full seeding's inertia", "[kmeans][seeding]") {
  const Blobs b = make_blobs(80, 60, 16, 2.0, 31);  // M = 4800, overlapping blobs
  const vlc::RowMatrixF pf = b.points.cast<float>();
  vlc::KMeansOptions o;
  o.k = 100;
  o.n_init = 1;
  // M·k = 4.8e5 is far below the automatic threshold: asking for every point changes nothing.
  o.seed = 2;
  const auto automatic = vlc::kmeans(pf, o);
  o.seed_sample = pf.rows();
  const auto full_request = vlc::kmeans(pf, o);
  CHECK(automatic.labels == full_request.labels);
  CHECK(automatic.inertia == full_request.inertia);
  for (bool spherical : {false, true}) {
    INFO("spherical " << spherical);
    o.spherical = spherical;
    double full = 0, sampled = 0;
    for (std::uint64_t seed = 0; seed < 4; ++seed) {
      o.seed = seed;
      o.seed_sample = 0;
      full += vlc::kmeans(pf, o).inertia;
      o.seed_sample = 32 * o.k / 4;  // 8 points per centre, a quarter of the automatic rule's 32
      const auto r = vlc::kmeans(pf, o);
      require_valid_labels(r, b.truth.size());
      sampled += r.inertia;
    }
    // Measured ratios: see the report of this test's commit; the bound leaves room.
    std::printf("[seeding] spherical %d: inertia sampled / full = %.4f\n", int(spherical), sampled / full);
    CHECK(sampled <= 1.05 * full);
  }
}
