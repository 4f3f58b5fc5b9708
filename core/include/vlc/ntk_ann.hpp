// §2 of docs/method.md, the approximate candidate search: the NTK neighbour lists of all B
// templates from HNSW candidates (hnswlib) rescored with the exact K.
//
// Why: the ε-sparse path (ntk_sparse.hpp) evaluates only pairs that share a noun with
// s_in > ε. On CLIP-like data whose softmax is flat (the CLIP-faithful generator: the top
// noun carries 6–8% of the mass over the kept nouns, every kept noun stays above ε for every
// image) every pair shares every noun, and the exact lists cost O(M²) (the dense tiles).
//
// What the product kernel K(i,j) = (1/τ²) u v, u = z_i·z_j, v = s_i·s_j, needs: its top-q are
// pairs good in both factors, and neither factor alone ranks them. Measured on the
// CLIP-faithful data (M = 2000, q = 30, brute-force candidate lists): the top 240 by u hold
// 97.0% (STL-10-like) of the exact top-30, the top 240 by v 89.8%, the union of the top 120 of
// each 99.4% (at M = 10 000: 98.3%, falling with M); cosine of s (or of √s) instead of the
// raw v loses ‖s_i‖ (how peaked the softmax is) and reaches 90%. What does not fall with M is a
// third, tangent search: for any (u0, v0) with u0 v0 = t and u, v > 0, AM–GM gives
//   u v ≥ t  ⇒  u/u0 + v/v0 ≥ 2 √(u v / t) ≥ 2,
// so the top of the linear score u/u0 + v/v0 contains every pair whose K is at least that of
// the point (u0, v0). Taking (u0, v0) from the q-th entry of a provisional list, three searches
// of c each (c = 2q: 99.99% at M = 2000, 99.8% at M = 10 000) beat two of 6q. Per row i and
// template b, with c = `candidates`:
//   1. the top c by u        (one HNSW index over the unit image rows, shared by all templates;
//                             their Gram values u are computed once for every template)
//   2. the top c by v        (query [0, s_i, 0] of the template's joint index, below)
//   → rescored exactly: the provisional top q, its q-th entry (u0, v0)
//   3. the top c by u/u0 + v/v0 (query [z_i, (u0 / (λ v0)) s_i, 0] of the joint index)
//   → rescored exactly; the row's list is the top q of the ≤ 3c pairs.
//
// The joint index of template b stores x_j = [z_j, λ s_j, √(R² − ‖z_j‖² − λ²‖s_j‖²)] (with s_j
// replaced by P s_j, its projection on the top r eigenvectors of SᵀS, when N > r =
// AnnOptions::semantic_dims; the queries use P s_i alike and only the search sees P): all of
// norm R, so searching by the largest inner product with a query is a nearest-neighbour search
// on a sphere, which HNSW's graph handles (a plain inner-product search is no metric; the
// extra coordinate is the transformation of Bachrach et al., "Speeding up the Xbox recommender
// system using a Euclidean transformation for inner-product spaces"). x_j·[a z_i, b s_i, 0] =
// a u + λ b v, so one index answers queries 2 and 3. λ² = 1 / mean ‖s_i‖² gives both parts
// similar weight in the graph built on x·x.
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
  Exact,  // exact lists (ntk_sparse.hpp): the ε-sparse walk, or dense tiles where the softmax is flat
  Ann,    // HNSW candidates rescored exactly (this header)
  Auto,   // Ann when M ≥ AnnOptions::auto_min_m and the ε-sparse path would be near-dense
};

// "exact", "ann", "auto" → NtkCandidates; anything else throws vlc::Error listing the three.
NtkCandidates parse_ntk_candidates(const std::string& name);
std::string ntk_candidates_name(NtkCandidates c);

struct AnnOptions {
  int candidates = 0;         // c: candidates per search and row; 0 = 3q. The row's list is
                              // the top q of ≤ 3c rescored pairs.
  int links = 16;             // hnswlib's M (links per node; 2M on the base layer)
  int ef_construction = 100;  // hnswlib's efConstruction
  int ef_search = 0;          // hnswlib's ef at query time; 0 = 2c (never below c + 1)
  std::uint64_t seed = 0;     // the node levels of both indices (vlc::cluster: Options::seed)
  // The joint index holds s_j projected on the top `semantic_dims` eigenvectors of SᵀS (the
  // best rank-r stand-in for the Gram s_i·s_j) when N is larger, so its rows have d + r + 1
  // floats instead of d + N + 1 (a 20 000-noun vocabulary keeps thousands of nouns at large M);
  // the rescoring stays exact. 0 = all N nouns (no projection). 128: CIFAR-20-like M = 10 000,
  // N = 249, recall@30 0.9970 against 0.9971 with all nouns (r = 64: 0.9948, r = 32: 0.9821).
  // Memory and time of the joint index then no longer grow with the kept nouns.
  int semantic_dims = 128;
  // Auto: the approximate path only from this M on and only when the ε-sparse path would visit
  // at least auto_walk · M² (row, posting) entries, i.e. do the dense path's work or more
  // (estimated on ≤ 2048 evenly spaced rows: Σ_n f_n², f_n the share of images with s_n > ε).
  // CLIP-faithful data: ≈ N, 55–230; bench/run's synthetic data (peaked): 0.04, so it keeps the
  // exact path at every M. 30 000: below it the exact dense tiles (ntk_neighbours_dense) are
  // faster than this path on every CLIP-faithful setting measured (bench/README.md: at 20 000,
  // 15.6 s against 65 s with 97 nouns, 30 s against 46 s with 275 nouns, whose ANN recall is
  // already 0.989 there); their cost grows as M², this path's as M log M.
  int auto_min_m = 30000;
  double auto_walk = 1.0;
};

struct SparseNtkOptions;
struct SparseNtkStats;

// Checks an AnnOptions against q; throws vlc::Error naming the bad field.
void validate_ann_options(const AnnOptions& options, int q);

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
// same graph and candidates; the joint index sees softmax values from Eigen's GEMM and exp, whose
// rounding differs between the two targets' kernels, so its candidates — and thus a few list
// entries — can differ (tests/test_ntk_ann.cpp compares the two targets' lists).
std::vector<Neighbours> ntk_neighbours_ann(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                           const SparseNtkOptions& options,
                                           std::vector<SparseNtkStats>* stats = nullptr);

// Auto's estimate of the ε-sparse walk, as a fraction of M² pairs (mean over templates).
double estimated_sparse_walk(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns, double tau,
                             double epsilon);

}  // namespace vlc
