// The 2-D map's axes: SpectralEmbedding::coordinates and Result::embedding2d, the first two
// non-trivial spectral coordinates, against a dense eigendecomposition of the same matrix.
#include <catch2/catch.hpp>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include "vlc/baselines.hpp"
#include "vlc/cluster.hpp"
#include "vlc/components.hpp"
#include "vlc/ntk.hpp"
#include "vlc/spectral.hpp"
#include "vlc/synthetic.hpp"

namespace {

// Relative L2 distance of Lanczos coordinates to the dense reference, up to the sign of each
// column. Lanczos stops at residual ≤ 1e-8·λ; a unit eigenvector is then off by about
// residual / gap (gaps here are ≥ 1e-3), and D^{-1/2} keeps that relative size.
constexpr double kVectorTol = 1e-5;
constexpr double kValueTol = 1e-8;

vlc::SyntheticData synthetic(int m, int k, std::uint64_t seed, int vocab = 40, int templates = 1) {
  vlc::SyntheticOptions so;
  so.m = m;
  so.k = k;
  so.d = 32;
  so.vocab = vocab;
  so.templates = templates;
  so.seed = seed;
  return vlc::make_synthetic(so);
}

// The NTK graph of the first template, q = 10: on this data it falls into many components.
vlc::SparseMatrixD ntk_first_template(const vlc::SyntheticData& data) {
  vlc::NtkOptions o;
  o.q = 10;
  return vlc::ntk_affinity(data.images, data.templates[0], o);
}

// Degrees as §4 uses them: row sums of the cleaned affinity, an isolated node counting 1.
Eigen::VectorXd degrees(const vlc::SparseMatrixD& affinity) {
  const Eigen::MatrixXd a = Eigen::MatrixXd(vlc::clean_affinity(affinity));
  Eigen::VectorXd d = a.rowwise().sum();
  for (Eigen::Index i = 0; i < d.size(); ++i)
    if (!(d(i) > 0)) d(i) = 1;
  return d;
}

// Reference: Eigen's dense solver on N = D^{-1/2} Â D^{-1/2} (an isolated node: a self-loop, as
// in §4) with only the trivial direction w = D^{1/2}1/‖·‖ projected out, P N P. Its top n+1
// eigenpairs (one more to check the gap), vectors as x = D^{-1/2} v.
struct Reference {
  Eigen::MatrixXd normalised;  // N
  Eigen::MatrixXd x;           // M × (n+1)
  Eigen::VectorXd values;      // n+1, descending
  vlc::Components comps;
};

Reference dense_reference(const vlc::SparseMatrixD& affinity, int n) {
  Eigen::MatrixXd a = Eigen::MatrixXd(vlc::clean_affinity(affinity));
  const Eigen::VectorXd d = degrees(affinity);
  const Eigen::Index m = a.rows();
  for (Eigen::Index i = 0; i < m; ++i)
    if (a.row(i).sum() == 0) a(i, i) = 1;
  const Eigen::VectorXd s = d.cwiseSqrt().cwiseInverse();
  Reference r;
  r.normalised = s.asDiagonal() * a * s.asDiagonal();
  r.comps = vlc::connected_components(vlc::clean_affinity(affinity));
  const Eigen::VectorXd w = d.cwiseSqrt().normalized();
  const Eigen::MatrixXd p = Eigen::MatrixXd::Identity(m, m) - w * w.transpose();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(p * r.normalised * p);
  REQUIRE(solver.info() == Eigen::Success);
  r.values = solver.eigenvalues().tail(n + 1).reverse();
  r.x = s.asDiagonal() * Eigen::MatrixXd(solver.eigenvectors().rightCols(n + 1).rowwise().reverse());
  return r;
}

double distance_up_to_sign(const Eigen::VectorXd& x, const Eigen::VectorXd& want) {
  return std::min((x - want).norm(), (x + want).norm()) / want.norm();
}

// Checks the coordinates of spectral_embedding(a, k, …, 2) against the dense reference and the
// properties the map relies on.
void check_coordinates(const vlc::SparseMatrixD& a, int k) {
  const vlc::SpectralEmbedding e = vlc::spectral_embedding(a, k, 1e-8, 3000, nullptr, 2);
  const Reference ref = dense_reference(a, 2);
  const Eigen::VectorXd d = degrees(a);
  const Eigen::Index m = a.rows();
  const int count = ref.comps.count;
  INFO("k = " << k << ", components = " << e.components << ", dense top values " << ref.values.transpose()
              << ", coordinate_values " << e.coordinate_values.transpose());
  REQUIRE(e.components == count);
  REQUIRE(e.coordinates.rows() == m);
  REQUIRE(e.coordinates.cols() == 2);
  REQUIRE(e.coordinates.allFinite());
  REQUIRE(e.coordinate_values.size() == 2);
  // Unique up to sign only with gaps on both sides; with 3+ components eigenvalue 1 repeats.
  const bool unique = ref.values(0) - ref.values(1) > 1e-3 && ref.values(1) - ref.values(2) > 1e-3;
  REQUIRE(unique == (count < 3));
  for (int c = 0; c < 2; ++c) {
    const Eigen::VectorXd x = e.coordinates.col(c);
    const Eigen::VectorXd v = d.cwiseSqrt().cwiseProduct(x);  // back to the unit eigenvector
    // The eigenpairs of N after the trivial one, in order: the component contrasts (eigenvalue
    // 1) first, then the largest eigenvalues below 1.
    CHECK(std::abs(e.coordinate_values(c) - ref.values(c)) <= kValueTol);
    if (c < count - 1)
      CHECK(e.coordinate_values(c) == 1.0);
    else
      CHECK(e.coordinate_values(c) < 1 - 1e-6);
    CHECK((ref.normalised * v - e.coordinate_values(c) * v).norm() <= 1e-6);
    if (unique) {
      const double dist = distance_up_to_sign(x, ref.x.col(c));
      std::printf("[coordinates] k = %d, components %d, column %d: eigenvalue %.6f, distance to dense %.2e\n", k,
                  count, c, e.coordinate_values(c), dist);
      CHECK(dist <= kVectorTol);
    }
    // D-normalised and D-orthogonal to the trivial direction: Σ d_i x_i² = 1, Σ d_i x_i = 0.
    CHECK(std::abs(x.dot(d.cwiseProduct(x)) - 1) <= 1e-10);
    CHECK(std::abs(d.dot(x)) <= 1e-10 * d.dot(x.cwiseAbs()));
    // Not constant, and the sign convention: the largest-magnitude entry is positive.
    CHECK(x.maxCoeff() - x.minCoeff() > 1e-3);
    Eigen::Index largest = 0;
    x.cwiseAbs().maxCoeff(&largest);
    CHECK(x(largest) > 0);
  }
  if (!unique) {
    // Eigenvalue 1 repeats: the basis is the largest two components' vectors, Gram–Schmidt. So
    // every component sits at one point, component 0 on the first axis only (x₂ ⟂ its vector),
    // and all components but the two largest share one point.
    auto point = [&](Eigen::Index i) { return Eigen::RowVector2d(e.coordinates.row(i)); };
    Eigen::Index first[3] = {-1, -1, -1};
    for (Eigen::Index i = 0; i < m; ++i) {
      const int c = std::min(ref.comps.of[i], 2);
      if (first[c] < 0) first[c] = i;
      CHECK((point(i) - point(first[c])).norm() <= 1e-10);
    }
    CHECK(std::abs(e.coordinates(first[0], 1)) <= 1e-10);
    for (int p = 0; p < 3; ++p)
      for (int q = p + 1; q < 3; ++q) CHECK((point(first[p]) - point(first[q])).norm() > 1e-3);
  }
}

// Fraction of the two clusters' points on the right side of the best threshold along the line
// through their 2-D centroids (1 = the map separates them completely).
double separation(const vlc::RowMatrixD& xy, const vlc::Labels& labels, int a, int b) {
  Eigen::RowVector2d ca = Eigen::RowVector2d::Zero(), cb = Eigen::RowVector2d::Zero();
  int na = 0, nb = 0;
  for (Eigen::Index i = 0; i < xy.rows(); ++i) {
    if (labels[i] == a) ca += xy.row(i), ++na;
    if (labels[i] == b) cb += xy.row(i), ++nb;
  }
  if (na == 0 || nb == 0) return 0;
  const Eigen::RowVector2d dir = ca / na - cb / nb;
  std::vector<std::pair<double, int>> s;  // projection, 1 for cluster a
  for (Eigen::Index i = 0; i < xy.rows(); ++i)
    if (labels[i] == a || labels[i] == b) s.emplace_back(xy.row(i).dot(dir), labels[i] == a);
  std::sort(s.begin(), s.end());
  // Threshold after position t: b below, a above.
  int a_below = 0, b_below = 0;
  int best = na;  // threshold below every point: all of a right, none of b
  for (const auto& [value, is_a] : s) {
    (is_a ? a_below : b_below) += 1;
    best = std::max(best, b_below + (na - a_below));
  }
  return static_cast<double>(best) / (na + nb);
}

}  // namespace

