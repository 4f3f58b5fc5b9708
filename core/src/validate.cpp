#include "vlc/validate.hpp"
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include "vlc/error.hpp"
#include "vlc/limits.hpp"

namespace vlc {

RowMatrixF normalized_rows(const RowMatrixF& x, const InputRef& input) {
  const std::string what = input.name();
  require_input(x.rows() > 0, input, what, " is empty (0 rows)");
  require_input(x.cols() > 0, input, what, " has dimension 0");
  RowMatrixF out(x.rows(), x.cols());
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    // Accumulate in double so that large-dimensional float rows do not lose the norm.
    double sq = 0;
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      const float v = x(i, j);
      if (!std::isfinite(v)) fail_input(input.at_row(i), what, " row ", i, " has a non-finite value (", v, ") in column ", j);
      sq += static_cast<double>(v) * v;
    }
    if (!(sq > 0)) fail_input(input.at_row(i), what, " row ", i, " is all zeros; it has no direction to normalise (remove it or re-encode it)");
    out.row(i) = (x.row(i).cast<double>() / std::sqrt(sq)).cast<float>();
  }
  return out;
}

namespace {

// Row i as normalized_rows makes it; false for a zero or non-finite row.
bool unit_row(const RowMatrixF& x, Eigen::Index i, std::vector<float>& out) {
  double sq = 0;
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    const float v = x(i, j);
    if (!std::isfinite(v)) return false;
    sq += static_cast<double>(v) * v;
  }
  if (!(sq > 0)) return false;
  const double norm = std::sqrt(sq);
  out.resize(static_cast<std::size_t>(x.cols()));
  for (Eigen::Index j = 0; j < x.cols(); ++j) out[static_cast<std::size_t>(j)] = static_cast<float>(x(i, j) / norm);
  return true;
}

std::uint64_t hash_floats(const std::vector<float>& v) {  // FNV-1a over the bits; -0 == +0
  std::uint64_t h = 1469598103934665603ull;
  for (float f : v) {
    if (f == 0) f = 0;
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    h = (h ^ bits) * 1099511628211ull;
  }
  return h;
}

}  // namespace

int count_distinct_rows(const RowMatrixF& x, int stop_at) {
  std::unordered_multimap<std::uint64_t, Eigen::Index> seen;  // hash → representative row
  std::vector<float> row, other;
  int distinct = 0;
  for (Eigen::Index i = 0; i < x.rows() && (stop_at <= 0 || distinct < stop_at); ++i) {
    if (!unit_row(x, i, row)) {
      ++distinct;
      continue;
    }
    const std::uint64_t h = hash_floats(row);
    bool duplicate = false;
    for (auto [it, end] = seen.equal_range(h); it != end && !duplicate; ++it) {
      unit_row(x, it->second, other);
      duplicate = true;
      for (std::size_t j = 0; j < row.size(); ++j)
        if (row[j] != other[j]) duplicate = false;
    }
    if (!duplicate) {
      seen.emplace(h, i);
      ++distinct;
    }
  }
  return distinct;
}

void validate_templates(const std::vector<RowMatrixF>& templates, Eigen::Index d) {
  require_input(!templates.empty(), InputRef::of_template(0), "templates: B = 0; give at least one prompt template's noun embeddings");
  const Eigen::Index l = templates[0].rows();
  require_input(l >= 1, InputRef::of_template(0), "templates: the vocabulary is empty (template 0 has 0 nouns)");
  for (std::size_t b = 0; b < templates.size(); ++b) {
    const InputRef t = InputRef::of_template(static_cast<int>(b));
    require_input(templates[b].rows() == l, t, "templates: template ", b, " has ", templates[b].rows(),
                  " nouns but template 0 has ", l, "; every template must embed the same vocabulary");
    require_input(templates[b].cols() == d, t, "templates: template ", b, " has dimension ", templates[b].cols(),
                  " but images have dimension ", d, "; use the same CLIP model for both");
  }
}

void validate_images(const RowMatrixF& images, int k, int q, std::int64_t b, std::int64_t l) {
  const InputRef z = InputRef::of_images();
  require_input(images.rows() >= 2, z, "images: need at least 2 rows to cluster, got ", images.rows());
  require_input(images.cols() >= 1, z, "images: dimension is 0");
  require_input(k == 0 || k >= 2, InputRef::of_option("k"), "k = ", k, ": need at least 2 clusters (or 0 to estimate K)");
  require_input(k <= images.rows(), InputRef::of_option("k"), "k = ", k, " exceeds the number of images M = ", images.rows());
  check_limits({images.rows(), images.cols(), b, l, q, k});
  const int need = std::max(k, 2);
  const int distinct = count_distinct_rows(images, need);
  require_input(distinct > 1, z, "images: all ", images.rows(), " images have the same embedding (after L2 normalisation); ",
                "there is nothing to cluster");
  require_input(distinct >= need, z, "images: only ", distinct, " distinct embeddings (rows equal after L2 normalisation count once) ",
                "but k = ", k, " clusters were asked for; lower k to at most ", distinct, " or remove the duplicates");
}

void validate_shapes(const RowMatrixF& images, const std::vector<RowMatrixF>& templates, int k, int q) {
  require(images.rows() >= 2, "images: need at least 2 rows to cluster, got ", images.rows());
  require(images.cols() >= 1, "images: dimension is 0");
  validate_templates(templates, images.cols());
  validate_images(images, k, q, static_cast<std::int64_t>(templates.size()), templates[0].rows());
}

}  // namespace vlc
