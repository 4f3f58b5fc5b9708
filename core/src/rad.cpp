#include "vlc/rad.hpp"
#include <algorithm>
#include <cmath>
#include <numeric>
#include "vlc/backend.hpp"
#include "vlc/device_math.hpp"
#include "vlc/error.hpp"
#include "vlc/ordering.hpp"
#include "vlc/parallel.hpp"

namespace vlc {
namespace {

// A value array laid over Ω's CSR pattern: every matrix of the Â-step shares that pattern,
// so sums and norms are plain vector arithmetic.
using PatternValues = Eigen::VectorXd;

PatternValues diagonal_on(const SparseMatrixD& pattern) {
  PatternValues v = PatternValues::Zero(pattern.nonZeros());
  const int* outer = pattern.outerIndexPtr();
  const int* inner = pattern.innerIndexPtr();
  for (int i = 0; i < pattern.rows(); ++i)
    for (int p = outer[i]; p < outer[i + 1]; ++p)
      if (inner[p] == i) v(p) = 1.0;
  return v;
}

SparseMatrixD with_values(const SparseMatrixD& pattern, const PatternValues& values) {
  SparseMatrixD out = pattern;
  std::copy(values.data(), values.data() + values.size(), out.valuePtr());
  return out;
}

// (S X S)[i,j] on X's own pattern Ω, X given by `x` over that pattern. Row i: first
// u = S[i,:] X scattered into a dense scratch row, then (u S)[j] = u · S[j,:] (S symmetric).
// Cost per row O(q·|Ω_i|): this is the masked product of §3, written by hand because Eigen's
// sparse product would form the full S X S (fill-in O(M·q²·|Ω_i|)) before masking. The row
// arithmetic is dm::sandwich_row (device_math.hpp), shared with the CUDA kernel.

// Every row, each for its positions from first(i, p_outer, p_inner) on (dm::sandwich_row_from).
template <class First>
void sandwich_rows(const SparseMatrixD& s, const SparseMatrixD& pattern, const double* x, double* out, First first,
                   int row_begin, int row_end) {
  const int m = static_cast<int>(pattern.rows());
  if (row_end < 0) row_end = m;
  require(row_begin >= 0 && row_begin <= row_end && row_end <= m, "masked product: rows [", row_begin, ", ", row_end,
          ") are not within the ", m, " rows");
  const int* po = pattern.outerIndexPtr();
  const int* pi = pattern.innerIndexPtr();
  const int* so = s.outerIndexPtr();
  const int* si = s.innerIndexPtr();
  const double* sv = s.valuePtr();
  parallel_for(row_begin, row_end, [&](std::int64_t row) {
    const int i = static_cast<int>(row);
    thread_local std::vector<double> scratch;
    if (static_cast<int>(scratch.size()) < m) scratch.assign(m, 0.0);
    dm::sandwich_row_from(i, first(i, po, pi), so, si, sv, po, pi, x, scratch.data(), out);
  });
}

}  // namespace

void masked_sandwich_values(const SparseMatrixD& s, const SparseMatrixD& pattern, const double* x, double* out,
                            int row_begin, int row_end) {
  sandwich_rows(s, pattern, x, out, [](int i, const int* po, const int*) { return po[i]; }, row_begin, row_end);
}

void masked_sandwich_upper_values(const SparseMatrixD& s, const SparseMatrixD& pattern, const double* x, double* out,
                                  int row_begin, int row_end) {
  sandwich_rows(s, pattern, x, out, [](int i, const int* po, const int* pi) {
    return static_cast<int>(std::lower_bound(pi + po[i], pi + po[i + 1], i) - pi);
  }, row_begin, row_end);
}

namespace {

double objective_value(const VectorD& beta, const VectorD& losses, double mu, double lambda, double distance_to_e) {
  return beta.dot(losses) + mu * distance_to_e + 0.5 * lambda * beta.squaredNorm();
}

}  // namespace

SparseMatrixD symmetric_normalize(const SparseMatrixD& a) {
  require(a.rows() == a.cols(), "RAD: affinity is ", a.rows(), "×", a.cols(), ", not square");
  VectorD scale(a.rows());
  for (int i = 0; i < a.rows(); ++i) {
    const double degree = a.row(i).sum();
    require(std::isfinite(degree), "RAD: row ", i, " of an affinity has a non-finite degree");
    scale(i) = 1.0 / std::sqrt(degree > 0 ? degree : 1.0);
  }
  SparseMatrixD s = a;
  for (int i = 0; i < s.outerSize(); ++i)
    for (SparseMatrixD::InnerIterator it(s, i); it; ++it) it.valueRef() *= scale(i) * scale(it.col());
  return s;
}

VectorD beta_step(const VectorD& losses, double lambda) {
  require(lambda > 0, "RAD: lambda must be positive, got ", lambda);
  const int b = static_cast<int>(losses.size());
  require(b >= 1, "RAD: no templates");
  // Eq. 38–40: sort H ascending, grow the active set while H_b < (Σ_active H + λ)/|active|.
  std::vector<int> order(b);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return losses(x) < losses(y); });
  double sum = 0, active_sum = 0;
  int active = 0;
  for (int t = 0; t < b; ++t) {
    sum += losses(order[t]);
    if (losses(order[t]) < (sum + lambda) / (t + 1)) {
      active = t + 1;
      active_sum = sum;
    }
  }
  VectorD beta = VectorD::Zero(b);
  for (int t = 0; t < active; ++t) {
    const int j = order[t];
    beta(j) = (active_sum - active * losses(j) + lambda) / (lambda * active);
  }
  return beta;
}

