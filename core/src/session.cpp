#include "vlc/session.hpp"
#include <chrono>
#include <tuple>
#include "vlc/backend.hpp"
#include "vlc/baselines.hpp"
#include "vlc/cmatrix.hpp"
#include "vlc/error.hpp"
#include "vlc/kmeans.hpp"
#include "vlc/limits.hpp"
#include "vlc/noun_filter.hpp"
#include "vlc/ntk_sparse.hpp"
#include "vlc/option_table.hpp"
#include "vlc/spectral.hpp"
#include "vlc/validate.hpp"

namespace vlc {
namespace {

bool has_graph(Method m) { return m != Method::KMeans && m != Method::CMatrix; }

// Which graph a method clusters: ntk-rad and ntk-mean share the B per-template graphs.
enum class GraphKind { PerTemplate, PromptEnsemble, SingleTemplate, Rbf, Cosine };
GraphKind graph_kind(Method m) {
  switch (m) {
    case Method::NtkPe: return GraphKind::PromptEnsemble;
    case Method::NtkSingle: return GraphKind::SingleTemplate;
    case Method::Rbf: return GraphKind::Rbf;
    case Method::Cosine: return GraphKind::Cosine;
    default: return GraphKind::PerTemplate;
  }
}

// Whether §2's search may take the HNSW path, whose lists depend on the seed (Auto takes it only
// from AnnOptions::auto_min_m images on): the graph stage keys on the seed only then, so a new
// seed does not rebuild an exact graph.
bool may_search_approximately(NtkCandidates c, Eigen::Index m) {
  return c == NtkCandidates::Ann || (c == NtkCandidates::Auto && m >= AnnOptions().auto_min_m);
}

EstimateKOptions estimate_options(const Options& o, KRule rule, int kmax) {
  EstimateKOptions e;
  e.kmin = o.kmin;
  e.kmax = kmax;
  e.rule = rule;
  e.both_curves = o.k_both_curves;
  e.min_cluster_fraction = o.k_min_cluster_fraction;
  e.gap_floor = o.k_gap_floor;
  e.n_init = o.n_init;
  e.seed = o.seed;
  return e;
}

// Records wall time per stage, and tells the caller's progress function.
class StageClock {
 public:
  StageClock(std::vector<StageTiming>& timings, const ProgressFunction& progress, const std::string& stage)
      : timings_(timings), progress_(progress), stage_(stage), begin_(std::chrono::steady_clock::now()) {
    report(0.0);
  }
  void report(double fraction) const {
    if (progress_) progress_(stage_, fraction);
  }
  void stop() {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - begin_;
    timings_.push_back({stage_, elapsed.count()});
    report(1.0);
  }

 private:
  std::vector<StageTiming>& timings_;
  const ProgressFunction& progress_;
  std::string stage_;
  std::chrono::steady_clock::time_point begin_;
};

// The options checks that need no images: duplicate_cosine's range, and the relations between
// options (option_table.hpp; a C++ Options names no rows as given, so only kmax ≥ kmin is left).
void check_options_alone(const Options& o) {
  require_input(o.duplicate_cosine >= 0 && o.duplicate_cosine <= 1, InputRef::of_option("duplicate_cosine"),
                "duplicate_cosine = ", o.duplicate_cosine, " must be in [0, 1] (0 = keep duplicates)");
  check_option_relations(o, {}, [](const std::string& name) { return name; });
}

// The options checks that need the number of images clustered (after merging copies).
void validate_options(const Options& o, Eigen::Index m) {
  require_input(o.k >= 2 || o.k == 0, InputRef::of_option("k"), "k = ", o.k, ": give the number of clusters K ≥ 2, or 0 to estimate it");
  if (o.k == 0) k_range(static_cast<int>(m), o.kmin, o.kmax);  // throws if the candidate range is empty
  require_input(o.theta >= 1, InputRef::of_option("theta"), "theta = ", o.theta, " must be at least 1");
  require_input(o.gamma > 0, InputRef::of_option("gamma"), "gamma = ", o.gamma, " must be positive");
  require_input(o.q >= 1, InputRef::of_option("q"), "q = ", o.q, ": need at least one neighbour");
  require_input(o.q < m, InputRef::of_option("q"), "q = ", o.q, " must be smaller than the number of images M = ", m, "; lower q");
  require_input(o.tau > 0, InputRef::of_option("tau"), "tau = ", o.tau, " must be positive");
  require_input(o.n_init >= 1, InputRef::of_option("n_init"), "n_init = ", o.n_init, " must be at least 1");
  require_input(o.per_centre >= 1, InputRef::of_option("per_centre"), "per_centre = ", o.per_centre, " must be at least 1");
}

bool same_rows(const std::vector<RowMatrixF>& a, const std::vector<RowMatrixF>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].rows() != b[i].rows() || a[i].cols() != b[i].cols() || a[i] != b[i]) return false;
  return true;
}

