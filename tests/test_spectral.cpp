// §4: Lanczos eigenpairs against a dense solver, and recovery of planted components.
#include <catch2/catch.hpp>
#include <Eigen/Eigenvalues>
#include "support/dense_reference.hpp"
#include "vlc/error.hpp"
#include "vlc/metrics.hpp"
#include "vlc/ntk.hpp"
#include "vlc/spectral.hpp"
#include "vlc/synthetic.hpp"

TEST_CASE("Lanczos eigenvalues equal the dense solver's", "[spectral]") {
  vlc::SyntheticOptions so;
  so.m = 500;
  so.k = 5;
  so.d = 32;
  so.vocab = 40;
  so.templates = 1;
  const auto data = vlc::make_synthetic(so);
  vlc::NtkOptions o;
  o.q = 10;
  const vlc::SparseMatrixD a = vlc::ntk_affinity(data.images, data.templates[0], o);
  const auto e = vlc::spectral_embedding(a, 5);
  const Eigen::MatrixXd n = vlc::ref::normalize(Eigen::MatrixXd(vlc::clean_affinity(a)));
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(n);
  const Eigen::VectorXd want = dense.eigenvalues().tail(5).reverse();
  INFO("lanczos " << e.values.transpose() << " dense " << want.transpose());
  REQUIRE((e.values - want).cwiseAbs().maxCoeff() <= 1e-8);
  // Eigenvectors: each satisfies N v = λ v.
  for (int c = 0; c < 5; ++c) {
    const Eigen::VectorXd v = e.vectors.col(c);
    REQUIRE((n * v - e.values(c) * v).norm() <= 1e-6);
  }
}

TEST_CASE("spectral clustering recovers planted disconnected blocks", "[spectral]") {
  // Three cliques of different sizes, no edges between them.
  const int sizes[] = {30, 45, 25};
  std::vector<Eigen::Triplet<double, int>> t;
  vlc::Labels truth;
  int start = 0;
  for (int c = 0; c < 3; ++c) {
    for (int i = start; i < start + sizes[c]; ++i) {
      truth.push_back(c);
      for (int j = start; j < start + sizes[c]; ++j)
        if (i != j) t.emplace_back(i, j, 1.0);
    }
    start += sizes[c];
  }
  vlc::SparseMatrixD a(100, 100);
  a.setFromTriplets(t.begin(), t.end());
  vlc::SpectralOptions o;
  o.k = 3;
  const vlc::Labels labels = vlc::spectral_clustering(a, o);
  REQUIRE(vlc::accuracy(truth, labels) == 1.0);
}

TEST_CASE("Lanczos non-convergence is an error, not silent output", "[spectral]") {
  const auto x = vlc::ref::random_unit_rows(300, 16, 3);
  vlc::NtkOptions o;
  const vlc::SparseMatrixD a = vlc::ntk_affinity(x, vlc::ref::random_unit_rows(20, 16, 4), o);
  REQUIRE_THROWS_WITH(vlc::spectral_embedding(a, 8, 1e-14, 1),
                      Catch::Matchers::Contains("did not converge"));
}
