// §5 of docs/method.md: clustering accuracy (Hungarian), NMI (arithmetic mean) and ARI,
// matching scikit-learn's definitions to 1e-9.
#pragma once
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

// Best one-to-one mapping of predicted to true clusters; rectangular tables allowed.
double accuracy(const Labels& truth, const Labels& predicted);
// Normalised mutual information, arithmetic normalisation (sklearn's default).
double nmi(const Labels& truth, const Labels& predicted);
// Hubert–Arabie adjusted Rand index.
double ari(const Labels& truth, const Labels& predicted);

// Minimum-cost assignment on a rows×cols cost matrix (rows ≤ cols or not): returns for each
// row the assigned column, or −1 when rows > cols and the row is left out.
std::vector<int> hungarian(const RowMatrixD& cost);

}  // namespace vlc