auto rad_fields(const RadOptions& r) {
  return std::make_tuple(r.mu, r.lambda, r.per_image, r.max_outer, r.outer_tol, r.max_inner, r.inner_tol, r.reorder,
                         r.symmetric_products);
}

}  // namespace

// Each stage's output with the key of the inputs it was computed from; a generation number
// changes whenever an output changes, so that later keys see it.
struct Session::State {
  FilterInfo filter_info;  // of the last §1 run
  // §0
  RowMatrixF z_all;  // M×d unit rows
  std::tuple<double, std::uint64_t> dup_key{-1.0, 0};
  Duplicates dup;
  bool merged = false;
  RowMatrixF z_unique;  // the representatives' rows when merged
  int q = 0;            // Options::q, lowered to the distinct images when merged
  int kmax = 0;         // Options::kmax, capped when too few distinct images were left unmerged
  int rows_gen = 0;
  std::shared_ptr<const Backend> backend;
  Device device = Device::Auto;
  bool backend_given = false;  // backend is Options::backend, not select_backend(device)
  const RowMatrixF& z() const { return merged ? z_unique : z_all; }

  // vocabulary
  std::vector<RowMatrixF> t;  // normalised templates (set_vocabulary), else empty
  RowMatrixF t_bar;           // T̄, L×d
  int vocab_gen = 0;          // 0 = none yet

  // §1
  using FilterKey = std::tuple<int, int, int, int, int, std::uint64_t, std::vector<std::uint8_t>>;
  FilterKey filter_key{-1, -1, 0, 0, 0, 0, {}};
  std::vector<int> kept;
  int kept_gen = 0;                   // changes when `kept` does
  std::vector<RowMatrixF> w;          // W^(b)
  int w_gen = -1;                     // kept_gen that `w` belongs to

  // §2
  using GraphKey = std::tuple<int, GraphKind, int, double, int, int, double, Device, NtkCandidates, std::uint64_t>;
  GraphKey graph_key{-1, GraphKind::PerTemplate, -1, 0.0, 0, 0, 0.0, Device::Auto, NtkCandidates::Auto, 0};
  std::vector<SparseMatrixD> graphs;
  std::vector<GraphStats> stats;
  std::vector<SparseNtkStats> search;  // the NTK neighbour search's counts, per template (CPU path)
  int graph_gen = 0;

  // §3 (ntk-rad, ntk-mean); the other graph methods cluster graphs[0]
  using AffinityKey = std::tuple<int, Method, std::tuple<double, double, bool, int, double, int, double, bool, bool>, Device>;
  AffinityKey affinity_key{-1, Method::NtkRad, {}, Device::Auto};
  SparseMatrixD combined;
  VectorD beta;
  int rad_outer = 0;
  int rad_inner = 0;
  bool rad_converged = false;
  int affinity_gen = 0;

