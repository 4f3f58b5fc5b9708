#include "vlc/cluster.hpp"
#include "vlc/error.hpp"
#include "vlc/session.hpp"
#include "vlc/validate.hpp"

namespace vlc {
namespace {

const std::pair<Method, const char*> kMethodNames[] = {
    {Method::NtkRad, "ntk-rad"}, {Method::NtkMean, "ntk-mean"}, {Method::NtkPe, "ntk-pe"},
    {Method::NtkSingle, "ntk-single"}, {Method::Rbf, "rbf"}, {Method::Cosine, "cosine"},
    {Method::KMeans, "kmeans"}, {Method::CMatrix, "cmatrix"}};

}  // namespace

bool uses_nouns(Method m) {
  return m == Method::NtkRad || m == Method::NtkMean || m == Method::NtkPe || m == Method::NtkSingle;
}

std::string method_name(Method m) {
  for (const auto& [method, name] : kMethodNames)
    if (method == m) return name;
  fail("unknown method enum value ", static_cast<int>(m));
}

Method parse_method(const std::string& name) {
  std::string valid;
  for (const auto& [method, text] : kMethodNames) {
    if (name == text) return method;
    valid += valid.empty() ? text : std::string(", ") + text;
  }
  fail("unknown method \"", name, "\"; valid methods: ", valid);
}

Result cluster(const RowMatrixF& images, const std::vector<RowMatrixF>& templates, const Options& o) {
  Session session(images, o);
  const bool nouns = uses_nouns(o.method);
  // The text-free methods never read the templates, but a call gives them the same shapes.
  if (nouns || o.method == Method::CMatrix || o.name_clusters) session.set_vocabulary(templates);
  else validate_templates(templates, images.cols());
  if (nouns) session.filter_nouns();
  session.cluster();
  if (o.name_clusters) session.name();
  return session.result();
}

}  // namespace vlc
