#include "vlc/cluster.hpp"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include "vlc/backend.hpp"
#include "vlc/baselines.hpp"
#include "vlc/cmatrix.hpp"
#include "vlc/duplicates.hpp"
#include "vlc/error.hpp"
#include "vlc/kmeans.hpp"
#include "vlc/noun_filter.hpp"
#include "vlc/ntk.hpp"
#include "vlc/ntk_sparse.hpp"
#include "vlc/spectral.hpp"
#include "vlc/validate.hpp"

namespace vlc {
namespace {

const std::pair<Method, const char*> kMethodNames[] = {
    {Method::NtkRad, "ntk-rad"}, {Method::NtkMean, "ntk-mean"}, {Method::NtkPe, "ntk-pe"},
    {Method::NtkSingle, "ntk-single"}, {Method::Rbf, "rbf"}, {Method::Cosine, "cosine"},
    {Method::KMeans, "kmeans"}, {Method::CMatrix, "cmatrix"}};

bool uses_nouns(Method m) {
  return m == Method::NtkRad || m == Method::NtkMean || m == Method::NtkPe || m == Method::NtkSingle;
}

EstimateKOptions estimate_options(const Options& o, KRule rule) {
  EstimateKOptions e;
  e.kmin = o.kmin;
  e.kmax = o.kmax;
  e.rule = rule;
  e.both_curves = o.k_both_curves;
  e.min_cluster_fraction = o.k_min_cluster_fraction;
  e.gap_floor = o.k_gap_floor;
  e.n_init = o.n_init;
  e.seed = o.seed;
  return e;
}

// Records wall time per stage into the result, and tells the caller's progress function.
class StageClock {
 public:
  StageClock(Result& result, const ProgressFunction& progress) : result_(result), progress_(progress) {}
  void start(const std::string& stage) {
    stage_ = stage;
    begin_ = std::chrono::steady_clock::now();
    report(0.0);
  }
  void report(double fraction) const {
    if (progress_) progress_(stage_, fraction);
  }
  void stop() {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - begin_;
    result_.timings.push_back({stage_, elapsed.count()});
    report(1.0);
  }