SparseMatrixD union_pattern(const std::vector<SparseMatrixD>& graphs) {
  require(!graphs.empty(), "RAD: no graphs (B = 0)");
  const Eigen::Index m = graphs[0].rows();
  std::vector<Eigen::Triplet<double, int>> triplets;
  for (std::size_t b = 0; b < graphs.size(); ++b) {
    require(graphs[b].rows() == m && graphs[b].cols() == m, "RAD: graph ", b, " is ", graphs[b].rows(), "×",
            graphs[b].cols(), " but graph 0 is ", m, "×", m);
    for (int i = 0; i < graphs[b].outerSize(); ++i)
      for (SparseMatrixD::InnerIterator it(graphs[b], i); it; ++it) triplets.emplace_back(i, it.col(), 0.0);
  }
  for (int i = 0; i < m; ++i) triplets.emplace_back(i, i, 0.0);
  SparseMatrixD omega(m, m);
  omega.setFromTriplets(triplets.begin(), triplets.end());
  omega.makeCompressed();
  return omega;
}

SparseMatrixD masked_sandwich(const SparseMatrixD& s, const SparseMatrixD& x, const SparseMatrixD& mask) {
  require(s.rows() == x.rows() && x.rows() == mask.rows(), "masked product: size mismatch");
  // Lay X over the mask's pattern (entries of X outside the mask are dropped).
  PatternValues xv(mask.nonZeros());
  const int* mo = mask.outerIndexPtr();
  const int* mi = mask.innerIndexPtr();
  for (int i = 0; i < mask.rows(); ++i)
    for (int p = mo[i]; p < mo[i + 1]; ++p) xv(p) = x.coeff(i, mi[p]);
  PatternValues out(mask.nonZeros());
  masked_sandwich_values(s, mask, xv.data(), out.data());
  return with_values(mask, out);
}

