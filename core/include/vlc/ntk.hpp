// §2 of docs/method.md: the NTK-anchored affinity (Eq. 6–8) for one template.
#pragma once
#include "vlc/knn_graph.hpp"
#include "vlc/ntk_ann.hpp"
#include "vlc/types.hpp"

namespace vlc {

class Backend;

struct NtkOptions {
  double tau = 0.04;   // softmax temperature τ (Eq. 7)
  int q = 30;          // neighbours per node
  int tile_rows = 256;
  const Backend* backend = nullptr;  // ntk_affinity's neighbour search (backend.hpp); null = CPU
  // ntk_affinities on the CPU: the candidate search of the ε-sparse path (ntk_sparse.hpp,
  // SparseNtkOptions::candidates) and its HNSW settings (ntk_ann.hpp).
  NtkCandidates candidates = NtkCandidates::Auto;
  AnnOptions ann;
};

// s_i = softmax(W z_i / τ) for every image: M×N, rows sum to 1 (stable: row max subtracted).
RowMatrixF semantic_softmax(const RowMatrixF& images, const RowMatrixF& nouns, double tau);

// s_i for rows [begin, begin + rows) into `out` (rows × N), inv_tau = 1/τ: one GEMM, then
// dm::softmax_row. The candidate searches (ntk_sparse.hpp, ntk_ann.hpp) call it on fixed blocks
// of rows, so a row's softmax does not depend on the thread count.
void semantic_softmax_rows(const RowMatrixF& images, const RowMatrixF& nouns, Eigen::Index begin, Eigen::Index rows,
                           float inv_tau, RowMatrixF& out);

// s_i of every image by semantic_softmax_rows over blocks of kSoftmaxBlock rows (in parallel).
constexpr int kSoftmaxBlock = 256;
RowMatrixF semantic_softmax_blocked(const RowMatrixF& images, const RowMatrixF& nouns, double tau);

// K(i,j) = (1/τ²)(z_i·z_j)(s_i·s_j) for rows [begin,end) × all columns (Eq. 8).
void ntk_tile(const RowMatrixF& images, const RowMatrixF& soft, double tau, int begin, int end, RowMatrixF& out);

// Top-q NTK neighbours of every image, tile by tile.
Neighbours ntk_neighbours(const RowMatrixF& images, const RowMatrixF& nouns, const NtkOptions& options);

// The mutual-kNN NTK affinity A (weights max(K,0)). images and nouns: unit rows.
SparseMatrixD ntk_affinity(const RowMatrixF& images, const RowMatrixF& nouns, const NtkOptions& options,
                           GraphStats* stats = nullptr);

}  // namespace vlc