 private:
  Result& result_;
  const ProgressFunction& progress_;
  std::string stage_;
  std::chrono::steady_clock::time_point begin_;
};

void validate_options(const Options& o, Eigen::Index m, std::size_t b) {
  require(o.k >= 2 || o.k == 0, "k = ", o.k, ": give the number of clusters K ≥ 2, or 0 to estimate it");
  if (o.k == 0) k_range(static_cast<int>(m), o.kmin, o.kmax);  // throws if the candidate range is empty
  require(o.theta >= 1, "theta = ", o.theta, " must be at least 1");
  require(o.gamma > 0, "gamma = ", o.gamma, " must be positive");
  require(o.q >= 1, "q = ", o.q, ": need at least one neighbour");
  require(o.q < m, "q = ", o.q, " must be smaller than the number of images M = ", m, "; lower q");
  require(o.tau > 0, "tau = ", o.tau, " must be positive");
  require(o.n_init >= 1, "n_init = ", o.n_init, " must be at least 1");
  require(o.per_centre >= 1, "per_centre = ", o.per_centre, " must be at least 1");
  require(o.method != Method::NtkSingle || (o.template_index >= 0 && static_cast<std::size_t>(o.template_index) < b),
          "template_index = ", o.template_index, " is outside the ", b, " templates given");
}

}  // namespace

std::string method_name(Method m) {
  for (const auto& [method, name] : kMethodNames)
    if (method == m) return name;
  fail("unknown method enum value ", static_cast<int>(m));
}

Method parse_method(const std::string& name) {
  std::string valid;
  for (const auto& [method, text] : kMethodNames) {
    if (name == text) return method;
    valid += valid.empty() ? text : std::string(", ") + text;
  }
  fail("unknown method \"", name, "\"; valid methods: ", valid);
}

namespace {

Result cluster_all(const RowMatrixF& images, const std::vector<RowMatrixF>& templates, const Options& o) {
  validate_shapes(images, templates, o.k, o.method == Method::KMeans || o.method == Method::CMatrix ? 0 : o.q);
  validate_options(o, images.rows(), templates.size());
  Result result;
  result.k = o.k;
  const std::shared_ptr<const Backend> backend = o.backend ? o.backend : select_backend(o.device);
  result.device = backend->name();
  StageClock clock(result, o.progress);
  // K for §1's k̃ while the real K is unknown (automatic K): the largest candidate.
  const int k_for_centres = o.k > 0 ? o.k : k_range(static_cast<int>(images.rows()), o.kmin, o.kmax).second;

  clock.start("normalise");
  const RowMatrixF z = normalized_rows(images, "images");
  std::vector<RowMatrixF> t;
  if (uses_nouns(o.method) || o.method == Method::CMatrix || o.name_clusters) {
    t.reserve(templates.size());
    for (std::size_t b = 0; b < templates.size(); ++b) t.push_back(normalized_rows(templates[b], "template " + std::to_string(b)));
  }
  const RowMatrixF t_bar = t.empty() ? RowMatrixF() : ensemble_nouns(t);  // T̄, whole vocabulary
  clock.stop();

  // Naming (seed 004 Alg. 2) once labels and K are final, for every method.
  auto finish = [&]() {
    if (o.name_clusters) {
      clock.start("name");
      NamingOptions naming = o.naming;
      if (naming.allowed.empty()) naming.allowed = o.noun_mask;  // dropped nouns name nothing either
      result.names = name_clusters(z, t_bar, result.labels, result.k, naming);
      clock.stop();
    }
  };

  if (o.method == Method::KMeans || o.method == Method::CMatrix) {
    RowMatrixD features;
    if (o.method == Method::CMatrix) {
      clock.start("cmatrix");
      CMatrixOptions co;
      co.k = k_for_centres;
      co.theta = o.theta;
      co.gamma = o.gamma;
      co.filter_restarts = o.filter_restarts;
      co.seed = o.seed;
      co.allowed = o.noun_mask;
      CMatrixResult c = cmatrix_representation(z, t_bar, co);
      result.cmatrix_nouns = std::move(c.nouns);
      features = std::move(c.c);
      clock.stop();
    } else if (o.k == 0) {
      features = z.cast<double>();
    }
    if (o.k == 0) {
      // No graph, so no eigengap: minimum coding length over k-means partitions.
      clock.start("estimate-k");
      result.k_estimate = estimate_k_kmeans(features, z, estimate_options(o, KRule::CodingLength));
      result.k = result.k_estimate.k;
      clock.stop();
    }
    clock.start("kmeans");
    KMeansOptions km;
    km.k = result.k;
    km.n_init = o.n_init;
    km.seed = o.seed;
    // kmeans keeps its float input (the labels it always gave); cmatrix clusters C.
    result.labels = o.method == Method::KMeans ? kmeans(z, km).labels : kmeans(features, km).labels;
    clock.stop();
    finish();
    return result;
  }

  SparseMatrixD affinity;
  if (uses_nouns(o.method)) {
    clock.start("filter");
    NounFilterOptions nf;
    nf.k = k_for_centres;
    nf.per_centre = o.per_centre;
    nf.restarts = o.filter_restarts;
    nf.seed = o.seed;
    nf.allowed = o.noun_mask;
    result.kept_nouns = filter_nouns(z, t_bar, nf).kept;
    std::vector<RowMatrixF> w;
    for (const auto& tb : t) w.push_back(select_rows(tb, result.kept_nouns));
    clock.stop();

    clock.start("graph");
    NtkOptions ntk;
    ntk.tau = o.tau;
    ntk.q = o.q;
    // A GPU replaces the NTK search by its dense kernel; CPU backends run the ε-sparse path
    // (Backend::ntk_neighbours_sparse: the core's own, or the MPI build's split by rows).
    ntk.backend = backend.get();
    const int nb = static_cast<int>(w.size());
    auto build = [&](const RowMatrixF& nouns) {
      std::vector<GraphStats> stats;
      SparseMatrixD a = std::move(ntk_affinities(z, {nouns}, ntk, &stats)[0]);
      result.graphs.push_back(stats[0]);
      return a;
    };
    if (o.method == Method::NtkPe) {
      affinity = build(prompt_ensemble(w));
      result.beta = VectorD::Constant(nb, 1.0 / nb);
      clock.stop();
    } else if (o.method == Method::NtkSingle) {
      affinity = build(w[o.template_index]);
      result.beta = VectorD::Unit(nb, o.template_index);
      clock.stop();
    } else {
      // All templates at once: the ε-sparse path shares the Gram products between them.
      std::vector<GraphStats> stats;
      std::vector<SparseMatrixD> graphs = ntk_affinities(z, w, ntk, &stats);
      result.graphs.insert(result.graphs.end(), stats.begin(), stats.end());
      clock.stop();
      if (o.method == Method::NtkMean) {
        affinity = mean_affinity(graphs);
        result.beta = VectorD::Constant(nb, 1.0 / nb);
      } else {
        clock.start("rad");
        RadOptions ro = o.rad;
        ro.backend = backend.get();
        RadResult rad_result = rad(graphs, ro);
        affinity = std::move(rad_result.affinity);
        result.beta = rad_result.beta;
        result.rad_outer_iterations = rad_result.outer_iterations;
        result.rad_converged = rad_result.converged;
        if (std::getenv("VLC_NTK_STATS"))  // diagnostics for the benchmark
          std::fprintf(stderr, "rad: %d outer rounds, %d Â-steps, Ω %lld entries\n", rad_result.outer_iterations,
                       rad_result.inner_iterations, static_cast<long long>(affinity.nonZeros()));
        clock.stop();
      }
    }
  } else {
    clock.start("graph");
    GraphStats stats;
    affinity = o.method == Method::Rbf ? rbf_affinity(z, o.q, o.tau_rbf, &stats) : cosine_affinity(z, o.q, &stats);
    result.graphs.push_back(stats);
    clock.stop();
  }

  if (o.k == 0) {
    clock.start("estimate-k");
    result.k_estimate = estimate_k(affinity, z, estimate_options(o, o.k_rule));
    result.k = result.k_estimate.k;
    clock.stop();
  }

  clock.start("spectral");
  SpectralOptions so;
  so.k = result.k;
  so.n_init = o.n_init;
  so.seed = o.seed;
  so.backend = backend.get();
  so.coordinates = 2;  // Result::embedding2d
  SpectralEmbedding embedding;
  result.labels = spectral_clustering(affinity, so, &embedding, &z);
  result.components = embedding.components;
  result.eigenvalues = embedding.values;
  result.embedding2d = std::move(embedding.coordinates);
  clock.stop();
  finish();
  return result;
}

// The clustering of the representatives, spread to every image of each duplicate group.
void expand_to_copies(Result& r, const Duplicates& dup) {
  const std::size_t m = dup.representative.size();
  std::vector<int> row_of(m, -1);  // representative → its row in the clustered set
  for (std::size_t u = 0; u < dup.unique.size(); ++u) row_of[dup.unique[u]] = static_cast<int>(u);
  Labels labels(m);
  for (std::size_t i = 0; i < m; ++i) labels[i] = r.labels[row_of[dup.representative[i]]];
  if (r.embedding2d.rows() > 0) {
    RowMatrixD map(static_cast<Eigen::Index>(m), r.embedding2d.cols());
    for (std::size_t i = 0; i < m; ++i) map.row(i) = r.embedding2d.row(row_of[dup.representative[i]]);
    r.embedding2d = std::move(map);
  }
  for (auto& name : r.names) name.size = 0;
  for (int label : labels)
    if (label >= 0 && label < static_cast<int>(r.names.size())) ++r.names[label].size;
  r.labels = std::move(labels);
  r.duplicate_groups = dup.groups;
}

// Automatic K over images that hold only `unique` distinct ones: more clusters than distinct
// images cannot be told apart, and Lanczos asked for more eigenpairs than the graph has
// directions (10 photos × 50 copies, candidates up to 50) converges slowly or not at all.
// So the default upper end is capped at the number of distinct images.
Options capped_k_range(const Options& o, Eigen::Index unique) {
  Options capped = o;
  if (o.k == 0 && o.kmax == 0) capped.kmax = std::max(2, static_cast<int>(unique));
  return capped;
}

}  // namespace

Result cluster(const RowMatrixF& images, const std::vector<RowMatrixF>& templates, const Options& o) {
  require(o.duplicate_cosine >= 0 && o.duplicate_cosine <= 1, "duplicate_cosine = ", o.duplicate_cosine,
          " must be in [0, 1] (0 = keep duplicates)");
  if (o.duplicate_cosine == 0 || images.rows() < 3) return cluster_all(images, templates, o);
  const auto start = std::chrono::steady_clock::now();
  validate_shapes(images, templates, o.k, 0);
  DuplicateOptions d;
  d.cosine = o.duplicate_cosine;
  d.seed = o.seed;
  const Duplicates dup = find_duplicates(normalized_rows(images, "images"), d);
  if (dup.groups.empty()) return cluster_all(images, templates, o);
  const Eigen::Index unique = static_cast<Eigen::Index>(dup.unique.size());
  // Merging must leave something to cluster: K distinct images, and for automatic K at least
  // 10, since its candidates stop below the number of images it sees (the eigengap needs
  // λ_{K+1}): 12 photos of 3 subjects merged to 3 would allow only K = 2. Otherwise the images
  // are clustered as they are.
  if (unique < std::max<Eigen::Index>(o.k, o.k == 0 ? 10 : 2)) return cluster_all(images, templates, capped_k_range(o, unique));
  Options inner = o;
  inner.duplicate_cosine = 0;
  // Fewer distinct images may not leave q neighbours each: use all there are.
  if (inner.q >= unique) inner.q = static_cast<int>(unique) - 1;
  Result r = cluster_all(select_rows(images, dup.unique), templates, inner);
  expand_to_copies(r, dup);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  double others = 0;
  for (const auto& t : r.timings) others += t.seconds;
  r.timings.insert(r.timings.begin(), {"duplicates", std::max(0.0, elapsed.count() - others)});
  return r;
}

}  // namespace vlc
