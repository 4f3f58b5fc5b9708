// Connected components of a sparse affinity. Spectral clustering needs them explicitly:
// each component contributes an eigenvalue exactly 1 to the normalised affinity, and Lanczos
// cannot resolve such a repeated eigenvalue reliably.
#pragma once
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

struct Components {
  int count = 0;
  std::vector<int> of;        // node → component id; ids ordered by decreasing size, ties by smallest node
  std::vector<int> size;      // component id → node count
};

// Components over the edges with positive weight (an isolated node is its own component).
Components connected_components(const SparseMatrixD& affinity);

}  // namespace vlc
