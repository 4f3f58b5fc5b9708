// §2 of docs/method.md, the ε-sparse exact path: the NTK neighbour lists of all B templates
// without the O(M²(d+N)) dense tiles.
//
// s_i = softmax(W z_i / τ) is very peaked at τ = 0.04 (on CLIP-like data one or two nouns
// carry > 99.9% of the mass). Per template and image:
//   C_i = {n : s_in > ε}              the candidate nouns (ε = `epsilon`, default 1e-4)
//   m_i = max_{n ∉ C_i} s_in ≤ ε      the largest dropped entry
// Two images that share no candidate noun have, for every noun n, n ∉ C_i or n ∉ C_j, so
//   s_i·s_j = Σ_{n∈C_i} s_in s_jn + Σ_{n∉C_i} s_in s_jn ≤ m_j·1 + m_i·1,
// and with |z_i·z_j| ≤ 1 (unit rows)
//   K(i,j) ≤ (m_i + m_max) / τ²   =: bound_i,   m_max = max_j m_j ≤ ε.
// Only candidate pairs (sharing a noun of C) are evaluated, through an inverted index
// noun → images, with a running top-q per row. When a row ends with q candidates whose K
// exceeds bound_i, no other image can enter its list, so the list is provably the one the
// dense tile computation gives; otherwise the row falls back to the dense tile computation
// (exactly ntk_tile's arithmetic, over column blocks). `fallback_rows` counts them.
//
// Values: K of a candidate pair is (1/τ²)(z_i·z_j)(s_i·s_j) with s_i·s_j summed over the
// entries above ε_v = `value_epsilon` (default 1e-6); the dropped part is ≤ m^v_i + m^v_j ≤ 2ε_v,
// i.e. K is within 2ε_v/τ² (1.25e-3 at the defaults, ~1e-5 of a typical neighbour K) of the dense value — near the
// dense float GEMM's own rounding — so lists agree with the dense path up to float near-ties.
// A cheap upper bound (candidate-noun part + ε_v + m_j) skips the full sum for pairs that
// cannot enter the list.
//
// Gram reuse: U = z_i·z_j does not depend on the template, so rows are processed in blocks
// (rows ordered by their top noun, so a block's candidates overlap) and one GEMM
// U = Z_block Z_candidatesᵀ over the union of the block's candidates of all B templates
// serves every template. Memory: O(M·(|C|+|C_v|)·B + M·q·B) plus per-thread block buffers;
// nothing O(M²).
#pragma once
#include <cstdint>
#include <vector>
#include "vlc/knn_graph.hpp"
#include "vlc/ntk.hpp"
#include "vlc/ntk_ann.hpp"
#include "vlc/types.hpp"

namespace vlc {

struct SparseNtkOptions {
  double tau = 0.04;
  int q = 30;
  double epsilon = 1e-4;        // ε: candidate nouns have s_in > ε
  double value_epsilon = 1e-6;  // ε_v: entries kept for the value of s_i·s_j
  int block_rows = 128;         // rows per Gram block
  int fallback_columns = 2048;  // column block of the dense fallback
  bool force_dense = false;     // every row through the dense fallback (tests, timing)
  // The exact lists come from dense tiles for all templates at once (ntk_neighbours_dense)
  // instead of the walk over the inverted index when the estimated walk (estimated_sparse_walk,
  // (row, posting) entries per M² pairs) is at least this: on flat softmaxes every pair is
  // visited once per shared noun, which costs more than the tiles' blocked GEMMs
  // (bench/README.md, "NTK candidate search"). 0 = always the tiles; infinity = never.
  double dense_walk = 4.0;
  // Only the lists of rows [row_begin, row_end) are computed (against all M images); the
  // others stay empty (index −1). −1 = M. One rank's share in the MPI build (native/mpi/):
  // each list depends on its own row only, so the split does not change any list.
  int row_begin = 0;
  int row_end = -1;
  // Exact: this path; Ann: HNSW candidates rescored exactly (ntk_ann.hpp); Auto: Ann only
  // for large M on data where this path would be near-dense (AnnOptions::auto_min_m,
  // auto_walk), so small inputs keep exactly this path's lists.
  NtkCandidates candidates = NtkCandidates::Auto;
  AnnOptions ann;
};

struct SparseNtkStats {
  std::int64_t candidate_pairs = 0;  // (i, j) pairs evaluated (after de-duplication)
  std::int64_t full_values = 0;      // pairs whose full s_i·s_j was summed (not pruned)
  std::int64_t fallback_rows = 0;    // rows computed by the dense fallback
  double max_dropped = 0;            // m_max of this template
  double mean_candidate_nouns = 0;   // mean |C_i|
  double mean_value_nouns = 0;       // mean |C^v_i|
  bool approximate = false;          // the lists came from the HNSW candidates (ntk_ann.hpp)
};

// The checks both neighbour searches (this path and ntk_neighbours_ann) make of their inputs:
// tau > 0, B ≥ 1 templates of the images' dimension with ≥ 1 noun each, 1 ≤ q < M,
// options.ann (validate_ann_options) and the row range within M. Throws vlc::Error naming the bad
// input. The ε-sparse path checks its epsilon and value_epsilon on top.
void check_ntk_search_inputs(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                             const SparseNtkOptions& options);

// Top-q NTK neighbour lists for each template in `nouns` (each N_b×d, unit rows; images M×d
// unit rows). Same contract as ntk_neighbours (q < M, self excluded, ties to smaller index).
// Stats count the rows computed (options.row_begin..row_end). options.candidates chooses this
// path or ntk_neighbours_ann (Auto decides from M and estimated_sparse_walk).
std::vector<Neighbours> ntk_neighbours_sparse(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                              const SparseNtkOptions& options,
                                              std::vector<SparseNtkStats>* stats = nullptr);

// The exact lists by dense tiles, all templates at once: per tile of rows × columns the Gram
// U = Z_r Z_cᵀ (once for every template), then V = S_r S_cᵀ and K = U ⊙ V / τ² (Eq. 8) per
// template, merged into each row's running top-q. O(M² (d + Σ_b N_b)) multiply-adds, all of
// them in blocked GEMMs; memory O(M Σ_b N_b) for the softmax rows plus per-thread tiles, nothing
// O(M²). Same contract and options (rows, q, τ) as ntk_neighbours_sparse; the stats count every
// row as computed by the dense tiles (fallback_rows) and every pair as evaluated.
std::vector<Neighbours> ntk_neighbours_dense(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                             const SparseNtkOptions& options,
                                             std::vector<SparseNtkStats>* stats = nullptr);

// The mutual-kNN NTK affinities of all templates (as ntk_affinity, one per template), from
// options.backend's ntk_neighbours_sparse (the CPU's when none is given): the one dispatch
// point of §2 — the CPU runs the ε-sparse path, the MPI build splits it by rows, a GPU runs its
// dense tiles per template.
std::vector<SparseMatrixD> ntk_affinities(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                          const NtkOptions& options, std::vector<GraphStats>* stats = nullptr,
                                          std::vector<SparseNtkStats>* sparse_stats = nullptr);

}  // namespace vlc