  // automatic K and §4 (or k-means / C-matrix)
  using PartitionKey = std::tuple<int, Method, int, int, int, KRule, bool, double, double, int, std::uint64_t, Device, int,
                                  double, int, std::vector<std::uint8_t>, int>;
  PartitionKey partition_key{-1, Method::NtkRad, 0, 0, 0, KRule::Eigengap, false, 0.0, 0.0, 0, 0, Device::Auto, 0, 0.0, 0, {}, 0};
  bool has_labels = false;
  Labels labels;
  int k = 0;
  KEstimate k_estimate;
  VectorD eigenvalues;
  int components = 0;
  RowMatrixD embedding2d;
  std::vector<int> cmatrix_nouns;
  int labels_gen = 0;

  // names
  std::tuple<int, int, int> name_key{-1, -1, -1};
  std::vector<ClusterName> names;
  int options_gen = 0;

  std::vector<StageTiming> timings;
};

Session::Session(const RowMatrixF& images, const Options& options) : o_(options), s_(std::make_unique<State>()) {
  check_options_alone(o_);
  // The templates' share of the size limits is checked when they arrive (set_vocabulary).
  validate_images(images, o_.k, 0, 1, 0);
  StageClock clock(s_->timings, o_.progress, "normalise");
  s_->z_all = normalized_rows(images, InputRef::of_images());
  clock.stop();
  prepare_rows();
}

Session::~Session() = default;

Eigen::Index Session::rows() const { return s_->z_all.rows(); }
Eigen::Index Session::dims() const { return s_->z_all.cols(); }
Eigen::Index Session::clustered() const { return s_->z().rows(); }

// Near-duplicate groups, whether to merge them for the current K, and the rows clustered.
void Session::prepare_rows() {
  State& s = *s_;
  const Eigen::Index m = s.z_all.rows();
  const bool search = o_.duplicate_cosine != 0 && m >= 3;
  const std::tuple<double, std::uint64_t> dup_key{search ? o_.duplicate_cosine : 0.0, search ? o_.seed : 0};
  bool changed = false;
  if (dup_key != s.dup_key) {
    s.dup = Duplicates{};
    if (search) {
      StageClock clock(s.timings, o_.progress, "duplicates");
      DuplicateOptions d;
      d.cosine = o_.duplicate_cosine;
      d.seed = o_.seed;
      s.dup = find_duplicates(s.z_all, d);
      clock.stop();
    }
    s.dup_key = dup_key;
    changed = true;
  }
  const Eigen::Index unique = static_cast<Eigen::Index>(s.dup.unique.size());
  // Merging must leave something to cluster: K distinct images, and for automatic K at least
  // 10, since its candidates stop below the number of images it sees (the eigengap needs
  // λ_{K+1}): 12 photos of 3 subjects merged to 3 would allow only K = 2. Otherwise the images
  // are clustered as they are.
  const bool merge = !s.dup.groups.empty() && unique >= std::max<Eigen::Index>(o_.k, o_.k == 0 ? 10 : 2);
  if (merge != s.merged || (merge && changed)) {
    s.merged = merge;
    s.z_unique = merge ? select_rows(s.z_all, s.dup.unique) : RowMatrixF();
    changed = true;
  }
  if (changed) ++s.rows_gen;
  // Fewer distinct images may not leave q neighbours each: use all there are.
  s.q = merge && o_.q >= unique ? static_cast<int>(unique) - 1 : o_.q;
  // Automatic K over images that hold only `unique` distinct ones (too few to merge): more
  // clusters than distinct images cannot be told apart, and Lanczos asked for more eigenpairs
  // than the graph has directions (10 photos × 50 copies, candidates up to 50) converges slowly
  // or not at all. So the default upper end is capped at the number of distinct images.
  s.kmax = !merge && !s.dup.groups.empty() && o_.k == 0 && o_.kmax == 0 ? std::max(2, static_cast<int>(unique)) : o_.kmax;
  Options checked = o_;
  checked.q = s.q;
  checked.kmax = s.kmax;
  validate_options(checked, s.z().rows());
  check_limits({s.z().rows(), s.z().cols(), 1, 0, has_graph(o_.method) ? s.q : 0, o_.k});
  if (o_.backend) {  // Options::backend (the MPI build's) replaces `device`'s
    s.backend = o_.backend;
    s.backend_given = true;
  } else if (!s.backend || s.backend_given || s.device != o_.device) {
    s.backend = select_backend(o_.device);
    s.backend_given = false;
  }
  s.device = o_.device;
}