TEST_CASE("spectral coordinates are the dense 2nd and 3rd eigenvectors of a connected graph", "[coordinates]") {
  const auto data = synthetic(300, 5, 2);
  const vlc::SparseMatrixD a = vlc::cosine_affinity(data.images, 30);
  REQUIRE(vlc::connected_components(vlc::clean_affinity(a)).count == 1);
  // k = 2: one vector below eigenvalue 1 in the clustering's Lanczos run, so a second run
  // computes both; k = 3 and 5: the clustering's own eigenvectors.
  for (int k : {2, 3, 5}) check_coordinates(a, k);
}

TEST_CASE("spectral coordinates of two components: their contrast, then the top eigenvector below 1",
          "[coordinates]") {
  const auto data = synthetic(300, 5, 2);
  const vlc::SparseMatrixD a = vlc::cosine_affinity(data.images, 20);
  REQUIRE(vlc::connected_components(vlc::clean_affinity(a)).count == 2);
  // k = 2: no Lanczos for the clustering (2 components), one deflated run for the map's second
  // axis; k = 3, 4: the clustering's own.
  for (int k : {2, 3, 4}) check_coordinates(a, k);
}

TEST_CASE("spectral coordinates of many components: the two largest components' contrasts", "[coordinates]") {
  const vlc::SparseMatrixD a = ntk_first_template(synthetic(300, 6, 5));
  const int count = vlc::connected_components(vlc::clean_affinity(a)).count;
  INFO("components " << count);
  REQUIRE(count >= 3);
  for (int k : {2, count + 2}) check_coordinates(a, k);
}

