// In-process A/B benchmark of the core's hot kernels, each against its reference form run in
// the same process on the same data (so machine load affects both alike):
//   RAD's masked products in reverse Cuthill–McKee order vs input order (§3)
//   k-means: Hamerly's bounds vs Lloyd, and k-means++ seeding on a sample vs every point
// Prints a markdown table with wall and CPU seconds and the ratio. Not a test: no timing is
// asserted anywhere; the equality of both forms is asserted by the Catch2 suite.
//
//   build/perf/bench/vlc_bench_kernels [M] [K]      (defaults: M = 20000, K = 100, d = 512)
//   build/perf/bench/vlc_bench_kernels kmeans [M] [k,k,...] [iterations]
//                                     (k-means only; defaults: M = 50000, k = 100,1000, 20)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <sstream>
#include <string>
#include <vector>
#include "vlc/kmeans.hpp"
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

std::string kmeans_note(const vlc::KMeansResult& r, const vlc::KMeansResult& reference, std::int64_t m, int k) {
  char text[200];
  std::snprintf(text, sizeof text, "%d iterations, %.2f M·k distance passes, inertia %.6g (%s reference)",
                r.iterations, static_cast<double>(r.distance_evaluations) / (static_cast<double>(m) * k), r.inertia,
                r.labels == reference.labels ? "labels =" : "labels ≠");
  return std::string(text);
}

// Lloyd vs Hamerly for each k, Euclidean and spherical (the noun filter's mode), one restart
// of at most `iterations` iterations from the same seeds; then seeding cost: k-means++ on
// every point vs on a 32 k sample, each followed by one Lloyd iteration (its cost: the
// Lloyd row's time / (iterations + 1)).
int kmeans_bench(int m, const std::vector<int>& ks, int iterations) {
  vlc::SyntheticOptions so;
  so.m = m;
  so.k = 100;
  so.d = 512;
  so.vocab = 200;
  so.templates = 1;
  so.seed = 1;
  std::fprintf(stderr, "vlc_bench_kernels kmeans: synthetic images M = %d, d = 512, at most %d iterations\n", m,
               iterations);
  const vlc::RowMatrixF images = vlc::make_synthetic(so).images;
  std::printf("| kernel | variant | wall s | CPU s | CPU speed-up vs reference | note |\n|---|---|---|---|---|---|\n");
  for (int k : ks) {
    for (bool spherical : {false, true}) {
      vlc::KMeansOptions o;
      o.k = k;
      o.n_init = 1;
      o.max_iter = iterations;
      o.seed = 7;
      o.spherical = spherical;
      o.algorithm = vlc::KMeansAlgorithm::Lloyd;
      vlc::KMeansResult lloyd, hamerly;
      const Timing t_lloyd = measure([&] { lloyd = vlc::kmeans(images, o); });
      o.algorithm = vlc::KMeansAlgorithm::Hamerly;
      const Timing t_hamerly = measure([&] { hamerly = vlc::kmeans(images, o); });
      const std::string name = std::string("k-means ") + (spherical ? "spherical" : "Euclidean") + ", k = " +
                               std::to_string(k);
      row(name, "Lloyd (reference)", t_lloyd, t_lloyd, kmeans_note(lloyd, lloyd, m, k));
      row(name, "Hamerly", t_hamerly, t_lloyd, kmeans_note(hamerly, lloyd, m, k));
    }
    vlc::KMeansOptions o;
    o.k = k;
    o.n_init = 1;
    o.max_iter = 1;
    o.seed = 7;
    o.spherical = true;
    o.algorithm = vlc::KMeansAlgorithm::Lloyd;
    o.seed_sample = m;
    vlc::KMeansResult full, sampled;
    const Timing t_full = measure([&] { full = vlc::kmeans(images, o); });
    o.seed_sample = 32 * static_cast<std::int64_t>(k);
    const Timing t_sampled = measure([&] { sampled = vlc::kmeans(images, o); });
    const std::string name = "k-means++ seeding + 1 iteration, spherical, k = " + std::to_string(k);
    char text[160];
    std::snprintf(text, sizeof text, "inertia after 1 iteration %.6g", full.inertia);
    row(name, "every point (reference)", t_full, t_full, text);
    std::snprintf(text, sizeof text, "sample of %lld points; inertia after 1 iteration %.6g (%.4f× reference)",
                  static_cast<long long>(std::min<std::int64_t>(m, o.seed_sample)), sampled.inertia,
                  sampled.inertia / full.inertia);
    row(name, "32 k sample", t_sampled, t_full, text);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "kmeans") {
    std::vector<int> ks;
    std::stringstream list(argc > 3 ? argv[3] : "100,1000");
    for (std::string item; std::getline(list, item, ',');) ks.push_back(std::atoi(item.c_str()));
    return kmeans_bench(argc > 2 ? std::atoi(argv[2]) : 50000, ks, argc > 4 ? std::atoi(argv[4]) : 20);
  }
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
