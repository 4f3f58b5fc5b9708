// The one entry point: vlc::cluster(images, templates, options) → Result.
// Composes §0–§4 of docs/method.md: validation, noun filtering, per-template affinities,
// RAD (or an ablation), spectral clustering.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include "vlc/backend.hpp"
#include "vlc/estimate_k.hpp"
#include "vlc/knn_graph.hpp"
#include "vlc/naming.hpp"
#include "vlc/ntk_sparse.hpp"
#include "vlc/rad.hpp"
#include "vlc/types.hpp"

namespace vlc {

enum class Method {
  NtkRad,     // NTK per template + RAD (the paper's method, default)
  NtkMean,    // NTK per template, naive mean (Eq. 41)
  NtkPe,      // one NTK from the prompt-ensembled nouns (Eq. 42–43)
  NtkSingle,  // one NTK from template `template_index` (B = 1 ablation)
  Rbf,        // RBF mutual-kNN graph (Eq. 5), no text
  Cosine,     // cosine mutual-kNN graph, no text
  KMeans,     // k-means on the unit image embeddings, no graph
  CMatrix,    // k-means on the rows of seed 002's C = Z Uᵀ (U Uᵀ + γI)⁻¹ (cmatrix.hpp)
};

// "ntk-rad", "ntk-mean", "ntk-pe", "ntk-single", "rbf", "cosine", "kmeans", "cmatrix".
std::string method_name(Method m);
// Inverse of method_name; throws vlc::Error listing the valid names.
Method parse_method(const std::string& name);
// The NTK methods, which read the kept nouns (§1): ntk-rad, ntk-mean, ntk-pe, ntk-single.
bool uses_nouns(Method m);

// Progress of a long stage: stage name ("filter", "graph", "rad", "eigen", "kmeans") and
// fraction done in [0,1]. Called from the calling thread only.
using ProgressFunction = std::function<void(const std::string& stage, double fraction)>;

struct Options {
  // K; 0 = estimate it (estimate_k.hpp) within [kmin, kmax], the default (issue 7: automatic
  // K when no K is given; the CLI and the npm package read this default, option_table.hpp).
  // Graph methods estimate K on the built affinity with k_rule; kmeans and cmatrix have no
  // graph and always use the coding-length rule on k-means partitions of their features.
  // While K is unknown, §1's k̃ uses kmax (more fine centres only keep more nouns).
  int k = 0;
  int kmin = 2;             // automatic K: smallest candidate
  int kmax = 0;             // automatic K: largest candidate; 0 = default_kmax(M) = min(50, max(⌊M/5⌋, min(⌊M/2⌋, 9)))
  KRule k_rule = KRule::Eigengap;  // automatic K, graph methods (estimate_k.hpp: why)
  bool k_both_curves = true;  // automatic K: also the other rule's curve (costs kmax k-means runs)
  double k_min_cluster_fraction = 0.25;  // automatic K, eigengap: EstimateKOptions::min_cluster_fraction
  double k_gap_floor = 0.01;  // automatic K, eigengap: EstimateKOptions::gap_floor (0 = absolute gap)
  int theta = 2;            // cmatrix: nouns per fine centre (seed 002)
  double gamma = 5;         // cmatrix: ridge regulariser (seed 002)
  bool name_clusters = true;  // fill Result::names from the whole vocabulary (naming.hpp)
  NamingOptions naming;
  Method method = Method::NtkRad;
  double tau = 0.04;        // Eq. 7
  int q = 30;               // neighbours
  // §2's candidate search (ntk_ann.hpp): exact (the ε-sparse walk or dense tiles), ann (HNSW candidates,
  // rescored exactly) or auto (ann from AnnOptions::auto_min_m images when the softmax is flat).
  NtkCandidates ntk_candidates = NtkCandidates::Auto;
  double tau_rbf = 0;       // RBF scale; ≤ 0: self-tuning (see baselines.hpp)
  RadOptions rad;           // μ, λ and stopping rules
  int template_index = 0;   // for NtkSingle
  int per_centre = 5;       // §1 step 5
  int filter_restarts = 3;  // §1 step 3
  int n_init = 10;          // §4 k-means restarts
  std::uint64_t seed = 0;   // every random draw of the run, the ann search's HNSW levels included
  Device device = Device::Auto;         // NTK graph, RAD and Lanczos backend (backend.hpp)
  // When set, this backend instead of `device`'s: the MPI build's distributed one
  // (native/mpi/mpi_backend.hpp), so that vlc::cluster is the same composition of stages there.
  std::shared_ptr<const Backend> backend;
  std::vector<std::uint8_t> noun_mask;  // optional, L entries; 0 = noun never kept
  // Images whose cosine is at least this are near-duplicates (duplicates.hpp: why, and the
  // threshold's basis): each group is clustered as one image and its copies take its label.
  // Skipped when merging would leave fewer than K distinct images (10 for automatic K). 0 = off.
  double duplicate_cosine = 0.98;
  ProgressFunction progress;            // optional
};

struct StageTiming {
  std::string stage;
  double seconds = 0;
};

struct Result {
  Labels labels;                     // M labels in 0..k−1
  int k = 0;
  VectorD beta;                      // template weights (RAD); uniform for mean; one-hot for single
  std::vector<int> kept_nouns;       // vocabulary indices of the positive set P
  std::vector<StageTiming> timings;  // per stage, in order
  std::vector<GraphStats> graphs;    // one per affinity built
  int rad_outer_iterations = 0;
  int rad_inner_iterations = 0;      // Â-steps over all outer rounds (RadResult::inner_iterations)
  bool rad_converged = false;
  // The NTK methods' neighbour search, one record per template graph: candidate pairs, pairs
  // summed in full, rows that fell back to the dense tiles, … (ntk_sparse.hpp SparseNtkStats).
  // A GPU backend, which runs its dense tiles, reports every pair evaluated and every row dense.
  std::vector<SparseNtkStats> ntk_search;
  VectorD eigenvalues;               // top-k of the normalised affinity (graph methods)
  int components = 0;                // connected components of the final affinity (graph methods)
  // M×2, row i = image i's point on a 2-D map: the first two non-trivial spectral coordinates
  // of the final affinity (graph methods; SpectralEmbedding::coordinates). Empty for kmeans and
  // cmatrix, which have no graph, and for M = 2 (a single axis).
  // Why these: they are the axes the clustering itself separates images along, so the map shows
  // the groups the method saw (a PCA of the image embeddings shows the image geometry that
  // NTK/RAD corrects). Random-walk scaling D^{-1/2}v makes the trivial eigenvector constant, so
  // it is no axis and is skipped. On a disconnected graph, as NTK graphs usually are, the other
  // eigenvalue-1 directions are kept: they separate the components, which become clusters.
  // Skipping them as well leaves eigenvectors that each live on one component and put every
  // other image at 0: on the synthetic data (M = 300–600, 3 components) a third of the images
  // sat at 0; on 12 images in 3 components (cosine graph) 4 of 12 were nearest their own
  // cluster's centre on the map, against 12 of 12 with the contrasts. The price: with 3 or more
  // components, each component is a single point on the map.
  // When K − components is too small for the clustering's Lanczos run to hold the vectors (e.g.
  // K = 2 on a connected graph), one more deflated run computes the missing one or two instead
  // of widening that run, so the labels stay bit-identical to a clustering without the map.
  RowMatrixD embedding2d;
  std::vector<int> cmatrix_nouns;    // cmatrix: vocabulary indices of the candidate set U
  // Groups of ≥ 2 near-duplicate images (Options::duplicate_cosine), each ascending; the first
  // is the one that was clustered, the others share its label and map position.
  std::vector<std::vector<int>> duplicate_groups;
  std::vector<ClusterName> names;    // one per cluster when Options::name_clusters
  KEstimate k_estimate;              // Options::k = 0: the chosen K, its rule and both curves
  std::string device;                // backend that ran: "cpu" or "cuda:<n> (<GPU name>)"
};

// images: M×d, templates: B matrices L×d (vocabulary under each prompt template). Rows need
// not be normalised. Throws vlc::Error with a message naming the problem. One pass of
// vlc::Session's stages (session.hpp), which keeps them for re-clustering.
Result cluster(const RowMatrixF& images, const std::vector<RowMatrixF>& templates, const Options& options);

}  // namespace vlc