void Session::set_options(const Options& options) {
  check_options_alone(options);
  validate_images(s_->z_all, options.k, 0, 1, 0);
  const Options previous = o_;
  o_ = options;
  try {
    prepare_rows();
  } catch (...) {
    o_ = previous;  // the session stays usable with the options it had
    prepare_rows();
    throw;
  }
  ++s_->options_gen;
}

void Session::set_vocabulary(const std::vector<RowMatrixF>& templates) {
  State& s = *s_;
  validate_templates(templates, s.z_all.cols());
  check_limits({s.z().rows(), s.z().cols(), static_cast<std::int64_t>(templates.size()), templates[0].rows(),
                has_graph(o_.method) ? s.q : 0, o_.k});
  StageClock clock(s.timings, o_.progress, "vocabulary");
  std::vector<RowMatrixF> t;
  t.reserve(templates.size());
  for (std::size_t b = 0; b < templates.size(); ++b) t.push_back(normalized_rows(templates[b], InputRef::of_template(static_cast<int>(b))));
  s.t_bar = ensemble_nouns(t);  // T̄, whole vocabulary
  s.t = std::move(t);
  ++s.vocab_gen;
  clock.stop();
}

void Session::set_vocabulary_mean(const RowMatrixF& nouns) {
  State& s = *s_;
  require_input(nouns.cols() == s.z_all.cols(), InputRef::of_nouns(), "vocabulary: nouns have dimension ", nouns.cols(), " but images have dimension ",
          s.z_all.cols(), "; use the same CLIP model for both");
  require_input(nouns.rows() >= 1, InputRef::of_nouns(), "vocabulary: the vocabulary is empty (0 nouns)");
  check_limits({s.z().rows(), s.z().cols(), 1, nouns.rows(), 0, o_.k});
  StageClock clock(s.timings, o_.progress, "vocabulary");
  s.t_bar = normalized_rows(nouns, InputRef::of_nouns());
  s.t.clear();
  ++s.vocab_gen;
  clock.stop();
}

const Session::FilterInfo& Session::filter_info() const { return s_->filter_info; }

const std::vector<int>& Session::filter_nouns() {
  State& s = *s_;
  require(s.vocab_gen > 0, "filter_nouns: no vocabulary yet; call set_vocabulary or set_vocabulary_mean first");
  const int m = static_cast<int>(s.z().rows());
  const int k_for_centres = centres_k(o_.k, m, o_.kmin, s.kmax);
  // Keyed on k̃, not K: two K with the same k̃ run the same k-means and keep the same nouns.
  const State::FilterKey key{s.rows_gen, s.vocab_gen, fine_centre_count(m, k_for_centres), o_.per_centre,
                             o_.filter_restarts, o_.seed, o_.noun_mask};
  if (key == s.filter_key) return s.kept;
  StageClock clock(s.timings, o_.progress, "filter");
  NounFilterOptions nf;
  nf.k = k_for_centres;
  nf.per_centre = o_.per_centre;
  nf.restarts = o_.filter_restarts;
  nf.seed = o_.seed;
  nf.allowed = o_.noun_mask;
  NounFilterResult filtered = vlc::filter_nouns(s.z(), s.t_bar, nf);
  s.filter_info = {k_for_centres, static_cast<int>(filtered.centres.rows())};
  std::vector<int> kept = std::move(filtered.kept);
  // New nouns, or the same indices of a new vocabulary: new inputs of §2.
  if (kept != s.kept || std::get<1>(s.filter_key) != s.vocab_gen) {
    s.kept = std::move(kept);
    ++s.kept_gen;
  }
  if (!s.t.empty() && s.w_gen != s.kept_gen) {
    s.w.clear();
    for (const auto& tb : s.t) s.w.push_back(select_rows(tb, s.kept));
    s.w_gen = s.kept_gen;
  }
  s.filter_key = key;
  ++counts_.filter;
  clock.stop();
  return s.kept;
}

