// §2 of docs/method.md, the approximate candidate search: the NTK neighbour lists of all B
// templates from HNSW candidates (hnswlib) rescored with the exact K.
//
// Why: the ε-sparse path (ntk_sparse.hpp) evaluates only pairs that share a noun with
// s_in > ε. On CLIP-like data whose softmax is flat (the CLIP-faithful generator: the top
// noun carries 6–8% of the mass over the kept nouns, every kept noun stays above ε for every
// image) every pair shares every noun, and the path is the dense O(M²) one.
//
// What the product kernel K(i,j) = (1/τ²)(z_i·z_j)(s_i·s_j) needs: its top-q are pairs good
// in both factors, but neither factor alone ranks them. Measured on the CLIP-faithful data
// (M = 2000, q = 30, brute-force candidate lists, bench/ann.cpp's notes): the top 240 by image
// cosine hold 97.0% (STL-10-like) of the exact top-30, the top 240 by s_i·s_j 89.8%, the
// union of the top 120 of each 99.4%; cosine of s (or of √s) instead of the raw s_i·s_j loses
// the norm ‖s_i‖ (how peaked the softmax is) and falls to 90%. So the candidates of row i for
// template b are
//   the top c by z_i·z_j      (one HNSW index over the unit image rows, shared by all templates)
// ∪ the top c by s_i·s_j      (one HNSW index per template over s^(b))
// and each is rescored with the exact K: the Gram value z_i·z_j of the image candidates is
// computed once and reused by every template (as the ε-sparse path's block Gram is).
//
// The s index is a maximum-inner-product search, which HNSW's graph does poorly on directly
// (not a metric). Since ‖s_i‖ ≤ ‖s_i‖₁ = 1, each row is stored as x_i = [s_i, √(1 − ‖s_i‖²)],
// a unit vector (Bachrach et al., "Speeding up the Xbox recommender system using a Euclidean
// transformation for inner-product spaces"), and queried with [s_i, 0]:
// x_j·[s_i, 0] = s_i·s_j, so the nearest x_j are the largest s_i·s_j.
//
// Rows whose search returned fewer than q candidates (not seen in practice) are completed by
// an exact scan of all M images; SparseNtkStats::fallback_rows counts them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "vlc/knn_graph.hpp"
#include "vlc/types.hpp"

namespace vlc {

// How the NTK neighbour lists get their candidates (NtkOptions / SparseNtkOptions::candidates).
enum class NtkCandidates {
  Exact,  // the ε-sparse exact path (ntk_sparse.hpp), dense where the softmax is flat
  Ann,    // HNSW candidates rescored exactly (this header)
  Auto,   // Ann when M ≥ AnnOptions::auto_min_m and the ε-sparse path would be near-dense
};

// "exact", "ann", "auto" → NtkCandidates; anything else throws vlc::Error listing the three.
NtkCandidates parse_ntk_candidates(const std::string& name);
std::string ntk_candidates_name(NtkCandidates c);

struct AnnOptions {
  int candidates = 0;         // c: candidates per search and row; 0 = 4q. The row's list is
                              // the top q of ≤ 2c rescored pairs.
  int links = 16;             // hnswlib's M (links per node; 2M on the base layer)
  int ef_construction = 100;  // hnswlib's efConstruction
  int ef_search = 0;          // hnswlib's ef at query time; 0 = 2c (never below c + 1)
  std::uint64_t seed = 0;     // the node levels of both indices
  // Auto: the approximate path only from this M on (the measured crossover, bench/README.md)
  // and only when the ε-sparse path would visit at least auto_walk · M² pairs (estimated on
  // ≤ 2048 evenly spaced rows: Σ_n f_n² with f_n the share of images with s_n > ε). Peaked
  // data (bench/run's synthetic set: walk ≈ 1e-3) keeps the exact path at every M.
  int auto_min_m = 5000;
  double auto_walk = 0.25;
};

struct SparseNtkOptions;
struct SparseNtkStats;

// Checks an AnnOptions against q and M; throws vlc::Error naming the bad field.
void validate_ann_options(const AnnOptions& options, int q, int m);

// The approximate path: same contract as ntk_neighbours_sparse (q < M, self excluded, best
// first with ties to the smaller index, rows options.row_begin..row_end). Reads options.tau,
// q, row_begin, row_end and options.ann.
//
// Determinism: both indices are built by serial insertion in image order, with node levels
// drawn from vlc::Random (mt19937_64's raw bits, the same on every target) instead of
// hnswlib's std::default_random_engine + uniform_real_distribution (which differ between
// libstdc++ and libc++); queries run in parallel but each depends only on the built index.
// So a fixed seed gives the same lists on every run and thread count of one build. Across
// native and WASM: the image index sees the same distances (the input rows and a fixed-order
// dot product; unless the native build contracts it into FMAs, -DVLC_MARCH=native), hence the
// same graph and candidates; the s index sees softmax values from Eigen's GEMM and exp, whose
// rounding differs between the two targets' kernels, so its candidates — and thus a few list
// entries — can differ (tests/test_ntk_ann.cpp compares the two targets' lists).
std::vector<Neighbours> ntk_neighbours_ann(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                           const SparseNtkOptions& options,
                                           std::vector<SparseNtkStats>* stats = nullptr);

// Auto's estimate of the ε-sparse walk, as a fraction of M² pairs (mean over templates).
double estimated_sparse_walk(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns, double tau,
                             double epsilon);

}  // namespace vlc
