#include "support/dense_reference.hpp"
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include "vlc/random.hpp"

namespace vlc::ref {

Dense ntk_matrix(const RowMatrixF& images, const RowMatrixF& nouns, double tau) {
  const Dense z = images.cast<double>();
  Dense s = z * nouns.cast<double>().transpose() / tau;
  for (Eigen::Index i = 0; i < s.rows(); ++i) {
    s.row(i).array() -= s.row(i).maxCoeff();
    s.row(i) = s.row(i).array().exp().matrix();
    s.row(i) /= s.row(i).sum();
  }
  const Dense u = z * z.transpose();
  const Dense v = s * s.transpose();
  return u.cwiseProduct(v) / (tau * tau);
}

std::vector<std::vector<int>> sorted_neighbours(const Dense& k, int q) {
  const int m = static_cast<int>(k.rows());
  std::vector<std::vector<int>> out(m);
  for (int i = 0; i < m; ++i) {
    std::vector<int> order;
    for (int j = 0; j < m; ++j)
      if (j != i) order.push_back(j);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return k(i, a) > k(i, b); });
    out[i].assign(order.begin(), order.begin() + q);
  }
  return out;
}

Dense normalize(const Dense& a) {
  Eigen::VectorXd d = a.rowwise().sum();
  for (Eigen::Index i = 0; i < d.size(); ++i) d(i) = 1.0 / std::sqrt(d(i) > 0 ? d(i) : 1.0);
  return d.asDiagonal() * a * d.asDiagonal();
}

Eigen::VectorXd simplex_brute_force(const Eigen::VectorXd& h, double lambda) {
  const int b = static_cast<int>(h.size());
  Eigen::VectorXd best;
  double best_value = std::numeric_limits<double>::infinity();
  for (int mask = 1; mask < (1 << b); ++mask) {
    // On a fixed active set the minimiser solves λβ_b + H_b = ν with Σβ = 1.
    int n = 0;
    double sum = 0;
    for (int j = 0; j < b; ++j)
      if (mask & (1 << j)) ++n, sum += h(j);
    const double nu = (lambda + sum) / n;
    Eigen::VectorXd beta = Eigen::VectorXd::Zero(b);
    bool feasible = true;
    for (int j = 0; j < b; ++j)
      if (mask & (1 << j)) {
        beta(j) = (nu - h(j)) / lambda;
        if (beta(j) < -1e-15) feasible = false;
      }
    if (!feasible) continue;
    const double value = beta.dot(h) + 0.5 * lambda * beta.squaredNorm();
    if (value < best_value) best_value = value, best = beta;
  }
  return best;
}

DenseRad rad(const std::vector<Dense>& graphs, double mu, double lambda, int max_outer, double outer_tol,
             int max_inner, double inner_tol) {
  const int nb = static_cast<int>(graphs.size());
  const Eigen::Index m = graphs[0].rows();
  std::vector<Dense> s;
  for (const auto& g : graphs) s.push_back(normalize(g));
  const Dense e = Dense::Identity(m, m);
  Dense a = e;
  Eigen::VectorXd beta = Eigen::VectorXd::Constant(nb, 1.0 / nb);
  auto losses = [&](const Dense& x) {
    Eigen::VectorXd h(nb);
    for (int b = 0; b < nb; ++b) h(b) = x.squaredNorm() - (x.cwiseProduct(s[b] * x * s[b])).sum();
    return h;
  };
  auto objective = [&](const Eigen::VectorXd& h) {
    return beta.dot(h) + mu * (a - e).squaredNorm() + 0.5 * lambda * beta.squaredNorm();
  };
  double previous = objective(losses(a));
  for (int outer = 0; outer < max_outer; ++outer) {
    for (int inner = 0; inner < max_inner; ++inner) {
      Dense next = mu / (mu + 1) * e;
      for (int b = 0; b < nb; ++b) next += beta(b) / (mu + 1) * s[b] * a * s[b];
      const double change = (next - a).norm() / next.norm();
      a = next;
      if (change < inner_tol) break;
    }
    const Eigen::VectorXd h = losses(a);
    beta = simplex_brute_force(h, lambda);
    const double value = objective(h);
    if (std::abs(value - previous) <= outer_tol * std::abs(previous)) break;
    previous = value;
  }
  return {0.5 * (a + a.transpose()), beta};
}

RowMatrixF random_unit_rows(int rows, int cols, std::uint64_t seed) {
  Random rng(seed);
  RowMatrixF x(rows, cols);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) x(i, j) = static_cast<float>(rng.normal());
    x.row(i).normalize();
  }
  return x;
}

}  // namespace vlc::ref
