#include "vlc/validate.hpp"
#include <cmath>
#include "vlc/error.hpp"
#include "vlc/limits.hpp"

namespace vlc {

RowMatrixF normalized_rows(const RowMatrixF& x, const std::string& what) {
  require(x.rows() > 0, what, " is empty (0 rows)");
  require(x.cols() > 0, what, " has dimension 0");
  RowMatrixF out(x.rows(), x.cols());
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    // Accumulate in double so that large-dimensional float rows do not lose the norm.
    double sq = 0;
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      const float v = x(i, j);
      if (!std::isfinite(v)) fail(what, " row ", i, " has a non-finite value (", v, ") in column ", j);
      sq += static_cast<double>(v) * v;
    }
    if (!(sq > 0)) fail(what, " row ", i, " is all zeros; it has no direction to normalise (remove it or re-encode it)");
    out.row(i) = (x.row(i).cast<double>() / std::sqrt(sq)).cast<float>();
  }
  return out;
}

void validate_shapes(const RowMatrixF& images, const std::vector<RowMatrixF>& templates, int k, int q) {
  require(images.rows() >= 2, "images: need at least 2 rows to cluster, got ", images.rows());
  require(images.cols() >= 1, "images: dimension is 0");
  require(!templates.empty(), "templates: B = 0; give at least one prompt template's noun embeddings");
  const Eigen::Index l = templates[0].rows();
  require(l >= 1, "templates: the vocabulary is empty (template 0 has 0 nouns)");
  for (std::size_t b = 0; b < templates.size(); ++b) {
    require(templates[b].rows() == l, "templates: template ", b, " has ", templates[b].rows(),
            " nouns but template 0 has ", l, "; every template must embed the same vocabulary");
    require(templates[b].cols() == images.cols(), "templates: template ", b, " has dimension ", templates[b].cols(),
            " but images have dimension ", images.cols(), "; use the same CLIP model for both");
  }
  require(k == 0 || k >= 2, "k = ", k, ": need at least 2 clusters (or 0 to estimate K)");
  require(k <= images.rows(), "k = ", k, " exceeds the number of images M = ", images.rows());
  check_limits({images.rows(), images.cols(), static_cast<std::int64_t>(templates.size()), l, q, k});
}

}  // namespace vlc