void Session::set_kept_templates(const std::vector<RowMatrixF>& kept_templates) {
  State& s = *s_;
  require(s.kept_gen > 0, "set_kept_templates: no kept nouns yet; call filter_nouns first");
  validate_templates(kept_templates, s.z_all.cols());
  require_input(kept_templates[0].rows() == static_cast<Eigen::Index>(s.kept.size()), InputRef::of_template(0), "set_kept_templates: each template has ",
          kept_templates[0].rows(), " nouns but filter_nouns kept ", s.kept.size());
  check_limits({s.z().rows(), s.z().cols(), static_cast<std::int64_t>(kept_templates.size()), kept_templates[0].rows(),
                s.q, o_.k});
  std::vector<RowMatrixF> w;
  w.reserve(kept_templates.size());
  for (std::size_t b = 0; b < kept_templates.size(); ++b)
    w.push_back(normalized_rows(kept_templates[b], InputRef::of_template(static_cast<int>(b))));
  // The same rows again (a re-cluster whose P did not change) keep the graphs; anything else is
  // a new input of §2.
  if (s.w_gen == s.kept_gen && same_rows(w, s.w)) return;
  s.w = std::move(w);
  ++s.kept_gen;
  s.w_gen = s.kept_gen;
}

Result Session::cluster() {
  State& s = *s_;
  const Method method = o_.method;
  const RowMatrixF& z = s.z();
  const Backend* backend = s.backend.get();
  int source_gen = s.rows_gen;  // what the partition stage reads: an affinity, or the rows
  const SparseMatrixD* affinity = nullptr;

  if (has_graph(method)) {
    const GraphKind kind = graph_kind(method);
    if (uses_nouns(method)) {
      require(std::get<0>(s.filter_key) >= 0, "cluster: method ", method_name(method),
              " needs the kept nouns; call filter_nouns first");
      filter_nouns();  // a no-op unless an option of §1 changed since
      require(s.w_gen == s.kept_gen && !s.w.empty(), "cluster: the kept nouns' template embeddings are missing; call "
              "set_kept_templates with the ", s.kept.size(), " nouns filter_nouns kept");
      require_input(method != Method::NtkSingle || (o_.template_index >= 0 && static_cast<std::size_t>(o_.template_index) < s.w.size()), InputRef::of_option("template_index"),
              "template_index = ", o_.template_index, " is outside the ", s.w.size(), " templates given");
    }
    const State::GraphKey key{s.rows_gen, kind, uses_nouns(method) ? s.w_gen : -1, uses_nouns(method) ? o_.tau : 0.0, s.q,
                              kind == GraphKind::SingleTemplate ? o_.template_index : 0,
                              kind == GraphKind::Rbf ? o_.tau_rbf : 0.0, s.device,
                              uses_nouns(method) ? o_.ntk_candidates : NtkCandidates::Auto,
                              uses_nouns(method) && may_search_approximately(o_.ntk_candidates, z.rows()) ? o_.seed : 0};
    if (key != s.graph_key) {
      StageClock clock(s.timings, o_.progress, "graph");
      s.stats.clear();
      if (uses_nouns(method)) {
        NtkOptions ntk;
        ntk.candidates = o_.ntk_candidates;
        ntk.ann.seed = o_.seed;  // the HNSW levels: one seed governs the whole run
        ntk.tau = o_.tau;
        ntk.q = s.q;
        // Backend::ntk_neighbours_sparse is §2's one dispatch point: the CPU's ε-sparse path, the
        // MPI build's split by rows, or a GPU's dense tiles.
        ntk.backend = backend;
        s.search.clear();
        if (kind == GraphKind::PromptEnsemble) s.graphs = ntk_affinities(z, {prompt_ensemble(s.w)}, ntk, &s.stats, &s.search);
        else if (kind == GraphKind::SingleTemplate) s.graphs = ntk_affinities(z, {s.w[o_.template_index]}, ntk, &s.stats, &s.search);
        else s.graphs = ntk_affinities(z, s.w, ntk, &s.stats, &s.search);  // the ε-sparse path shares the Gram products
      } else {
        GraphStats stats;
        s.graphs.clear();
        s.graphs.push_back(method == Method::Rbf ? rbf_affinity(z, s.q, o_.tau_rbf, &stats) : cosine_affinity(z, s.q, &stats));
        s.stats.push_back(stats);
      }
      s.graph_key = key;
      ++s.graph_gen;
      ++counts_.graph;
      clock.stop();
    }
    source_gen = s.graph_gen;
    affinity = &s.graphs[0];
    if (kind == GraphKind::PerTemplate) {
      const State::AffinityKey akey{s.graph_gen, method, rad_fields(o_.rad), s.device};
      if (akey != s.affinity_key) {
        const int nb = static_cast<int>(s.graphs.size());
        s.rad_outer = 0;
        s.rad_inner = 0;
        s.rad_converged = false;
        if (method == Method::NtkMean) {
          s.combined = mean_affinity(s.graphs);
          s.beta = VectorD::Constant(nb, 1.0 / nb);
        } else {
          StageClock clock(s.timings, o_.progress, "rad");
          RadOptions ro = o_.rad;
          ro.backend = backend;
          RadResult rad_result = rad(s.graphs, ro);
          s.combined = std::move(rad_result.affinity);
          s.beta = rad_result.beta;
          s.rad_outer = rad_result.outer_iterations;
          s.rad_converged = rad_result.converged;
          s.rad_inner = rad_result.inner_iterations;
          clock.stop();
        }
        s.affinity_key = akey;
        ++s.affinity_gen;
        ++counts_.affinity;
      }
      source_gen = -1 - s.affinity_gen;
      affinity = &s.combined;
    } else {
      const int nb = static_cast<int>(s.w.size());
      s.rad_outer = 0;
      s.rad_converged = false;
      s.beta = kind == GraphKind::PromptEnsemble   ? VectorD::Constant(nb, 1.0 / nb)
               : kind == GraphKind::SingleTemplate ? VectorD::Unit(nb, o_.template_index)
                                                   : VectorD();
    }
  } else {
    s.beta = VectorD();
    s.rad_outer = 0;
    s.rad_converged = false;
    s.stats.clear();
    if (method == Method::CMatrix)
      require(s.vocab_gen > 0, "cluster: method cmatrix needs the vocabulary; call set_vocabulary first");
  }

  const bool cm = method == Method::CMatrix;
  const State::PartitionKey pkey{source_gen, method, o_.k, o_.kmin, s.kmax, o_.k_rule, o_.k_both_curves,
                                 o_.k_min_cluster_fraction, o_.k_gap_floor, o_.n_init, o_.seed, s.device,
                                 cm ? o_.theta : 0, cm ? o_.gamma : 0.0, cm ? o_.filter_restarts : 0,
                                 cm ? o_.noun_mask : std::vector<std::uint8_t>(), cm ? s.vocab_gen : 0};
  if (pkey == s.partition_key && s.has_labels) return result();
  s.has_labels = false;
  s.k = o_.k;
  s.k_estimate = KEstimate();
  s.eigenvalues = VectorD();
  s.components = 0;
  s.embedding2d = RowMatrixD();
  s.cmatrix_nouns.clear();
  // Automatic K (estimate_k.hpp) with `estimate`, which returns the KEstimate; K as given otherwise.
  auto automatic_k = [&](auto&& estimate) {
    if (o_.k != 0) return;
    StageClock clock(s.timings, o_.progress, "estimate-k");
    s.k_estimate = estimate();
    s.k = s.k_estimate.k;
    clock.stop();
  };
  if (!has_graph(method)) {
    const int k_for_centres = centres_k(o_.k, static_cast<int>(z.rows()), o_.kmin, s.kmax);
    RowMatrixD features;
    if (cm) {
      StageClock clock(s.timings, o_.progress, "cmatrix");
      CMatrixOptions co;
      co.k = k_for_centres;
      co.theta = o_.theta;
      co.gamma = o_.gamma;
      co.filter_restarts = o_.filter_restarts;
      co.seed = o_.seed;
      co.allowed = o_.noun_mask;
      CMatrixResult c = cmatrix_representation(z, s.t_bar, co);
      s.cmatrix_nouns = std::move(c.nouns);
      features = std::move(c.c);
      clock.stop();
    } else if (o_.k == 0) {
      features = z.cast<double>();
    }
    // No graph, so no eigengap: minimum coding length over k-means partitions.
    automatic_k([&] { return estimate_k_kmeans(features, z, estimate_options(o_, KRule::CodingLength, s.kmax)); });
    StageClock clock(s.timings, o_.progress, "kmeans");
    KMeansOptions km;
    km.k = s.k;
    km.n_init = o_.n_init;
    km.seed = o_.seed;
    // kmeans keeps its float input (the labels it always gave); cmatrix clusters C.
    s.labels = method == Method::KMeans ? kmeans(z, km).labels : kmeans(features, km).labels;
    clock.stop();
  } else {
    automatic_k([&] { return estimate_k(*affinity, z, estimate_options(o_, o_.k_rule, s.kmax)); });
    StageClock clock(s.timings, o_.progress, "spectral");
    SpectralOptions so;
    so.k = s.k;
    so.n_init = o_.n_init;
    so.seed = o_.seed;
    so.backend = backend;
    so.coordinates = 2;  // Result::embedding2d
    SpectralEmbedding embedding;
    s.labels = spectral_clustering(*affinity, so, &embedding, &z);
    s.components = embedding.components;
    s.eigenvalues = embedding.values;
    s.embedding2d = std::move(embedding.coordinates);
    clock.stop();
  }
  s.partition_key = pkey;
  s.has_labels = true;
  ++s.labels_gen;
  ++counts_.partition;
  return result();
}

