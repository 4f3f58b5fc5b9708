// vlc::Session: the pipeline of vlc::cluster as explicit stages over one set of images.
//
// The images are validated, L2-normalised and searched for near-duplicates once, when the
// session is made; each stage then keeps its output and the inputs it was computed from, so
// that a later call recomputes only what a change of options made stale:
//
//   Session s(images, options);        §0: validate, normalise, near-duplicate groups
//   s.set_vocabulary(templates);       B templates L×d (or set_vocabulary_mean(T̄), L×d)
//   s.filter_nouns();                  §1: the kept nouns P (vocabulary indices)
//   s.set_kept_templates(w);           only after set_vocabulary_mean: W^(b) = T^(b)[P]
//   s.cluster();                       §2–§4: graphs, RAD, K, spectral clustering (and the map)
//   s.name();                          names from the whole vocabulary
//   s.result();                        the Result, one label per image (copies included)
//
// Re-clustering: set_options(o) with another K or method, then filter_nouns() and cluster()
// again. The NTK graphs are rebuilt only when the kept nouns, τ, q or the method's graph change;
// RAD only when its graphs or options change; counts() says how often each stage ran. A change
// of K changes §1's k̃ = min(M, max(⌈M/300⌉, 3K)) and so may change P; the graphs are reused
// when P stays the same. vlc::cluster(images, templates, options) is one pass of these calls.
//
// A stage called before its inputs exist throws vlc::Error naming the call that is missing.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>
#include "vlc/cluster.hpp"
#include "vlc/duplicates.hpp"

namespace vlc {

// How many times each stage has run in this session (a stage whose inputs did not change is
// reused, not counted).
struct StageCounts {
  int filter = 0;     // §1 noun filter
  int graph = 0;      // §2 affinities (NTK per template, prompt-ensembled, RBF or cosine)
  int affinity = 0;   // §3 RAD or the naive mean of the graphs
  int partition = 0;  // automatic K and §4 (or k-means / C-matrix for the methods without a graph)
  int name = 0;       // cluster names
};

class Session {
 public:
  // images: M×d, rows need not be normalised. Throws vlc::Error naming the problem.
  Session(const RowMatrixF& images, const Options& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // New options for the next stages; what they make stale is recomputed when next asked for.
  void set_options(const Options& options);
  const Options& options() const { return o_; }

  // The vocabulary as B matrices L×d, one per prompt template (normalised here; T̄ is their
  // ensemble). The kept nouns' rows W^(b) are then taken from them.
  void set_vocabulary(const std::vector<RowMatrixF>& templates);
  // The vocabulary as T̄ alone (L×d, rows normalised here), e.g. a precomputed asset; the kept
  // nouns' template embeddings follow with set_kept_templates once P is known.
  void set_vocabulary_mean(const RowMatrixF& nouns);

  // §1 on T̄ for the current K (automatic K: kmax). Vocabulary indices of P, ascending.
  const std::vector<int>& filter_nouns();
  // The last filter_nouns run's K for k̃ (automatic K: its largest candidate) and the number of
  // non-empty fine centres it found.
  struct FilterInfo {
    int k_for_centres = 0;
    int centres = 0;
  };
  const FilterInfo& filter_info() const;
  // W^(b) for b = 1..B: the kept nouns' embeddings under each template (|P|×d each, rows in the
  // order filter_nouns() returned). Needed after set_vocabulary_mean only.
  void set_kept_templates(const std::vector<RowMatrixF>& kept_templates);

  // §2–§4 (or the graph-free methods): labels, K, the 2-D map. Returns result().
  Result cluster();
  // Names of the current clusters from the whole vocabulary (Options::naming, noun_mask).
  const std::vector<ClusterName>& name();
  // Result::embedding2d, one row per image. Computed by cluster() from its own Lanczos run.
  RowMatrixD map() const;
  // Everything computed so far for the current options, one label per image.
  Result result() const;

  const StageCounts& counts() const { return counts_; }
  Eigen::Index rows() const;       // M
  Eigen::Index dims() const;       // d
  Eigen::Index clustered() const;  // distinct images clustered (M minus merged copies)

 private:
  struct State;
  void prepare_rows();
  Options o_;
  StageCounts counts_;
  std::unique_ptr<State> s_;
};

}  // namespace vlc
