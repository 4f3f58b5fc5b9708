// Every field of vlc::Result (and of the records inside it) with its one name, for the writers
// that serialise it: the CLI's result.json (native/cli.cpp, snake_case as here) and the WASM
// binding's JS object (wasm/bindings.cpp, the same names in camelCase: kept_nouns → keptNouns).
// A member added to Result is added here once and reaches both; tests/cli/check_cli.py and
// web/test/cluster.test.mjs read the names below and check that each one is in their output.
//
// A visitor is called as v(name, value) with value one of: int, bool, double, std::int64_t,
// std::string, std::vector<int>, std::vector<double>, VectorD, RowMatrixD (row-major),
// std::vector<std::vector<int>>, a record (is_record below) or a std::vector of records, and a
// const KEstimate* (null when K was given, so nothing was estimated).
#pragma once
#include <string>
#include <type_traits>
#include <vector>
#include "vlc/cluster.hpp"

namespace vlc {

template <class T> struct is_record : std::false_type {};
template <> struct is_record<StageTiming> : std::true_type {};
template <> struct is_record<GraphStats> : std::true_type {};
template <> struct is_record<ClusterName> : std::true_type {};
template <> struct is_record<KEstimate> : std::true_type {};
template <> struct is_record<SparseNtkStats> : std::true_type {};

template <class V> void for_each_field(const StageTiming& t, V&& v) {
  v("stage", t.stage);
  v("seconds", t.seconds);
}

template <class V> void for_each_field(const GraphStats& g, V&& v) {
  v("nodes", g.nodes);
  v("edges", g.edges);
  v("rescued", g.rescued);
  v("isolated", g.isolated);
}

template <class V> void for_each_field(const ClusterName& n, V&& v) {
  v("cluster", n.cluster);
  v("size", n.size);
  v("nouns", n.nouns);
  v("shares", n.shares);
}

template <class V> void for_each_field(const SparseNtkStats& t, V&& v) {
  v("candidate_pairs", t.candidate_pairs);
  v("full_values", t.full_values);
  v("fallback_rows", t.fallback_rows);
  v("max_dropped", t.max_dropped);
  v("mean_candidate_nouns", t.mean_candidate_nouns);
  v("mean_value_nouns", t.mean_value_nouns);
  v("approximate", t.approximate);
}

template <class V> void for_each_field(const KEstimate& e, V&& v) {
  v("k", e.k);
  v("rule", k_rule_name(e.rule));
  v("candidates", e.candidates);
  v("eigengap", e.eigengap);
  v("coding_length", e.coding_length);
  v("smallest_cluster", e.smallest_cluster);
  v("eigenvalues", e.eigenvalues);
}

template <class V> void for_each_field(const Result& r, V&& v) {
  v("labels", r.labels);
  v("k", r.k);
  v("beta", r.beta);
  v("kept_nouns", r.kept_nouns);
  v("timings", r.timings);
  v("graphs", r.graphs);
  v("rad_outer_iterations", r.rad_outer_iterations);
  v("rad_inner_iterations", r.rad_inner_iterations);
  v("rad_converged", r.rad_converged);
  v("ntk_search", r.ntk_search);
  v("eigenvalues", r.eigenvalues);
  v("components", r.components);
  v("embedding2d", r.embedding2d);
  v("cmatrix_nouns", r.cmatrix_nouns);
  v("duplicate_groups", r.duplicate_groups);
  v("names", r.names);
  v("k_estimate", r.k_estimate.candidates.empty() ? nullptr : &r.k_estimate);
  v("device", r.device);
}

// snake_case → camelCase, the JS spelling of a name above.
inline std::string camel_case(const std::string& snake) {
  std::string out;
  bool upper = false;
  for (char c : snake) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

}  // namespace vlc