namespace {

// omega: union_pattern(graphs).
RadResult rad_in_given_order(const std::vector<SparseMatrixD>& graphs, const SparseMatrixD& omega,
                             const RadOptions& o) {
  const int nb = static_cast<int>(graphs.size());
  std::vector<SparseMatrixD> s(nb);
  for (int b = 0; b < nb; ++b) s[b] = symmetric_normalize(graphs[b]);

  const PatternValues e = diagonal_on(omega);  // E = I on Ω
  PatternValues a = e;                          // Â initialised to E
  VectorD beta = VectorD::Constant(nb, 1.0 / nb);
  std::vector<PatternValues> sandwich(nb, PatternValues(omega.nonZeros()));
  // The masked products run on the chosen backend (CPU: masked_sandwich_values).
  const Backend& backend = o.backend ? *o.backend : cpu_backend();
  std::vector<std::unique_ptr<SandwichOperator>> product(nb);
  for (int b = 0; b < nb; ++b) product[b] = backend.masked_sandwich(s[b], omega);

  auto apply = [&](SandwichOperator& op, const PatternValues& x, PatternValues& out) {
    if (o.symmetric_products) op.apply_symmetric(x.data(), out.data());
    else op.apply(x.data(), out.data());
  };
  auto losses_at = [&](const PatternValues& x) {
    // H_b = ‖Â‖² − ⟨Â, S_b Â S_b⟩ (Eq. 18); Â vanishes outside Ω, so the inner product
    // needs S_b Â S_b only on Ω: the masked product is exact here.
    VectorD h(nb);
    for (int b = 0; b < nb; ++b) {
      apply(*product[b], x, sandwich[b]);
      h(b) = x.squaredNorm() - x.dot(sandwich[b]);
    }
    return h;
  };

  RadResult result;
  // λ is per image (RadOptions::per_image): the losses and the distance to E are sums over
  // the M rows of Â, the β penalty is not, so the β-step sees H_b / M. Equivalent to the
  // paper's objective with λ·M in place of λ.
  const double scale = o.per_image ? 1.0 / static_cast<double>(omega.rows()) : 1.0;
  VectorD losses = losses_at(a);
  double previous = objective_value(beta, scale * losses, o.mu, o.lambda, scale * (a - e).squaredNorm());
  result.objective.push_back(previous);
  const double keep = 1.0 / (o.mu + 1.0), pull = o.mu / (o.mu + 1.0);
  for (int outer = 0; outer < o.max_outer; ++outer) {
    // Â-step (Eq. 13), a contraction with factor ≤ 1/(1+μ) (Appendix D).
    for (int inner = 0; inner < o.max_inner; ++inner) {
      PatternValues next = pull * e;
      for (int b = 0; b < nb; ++b) {
        if (beta(b) == 0) continue;
        // The first inner step reuses the products computed for the losses at this Â.
        if (inner > 0) apply(*product[b], a, sandwich[b]);
        next += (beta(b) * keep) * sandwich[b];
      }
      const double change = (next - a).norm() / std::max(next.norm(), 1e-300);
      a.swap(next);
      ++result.inner_iterations;
      if (change < o.inner_tol) break;
    }
    // β-step (Eq. 38–40).
    losses = losses_at(a);
    beta = beta_step(scale * losses, o.lambda);
    const double value = objective_value(beta, scale * losses, o.mu, o.lambda, scale * (a - e).squaredNorm());
    result.objective.push_back(value);
    result.outer_iterations = outer + 1;
    if (std::abs(value - previous) <= o.outer_tol * std::max(std::abs(previous), 1e-300)) {
      result.converged = true;
      break;
    }
    previous = value;
  }
  // Each entry of S Â S is summed in its own order, so Â is symmetric only up to rounding;
  // averaging with its transpose makes it exactly symmetric for the eigensolver.
  const SparseMatrixD a_hat = with_values(omega, a);
  result.affinity = 0.5 * (a_hat + SparseMatrixD(a_hat.transpose()));
  result.beta = beta;
  result.losses = losses;
  return result;
}

}  // namespace

RadResult rad(const std::vector<SparseMatrixD>& graphs, const RadOptions& o) {
  require(o.mu > 0, "RAD: mu must be positive, got ", o.mu);
  require(o.max_outer >= 1 && o.max_inner >= 1, "RAD: max_outer and max_inner must be ≥ 1");
  const SparseMatrixD omega = union_pattern(graphs);
  if (!o.reorder) return rad_in_given_order(graphs, omega, o);
  const std::vector<int> new_index = reverse_cuthill_mckee(omega);
  std::vector<SparseMatrixD> permuted;
  permuted.reserve(graphs.size());
  for (const SparseMatrixD& g : graphs) permuted.push_back(permute_symmetric(g, new_index));
  RadResult result = rad_in_given_order(permuted, permute_symmetric(omega, new_index), o);
  std::vector<int> old_index(new_index.size());
  for (std::size_t i = 0; i < new_index.size(); ++i) old_index[new_index[i]] = static_cast<int>(i);
  result.affinity = permute_symmetric(result.affinity, old_index);
  return result;
}

}  // namespace vlc
