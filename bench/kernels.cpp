// In-process A/B benchmark of the core's hot kernels, each against its reference form run in
// the same process on the same data (so machine load affects both alike):
//   RAD's masked products in reverse Cuthill–McKee order vs input order (§3)
// Prints a markdown table with wall and CPU seconds and the ratio. Not a test: no timing is
// asserted anywhere; the equality of both forms is asserted by the Catch2 suite.
//
//   build/perf/bench/vlc_bench_kernels [M] [K]      (defaults: M = 20000, K = 100, d = 512)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include "vlc/noun_filter.hpp"
#include "vlc/ntk_sparse.hpp"
#include "vlc/rad.hpp"
#include "vlc/synthetic.hpp"

namespace {

struct Timing {
  double wall = 0, cpu = 0;
};

Timing measure(const std::function<void()>& run) {
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();  // process CPU time, all threads
  run();
  Timing t;
  t.cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  t.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return t;
}

void row(const std::string& kernel, const std::string& variant, const Timing& t, const Timing& reference,
         const std::string& note) {
  std::printf("| %s | %s | %.2f | %.2f | %.2f× | %s |\n", kernel.c_str(), variant.c_str(), t.wall, t.cpu,
              reference.cpu / t.cpu, note.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const int m = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int k = argc > 2 ? std::atoi(argv[2]) : 100;
  vlc::SyntheticOptions so;
  so.m = m;
  so.k = k;
  so.d = 512;
  so.vocab = 2000;
  so.templates = 7;
  so.seed = 1;
  std::fprintf(stderr, "vlc_bench_kernels: synthetic M = %d, K = %d, d = 512, L = 2000, B = 7\n", m, k);
  const vlc::SyntheticData data = vlc::make_synthetic(so);

  std::printf("| kernel | variant | wall s | CPU s | CPU speed-up vs reference | note |\n|---|---|---|---|---|---|\n");

  vlc::NounFilterOptions fo;
  fo.k = k;
  const vlc::RowMatrixF ensemble = vlc::ensemble_nouns(data.templates);
  const vlc::NounFilterResult kept = vlc::filter_nouns(data.images, ensemble, fo);
  std::vector<vlc::RowMatrixF> nouns;
  for (const auto& t : data.templates) nouns.push_back(vlc::select_rows(t, kept.kept));
  vlc::NtkOptions no;
  const std::vector<vlc::SparseMatrixD> graphs = vlc::ntk_affinities(data.images, nouns, no);
  vlc::RadOptions plain;
  plain.max_outer = 2;
  plain.reorder = false;
  plain.symmetric_products = false;
  vlc::RadOptions rcm = plain;
  rcm.reorder = true;
  vlc::RadOptions both = rcm;
  both.symmetric_products = true;
  vlc::RadResult ra, rb, rc;
  const Timing t_plain = measure([&] { ra = vlc::rad(graphs, plain); });
  const Timing t_rcm = measure([&] { rb = vlc::rad(graphs, rcm); });
  const Timing t_both = measure([&] { rc = vlc::rad(graphs, both); });
  auto note = [&](const vlc::RadResult& r) {
    char text[160];
    std::snprintf(text, sizeof text, "2 outer rounds, %d Â-steps, |Ω| = %lld; max |ΔÂ| vs reference %.1e",
                  r.inner_iterations, static_cast<long long>(r.affinity.nonZeros()),
                  vlc::SparseMatrixD(ra.affinity - r.affinity).coeffs().cwiseAbs().maxCoeff());
    return std::string(text);
  };
  row("RAD masked products", "input order, whole products (reference)", t_plain, t_plain, note(ra));
  row("RAD masked products", "reverse Cuthill–McKee order", t_rcm, t_plain, note(rb));
  row("RAD masked products", "RCM + one triangle mirrored (default)", t_both, t_plain, note(rc));
  return 0;
}
