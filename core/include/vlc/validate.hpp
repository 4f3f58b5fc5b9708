// §0 of ALGORITHM.md: input checks and row L2-normalisation.
#pragma once
#include <string>
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

// Returns x with every row scaled to unit L2 norm. A zero, non-finite or empty row is an
// input error naming `what` and the row index (e.g. "images row 17 is all zeros").
RowMatrixF normalized_rows(const RowMatrixF& x, const std::string& what);

// Checks the shapes of a cluster() call: images M×d with M ≥ 2, B ≥ 1 templates each L×d
// with the same L ≥ 1, and 2 ≤ k ≤ M (k = 0 means "estimate K" and is allowed); then the size
// limits of this target for q neighbours (q = 0: a method without a graph), see limits.hpp.
void validate_shapes(const RowMatrixF& images, const std::vector<RowMatrixF>& templates, int k, int q = 30);

}  // namespace vlc