TEST_CASE("spectral coordinates of a small graph come from the dense solver", "[coordinates]") {
  // M = 16 < ncv = 20: every path is dense. Four cliques in a chain joined by single edges; then
  // without the middle edge (two components).
  for (bool split : {false, true}) {
    vlc::SparseMatrixD a(16, 16);
    std::vector<Eigen::Triplet<double, int>> t;
    auto edge = [&](int i, int j, double w) { t.emplace_back(i, j, w), t.emplace_back(j, i, w); };
    for (int block = 0; block < 4; ++block)
      for (int i = 0; i < 4; ++i)
        for (int j = i + 1; j < 4; ++j) edge(4 * block + i, 4 * block + j, 1.0 + 0.1 * block + 0.01 * (i + j));
    edge(3, 4, 0.2);
    if (!split) edge(7, 8, 0.05);
    edge(11, 12, 0.3);
    a.setFromTriplets(t.begin(), t.end());
    for (int k : {2, 3, 4}) check_coordinates(a, k);
  }
}

TEST_CASE("asking for coordinates changes neither the eigenpairs nor the labels", "[coordinates]") {
  const auto data = synthetic(300, 6, 7);
  const vlc::SparseMatrixD ntk = ntk_first_template(data);
  const vlc::SparseMatrixD cosine = vlc::cosine_affinity(data.images, 15);
  for (const vlc::SparseMatrixD* a : {&ntk, &cosine})
    for (int k : {2, 3, 6}) {
      vlc::SpectralOptions so;
      so.k = k;
      vlc::SpectralEmbedding plain, with_map;
      const vlc::Labels l0 = vlc::spectral_clustering(*a, so, &plain, &data.images);
      so.coordinates = 2;
      const vlc::Labels l2 = vlc::spectral_clustering(*a, so, &with_map, &data.images);
      INFO("k = " << k << ", components " << plain.components);
      REQUIRE(l0 == l2);
      REQUIRE(plain.values == with_map.values);  // bit for bit: no wider Lanczos run
      REQUIRE(plain.vectors == with_map.vectors);
      REQUIRE(plain.coordinates.size() == 0);
      REQUIRE(with_map.coordinates.rows() == a->rows());
    }
}