const std::vector<ClusterName>& Session::name() {
  State& s = *s_;
  require(s.has_labels, "name: no clusters yet; call cluster first");
  require(s.vocab_gen > 0, "name: no vocabulary; call set_vocabulary or set_vocabulary_mean first");
  const std::tuple<int, int, int> key{s.labels_gen, s.vocab_gen, s.options_gen};
  if (key == s.name_key) return s.names;
  StageClock clock(s.timings, o_.progress, "name");
  NamingOptions naming = o_.naming;
  if (naming.allowed.empty()) naming.allowed = o_.noun_mask;  // dropped nouns name nothing either
  s.names = name_clusters(s.z(), s.t_bar, s.labels, s.k, naming);
  s.name_key = key;
  ++counts_.name;
  clock.stop();
  return s.names;
}

namespace {

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

}  // namespace

Result Session::result() const {
  const State& s = *s_;
  Result r;
  r.k = s.has_labels ? s.k : o_.k;
  r.device = s.backend->name();
  r.timings = s.timings;
  if (uses_nouns(o_.method)) r.kept_nouns = s.kept;
  if (s.has_labels) {
    r.labels = s.labels;
    r.beta = s.beta;
    if (has_graph(o_.method)) r.graphs = s.stats;
    r.rad_outer_iterations = s.rad_outer;
    r.rad_inner_iterations = s.rad_inner;
    r.rad_converged = s.rad_converged;
    if (uses_nouns(o_.method)) r.ntk_search = s.search;
    r.eigenvalues = s.eigenvalues;
    r.components = s.components;
    r.embedding2d = s.embedding2d;
    r.cmatrix_nouns = s.cmatrix_nouns;
    r.k_estimate = s.k_estimate;
    if (std::get<0>(s.name_key) == s.labels_gen && std::get<2>(s.name_key) == s.options_gen) r.names = s.names;
    if (s.merged) expand_to_copies(r, s.dup);
  }
  return r;
}

RowMatrixD Session::map() const {
  require(s_->has_labels, "map: no clusters yet; call cluster first (the map comes from its spectral coordinates)");
  return result().embedding2d;
}

}  // namespace vlc
