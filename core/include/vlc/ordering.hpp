// Row orderings for cache locality of the sparse kernels (RAD's masked products, §3).
//
// The masked product of row i reads the rows of S and Â of every neighbour of i. In input
// order those rows lie anywhere in arrays of tens of MB, so almost every access misses the
// cache; numbered so that neighbours get nearby indices, they share cache lines. The
// numbering changes only the order in which terms are summed (results agree to rounding).
#pragma once
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

// Reverse Cuthill–McKee order of a symmetric pattern: new_index[old] for every node.
// Breadth-first from a node of least degree in each connected component, neighbours in order
// of increasing degree (ties: lower index), then reversed. Deterministic. Written by hand:
// Eigen's orderings (AMD, COLAMD) minimise fill-in for factorisations, not bandwidth.
std::vector<int> reverse_cuthill_mckee(const SparseMatrixD& pattern);

// B = P A Pᵀ for new_index (as returned above): B[new_index[i], new_index[j]] = A[i, j].
SparseMatrixD permute_symmetric(const SparseMatrixD& a, const std::vector<int>& new_index);

// Largest |new_index[i] − new_index[j]| over the stored entries (i, j) of `pattern`.
int bandwidth(const SparseMatrixD& pattern, const std::vector<int>& new_index);

}  // namespace vlc