TEST_CASE("Result::embedding2d: M×2 for graph methods, empty without a graph, clusters apart", "[coordinates]") {
  const int m = 240;
  const auto data = synthetic(m, 4, 2, 60, 7);
  for (auto method : {vlc::Method::NtkRad, vlc::Method::NtkMean, vlc::Method::NtkPe, vlc::Method::NtkSingle,
                      vlc::Method::Rbf, vlc::Method::Cosine, vlc::Method::KMeans, vlc::Method::CMatrix}) {
    vlc::Options o;
    o.k = 4;
    o.q = 15;
    o.method = method;
    o.name_clusters = false;
    const vlc::Result r = vlc::cluster(data.images, data.templates, o);
    INFO(vlc::method_name(method) << ": components " << r.components);
    if (method == vlc::Method::KMeans || method == vlc::Method::CMatrix) {
      REQUIRE(r.embedding2d.size() == 0);
      continue;
    }
    REQUIRE(r.embedding2d.rows() == m);
    REQUIRE(r.embedding2d.cols() == 2);
    REQUIRE(r.embedding2d.allFinite());
    for (int c = 0; c < 2; ++c) REQUIRE(r.embedding2d.col(c).maxCoeff() - r.embedding2d.col(c).minCoeff() > 1e-6);
    // At least two clusters lie on opposite sides of a line on the map.
    double best = 0;
    for (int x = 0; x < r.k; ++x)
      for (int y = x + 1; y < r.k; ++y) best = std::max(best, separation(r.embedding2d, r.labels, x, y));
    std::printf("[coordinates] %s (%d components): best pairwise separation on the map %.3f\n",
                vlc::method_name(method).c_str(), r.components, best);
    CHECK(best >= 0.95);
  }
}

TEST_CASE("Result::embedding2d of the smallest sets: none for M = 2 (one axis), M×2 from M = 3", "[coordinates]") {
  const auto data = synthetic(30, 3, 4);
  for (int m : {2, 3, 4}) {
    vlc::Options o;
    o.k = 2;
    o.q = 1;
    o.method = vlc::Method::Cosine;
    o.name_clusters = false;
    const vlc::Result r = vlc::cluster(data.images.topRows(m), data.templates, o);
    INFO("M = " << m << ", components " << r.components);
    REQUIRE(r.labels.size() == static_cast<std::size_t>(m));
    if (m == 2) {
      REQUIRE(r.embedding2d.size() == 0);
    } else {
      REQUIRE(r.embedding2d.rows() == m);
      REQUIRE(r.embedding2d.cols() == 2);
      REQUIRE(r.embedding2d.allFinite());
    }
  }
}
