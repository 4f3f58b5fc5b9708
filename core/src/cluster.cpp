#include "vlc/cluster.hpp"
#include <chrono>
#include "vlc/baselines.hpp"
#include "vlc/error.hpp"
#include "vlc/kmeans.hpp"
#include "vlc/noun_filter.hpp"
#include "vlc/ntk.hpp"
#include "vlc/spectral.hpp"
#include "vlc/validate.hpp"

namespace vlc {
namespace {

const std::pair<Method, const char*> kMethodNames[] = {
    {Method::NtkRad, "ntk-rad"}, {Method::NtkMean, "ntk-mean"}, {Method::NtkPe, "ntk-pe"},
    {Method::NtkSingle, "ntk-single"}, {Method::Rbf, "rbf"}, {Method::Cosine, "cosine"},
    {Method::KMeans, "kmeans"}};

bool uses_nouns(Method m) {
  return m == Method::NtkRad || m == Method::NtkMean || m == Method::NtkPe || m == Method::NtkSingle;
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
  require(o.k >= 2, "k = ", o.k, ": give the number of clusters K ≥ 2");
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

Result cluster(const RowMatrixF& images, const std::vector<RowMatrixF>& templates, const Options& o) {
  validate_shapes(images, templates, o.k);
  validate_options(o, images.rows(), templates.size());
  Result result;
  result.k = o.k;
  StageClock clock(result, o.progress);

  clock.start("normalise");
  const RowMatrixF z = normalized_rows(images, "images");
  std::vector<RowMatrixF> t;
  if (uses_nouns(o.method)) {
    t.reserve(templates.size());
    for (std::size_t b = 0; b < templates.size(); ++b) t.push_back(normalized_rows(templates[b], "template " + std::to_string(b)));
  }
  clock.stop();

  if (o.method == Method::KMeans) {
    clock.start("kmeans");
    KMeansOptions km;
    km.k = o.k;
    km.n_init = o.n_init;
    km.seed = o.seed;
    result.labels = kmeans(z, km).labels;
    clock.stop();
    return result;
  }

  SparseMatrixD affinity;
  if (uses_nouns(o.method)) {
    clock.start("filter");
    NounFilterOptions nf;
    nf.k = o.k;
    nf.per_centre = o.per_centre;
    nf.restarts = o.filter_restarts;
    nf.seed = o.seed;
    nf.allowed = o.noun_mask;
    result.kept_nouns = filter_nouns(z, ensemble_nouns(t), nf).kept;
    std::vector<RowMatrixF> w;
    for (const auto& tb : t) w.push_back(select_rows(tb, result.kept_nouns));
    clock.stop();

    clock.start("graph");
    NtkOptions ntk;
    ntk.tau = o.tau;
    ntk.q = o.q;
    const int nb = static_cast<int>(w.size());
    auto build = [&](const RowMatrixF& nouns) {
      GraphStats stats;
      SparseMatrixD a = ntk_affinity(z, nouns, ntk, &stats);
      result.graphs.push_back(stats);
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
      std::vector<SparseMatrixD> graphs;
      for (int b = 0; b < nb; ++b) {
        graphs.push_back(build(w[b]));
        clock.report(static_cast<double>(b + 1) / nb);
      }
      clock.stop();
      if (o.method == Method::NtkMean) {
        affinity = mean_affinity(graphs);
        result.beta = VectorD::Constant(nb, 1.0 / nb);
      } else {
        clock.start("rad");
        RadResult rad_result = rad(graphs, o.rad);
        affinity = std::move(rad_result.affinity);
        result.beta = rad_result.beta;
        result.rad_outer_iterations = rad_result.outer_iterations;
        result.rad_converged = rad_result.converged;
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

  clock.start("spectral");
  SpectralOptions so;
  so.k = o.k;
  so.n_init = o.n_init;
  so.seed = o.seed;
  SpectralEmbedding embedding;
  result.labels = spectral_clustering(affinity, so, &embedding);
  result.eigenvalues = embedding.values;
  clock.stop();
  return result;
}

}  // namespace vlc
