// The paper's baseline affinities, in the same mutual-kNN frame as the NTK (§2, §3 ablations).
#pragma once
#include <vector>
#include "vlc/knn_graph.hpp"
#include "vlc/types.hpp"

namespace vlc {

// Cosine similarity graph: weights max(z_i·z_j, 0) on the mutual q-NN.
SparseMatrixD cosine_affinity(const RowMatrixF& images, int q, GraphStats* stats = nullptr);

// RBF (Eq. 5): exp(−‖z_i − z_j‖² / τ_rbf) on the mutual q-NN of −‖z_i − z_j‖².
// tau_rbf ≤ 0 picks the mean squared distance to the q-th neighbour (a self-tuning scale;
// Eq. 5 leaves τ_rbf to the user).
SparseMatrixD rbf_affinity(const RowMatrixF& images, int q, double tau_rbf = 0, GraphStats* stats = nullptr);

// Naive mean of the per-template affinities (Eq. 41).
SparseMatrixD mean_affinity(const std::vector<SparseMatrixD>& graphs);

// Prompt ensemble "PE" (Eq. 42–43): W̄ = (1/B) Σ_b W^(b), rows renormalised.
RowMatrixF prompt_ensemble(const std::vector<RowMatrixF>& kept_templates);

}  // namespace vlc
