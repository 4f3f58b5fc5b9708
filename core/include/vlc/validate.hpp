// §0 of docs/method.md: input checks and row L2-normalisation.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "vlc/error.hpp"
#include "vlc/types.hpp"

namespace vlc {

// Returns x with every row scaled to unit L2 norm. A zero, non-finite or empty row is an
// input error naming `input` and the row index (e.g. "images row 17 is all zeros"), tagged with
// both (vlc::Error::input).
RowMatrixF normalized_rows(const RowMatrixF& x, const InputRef& input);

// The template half of validate_shapes: B ≥ 1 templates, each L×d with the same L ≥ 1.
void validate_templates(const std::vector<RowMatrixF>& templates, Eigen::Index d);
// The image half: M ≥ 2, d ≥ 1, 2 ≤ k ≤ M (or 0), the size limits for B templates of L nouns
// and q neighbours, and at least max(k, 2) distinct rows. vlc::Session checks its images with
// it once, the templates when they arrive.
void validate_images(const RowMatrixF& images, int k, int q, std::int64_t b, std::int64_t l);
// Checks the shapes of a cluster() call: images M×d with M ≥ 2, B ≥ 1 templates each L×d
// with the same L ≥ 1, and 2 ≤ k ≤ M (k = 0 means "estimate K" and is allowed); then the size
// limits of this target for q neighbours (q = 0: a method without a graph, the least memory;
// cluster() passes its q), see limits.hpp.
void validate_shapes(const RowMatrixF& images, const std::vector<RowMatrixF>& templates, int k, int q = 0);

// Distinct row directions of x (rows equal after L2 normalisation count once; a zero or
// non-finite row counts as distinct, normalized_rows rejects it), counting stops at `stop_at`.
// validate_shapes requires at least max(k, 2) of the images: fewer distinct images than K
// clusters (all images identical, d = 1 with K > 2, …) is an input error.
int count_distinct_rows(const RowMatrixF& x, int stop_at);

}  // namespace vlc
