#include "vlc/limits.hpp"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include "vlc/error.hpp"

namespace vlc {
namespace {

constexpr double kIndexLimit = 2147483647.0;  // 2^31 − 1: int labels/indices, Eigen's int StorageIndex

std::string gigabytes(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GB", bytes / 1e9);
  return buf;
}

int effective_k(const ProblemSize& s) { return s.k > 0 ? s.k : 50; }

double fine_centres(const ProblemSize& s) {  // k̃ = min(M, max(⌈M/300⌉, 3K))
  const double m = static_cast<double>(s.m);
  return std::min(m, std::max(std::ceil(m / 300.0), 3.0 * effective_k(s)));
}

}  // namespace

std::int64_t omega_nonzeros_bound(const ProblemSize& s) {
  if (s.q <= 0 || s.m <= 0) return 0;
  const double m = static_cast<double>(s.m);
  const double n = std::min(m * m, m * (1.0 + static_cast<double>(s.b) * (s.q + 2.0)));
  return n >= 9.2e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(n);
}

double estimate_memory_bytes(const ProblemSize& s) {
  const double m = static_cast<double>(s.m), d = static_cast<double>(s.d), b = static_cast<double>(s.b),
               l = static_cast<double>(s.l), q = s.q, k = effective_k(s);
  const double kt = fine_centres(s);
  double bytes = 8 * m * d + 4 * l * d * (3 * b + 1) + 8 * kt * l;
  if (s.q <= 0) return bytes + 8 * m * (kt * 2 + 3 * k);  // kmeans / cmatrix (θ = 2)
  const double p = std::min(l, kt * 5);
  const double n = static_cast<double>(omega_nonzeros_bound(s));
  const double ncv = std::max(2 * k + 1, 20.0);
  bytes += 4 * m * p + 8 * 256 * m + 8 * m * q + 32 * m * q;  // §2
  bytes += 24 * b * m * (q + 2);                             // graphs and S_b
  bytes += n * (12 + 8 * b + 24 + 36);                        // RAD on Ω
  bytes += 24 * n + 8 * m * (ncv + 3 * k);                    // §4
  return bytes;
}

double memory_budget_bytes() {
#ifdef __EMSCRIPTEN__
  return 3.5 * 1024.0 * 1024.0 * 1024.0;
#else
  return 0;
#endif
}

std::string target_name() {
#ifdef __EMSCRIPTEN__
  return "webassembly";
#else
  return "native";
#endif
}

void check_limits(const ProblemSize& s) {
  require(static_cast<double>(s.m) <= kIndexLimit, "images: M = ", s.m,
          " is above the limit of 2147483647 images (32-bit indices); split the images into batches");
  require(static_cast<double>(s.l) <= kIndexLimit, "templates: L = ", s.l,
          " nouns is above the limit of 2147483647 (32-bit indices); use a smaller vocabulary");
  const std::int64_t n = omega_nonzeros_bound(s);
  if (static_cast<double>(n) > kIndexLimit) {
    const double max_m = kIndexLimit / (1.0 + static_cast<double>(s.b) * (s.q + 2.0));
    fail("too large: M = ", s.m, " images with B = ", s.b, " templates and q = ", s.q,
         " neighbours give a graph union Ω of up to M·(1 + B·(q + 2)) = ", n,
         " entries, above the 2147483647 that the sparse matrices' 32-bit indices allow (at most M = ",
         static_cast<std::int64_t>(max_m), " with these B and q); lower q, use fewer templates, or split the images");
  }
  const double budget = memory_budget_bytes();
  const double need = estimate_memory_bytes(s);
  if (budget > 0 && need > budget)
    fail("too large for WebAssembly: M = ", s.m, " images, d = ", s.d, ", B = ", s.b, " templates, L = ", s.l,
         " nouns, q = ", s.q, " need about ", gigabytes(need), " of working memory, above the ", gigabytes(budget),
         " a WebAssembly module can use (4 GB address space); use the native CLI (vlcluster cluster)",
         s.q > 0 ? ", lower q" : "", ", or cluster fewer images");
}

}  // namespace vlc
