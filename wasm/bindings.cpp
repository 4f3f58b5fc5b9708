// Embind bindings of the vlcluster core for the npm package (web/src/cluster.js).
//
// Typed arrays in, typed arrays out: every matrix crosses the JS/WASM boundary as one bulk copy
// (TypedArray.prototype.set into a typed_memory_view of an Eigen buffer, and `new Int32Array(view)`
// on the way out). No call per element.
//
// Errors: every exception of the core (vlc::Error and std::exception) is caught here and re-thrown
// as a JavaScript `Error` carrying the core's message. The C++ exception is finished (its catch
// block left) before the JS error is thrown, so no C++ exception object is leaked.
//
// Exports (see web/index.d.ts, "WASM module"):
//   cluster(images, templates, shape {m, d, b, l}, options)  -> result object
//   filterNouns(images, nouns, shape {m, d, l}, options)      -> {kept: Int32Array, centres, kForCentres}
//   nameClusters(images, nouns, shape {m, d, l}, labels, k, options) -> [{cluster, size, nouns, shares}]
//   kRange(m, kmin, kmax)                                     -> [kmin, kmax] after defaults
//   optionNames()                                             -> the camelCase key of every row of
//                                                                the options table (option_table.hpp)
//   optionDefaults()                                          -> {camelKey: default} of those rows
//   optionTable()                                             -> those rows as scripts/gen-options.mjs
//                                                                reads them (key, type, help, …)
//   heapInUse()                                               -> bytes malloc'd and not freed
//   new Session(images, shape {m, d}, options)                -> vlc::Session (JsSession below):
//     setVocabularyMean(nouns, l), filterNouns() -> Int32Array, setKeptTemplates(templates, b),
//     cluster() -> result object, name() -> names, setOptions(options), counts(), delete()
//   version()                                                 -> package.json's version
//
// Cancelling: options.onProgress(stage, fraction) returns true to stop the run. The progress
// function then throws a C++ exception (Cancelled), which unwinds the core with its destructors
// and is caught here; the JS caller sees an Error named "VlcCancelled" and rejects with its own
// reason (web/src/cluster.js). A JS exception must never be thrown from onProgress: it would cross
// the WASM frames without running a destructor, leaking every matrix of the run.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <iomanip>
#include <new>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "vlc/cluster.hpp"
#include "vlc/error.hpp"
#include "vlc/estimate_k.hpp"
#include "vlc/hierarchy.hpp"
#include "vlc/naming.hpp"
#include "vlc/noun_filter.hpp"
#include "vlc/option_table.hpp"
#include "vlc/result_fields.hpp"
#include "vlc/session.hpp"
#include "vlc/validate.hpp"

using emscripten::typed_memory_view;
using emscripten::val;

namespace {

// Thrown by the progress function when the JS side asks to stop (see the header comment).
struct Cancelled {};

// ---- options ---------------------------------------------------------------------------------

bool has(const val& obj, const char* key) {
  if (obj.isUndefined() || obj.isNull()) return false;
  const val v = obj[key];
  return !v.isUndefined() && !v.isNull();
}

double number(const val& obj, const char* key, double fallback) {
  if (!has(obj, key)) return fallback;
  const val v = obj[key];
  vlc::require(v.typeOf().as<std::string>() == "number", "option ", key, " must be a number");
  const double x = v.as<double>();
  vlc::require(std::isfinite(x), "option ", key, " must be a finite number");
  return x;
}

int integer(const val& obj, const char* key, int fallback) {
  const double x = number(obj, key, fallback);
  vlc::require(x == std::floor(x) && std::fabs(x) < 2147483647.0, "option ", key, " = ", x, " must be an integer");
  return static_cast<int>(x);
}

// A number as JS prints it for the seed's range (the stream default would give 9.0072e+15 for 2^53).
std::string full_digits(double x) {
  if (x == std::floor(x) && std::fabs(x) < 1e18) return std::to_string(static_cast<long long>(x));
  std::ostringstream out;
  out << std::setprecision(17) << x;
  return out.str();
}

bool flag(const val& obj, const char* key, bool fallback) {
  if (!has(obj, key)) return fallback;
  return obj[key].as<bool>();
}

// ---- arrays ----------------------------------------------------------------------------------

int shape_of(const val& shape, const char* key) {
  vlc::require(has(shape, key), "shape.", key, " is missing");
  const int n = integer(shape, key, 0);
  vlc::require(n >= 0, "shape.", key, " = ", n, " must not be negative");
  return n;
}

std::size_t length_of(const val& array, const char* what) {
  vlc::require(!array.isUndefined() && !array.isNull(), what, " is missing");
  const val len = array["length"];
  vlc::require(len.typeOf().as<std::string>() == "number", what, " must be a typed array (Float32Array)");
  return len.as<std::size_t>();
}

// Copies rows×cols floats of `array`, starting at element `offset`, into a new matrix.
vlc::RowMatrixF matrix_from(const val& array, std::size_t offset, int rows, int cols) {
  vlc::RowMatrixF m(rows, cols);
  if (m.size() == 0) return m;
  val src = array;
  if (offset != 0 || static_cast<Eigen::Index>(length_of(array, "array")) != m.size())
    src = array.call<val>("subarray", static_cast<double>(offset), static_cast<double>(offset + m.size()));
  val(typed_memory_view(static_cast<std::size_t>(m.size()), m.data())).call<void>("set", src);
  return m;
}

void check_length(const val& array, const char* what, std::size_t expected, const std::string& shape) {
  const std::size_t n = length_of(array, what);
  vlc::require(n == expected, what, " has ", n, " values; expected ", expected, " (", shape, ")");
}

val int32_array(const int* data, std::size_t n) {
  return val::global("Int32Array").new_(typed_memory_view(n, data));
}

val float64_array(const double* data, std::size_t n) {
  return val::global("Float64Array").new_(typed_memory_view(n, data));
}

val float64_array(const std::vector<double>& v) { return float64_array(v.data(), v.size()); }
val float64_array(const vlc::VectorD& v) { return float64_array(v.data(), static_cast<std::size_t>(v.size())); }
val int32_array(const std::vector<int>& v) { return int32_array(v.data(), v.size()); }

// ---- results ----------------------------------------------------------------------------------

// Every field of core/include/vlc/result_fields.hpp into a JS value under its camelCase name:
// integer arrays as Int32Array, real ones as Float64Array (a matrix row-major), records as objects.
class JsFields {
 public:
  explicit JsFields(val& out) : out_(out) {}
  template <class T>
  void operator()(const char* name, const T& value) {
    out_.set(vlc::camel_case(name), to_js(value));
  }

  static val to_js(int x) { return val(x); }
  static val to_js(bool x) { return val(x); }
  static val to_js(double x) { return val(x); }
  static val to_js(std::int64_t x) { return val(static_cast<double>(x)); }
  static val to_js(const std::string& x) { return val(x); }
  static val to_js(const std::vector<int>& x) { return int32_array(x); }
  static val to_js(const std::vector<double>& x) { return float64_array(x); }
  static val to_js(const vlc::VectorD& x) { return float64_array(x); }
  static val to_js(const vlc::RowMatrixD& x) { return float64_array(x.data(), static_cast<std::size_t>(x.size())); }
  static val to_js(const std::vector<std::vector<int>>& x) {
    val out = val::array();
    for (std::size_t i = 0; i < x.size(); ++i) out.set(static_cast<unsigned>(i), int32_array(x[i]));
    return out;
  }
  static val to_js(const vlc::KEstimate* e) { return e ? to_js(*e) : val::null(); }
  template <class R, class = std::enable_if_t<vlc::is_record<R>::value>>
  static val to_js(const R& record) {
    val o = val::object();
    vlc::for_each_field(record, JsFields(o));
    return o;
  }
  template <class R, class = std::enable_if_t<vlc::is_record<R>::value>>
  static val to_js(const std::vector<R>& records) {
    val out = val::array();
    for (std::size_t i = 0; i < records.size(); ++i) out.set(static_cast<unsigned>(i), to_js(records[i]));
    return out;
  }

 private:
  val& out_;
};

val names_to_js(const std::vector<vlc::ClusterName>& names) { return JsFields::to_js(names); }

// options.nounMask and/or options.genericLevels (with options.depths) → the core's noun mask
// (empty: every noun allowed). Shared by cluster() and nameClusters().
std::vector<std::uint8_t> noun_mask_from(const val& js) {
  std::vector<std::uint8_t> noun_mask;
  if (has(js, "nounMask")) {
    const val mask = js["nounMask"];
    const std::size_t n = length_of(mask, "options.nounMask");
    noun_mask.resize(n);
    if (n) val(typed_memory_view(n, noun_mask.data())).call<void>("set", mask);
  }
  // WordNet hierarchy filtering: never keep a noun of depth < genericLevels (vlc::hierarchy_mask).
  if (has(js, "genericLevels")) {
    const int levels = integer(js, "genericLevels", 0);
    vlc::require(levels >= 0, "option genericLevels = ", levels, " must not be negative");
    vlc::require(has(js, "depths"), "option genericLevels needs options.depths, the WordNet depth of every vocabulary noun "
                 "(clusterImages takes them from the vocabulary asset's nouns.json)");
    std::vector<double> given(length_of(js["depths"], "options.depths"));
    if (!given.empty()) val(typed_memory_view(given.size(), given.data())).call<void>("set", js["depths"]);
    std::vector<int> depths(given.size());
    for (std::size_t l = 0; l < given.size(); ++l) {
      vlc::require(given[l] == std::floor(given[l]) && given[l] >= -1 && given[l] <= 1000, "options.depths[", l, "] = ",
                   given[l], " is not a WordNet depth (an integer ≥ 0, or -1 for unknown)");
      depths[l] = static_cast<int>(given[l]);
    }
    std::vector<std::uint8_t> mask = vlc::hierarchy_mask(depths, levels);
    if (!noun_mask.empty()) {
      vlc::require(noun_mask.size() == mask.size(), "options.nounMask has ", noun_mask.size(),
                   " entries but options.depths ", mask.size());
      for (std::size_t l = 0; l < mask.size(); ++l) mask[l] = mask[l] && noun_mask[l];
    }
    noun_mask = std::move(mask);
  }
  return noun_mask;
}

// Keys of the options object that are no rows of the options table: typed arrays and the
// callback, which the binding turns into vlc::Options members itself, and nameClusters (the
// package names clusters in a call of its own; vlc::Options::name_clusters is off here).
const std::vector<std::string> kBindingKeys = {"nounMask", "genericLevels", "depths", "nameClusters", "onProgress"};

// The rows of the options table a JS options object may name (every row but the native-only).
std::vector<const vlc::OptionRow*> js_rows() {
  std::vector<const vlc::OptionRow*> out;
  for (const vlc::OptionRow& row : vlc::option_table())
    if (!row.native_only) out.push_back(&row);
  return out;
}

// Every key must be a row's camelCase name or a binding key: a typo such as `tua` would
// otherwise be ignored and the default used. The error names the closest valid key.
void check_keys(const val& js) {
  if (js.isUndefined() || js.isNull()) return;
  std::vector<std::string> valid = kBindingKeys;
  for (const vlc::OptionRow* row : js_rows()) valid.push_back(vlc::camel_case(row->name));
  const val keys = val::global("Object").call<val>("keys", js);
  const unsigned n = keys["length"].as<unsigned>();
  for (unsigned i = 0; i < n; ++i) {
    const std::string key = keys[i].as<std::string>();
    if (std::find(valid.begin(), valid.end(), key) != valid.end()) continue;
    const std::string best = vlc::closest_name(key, valid);
    vlc::fail("unknown option \"", key, "\"", best.empty() ? "" : " (did you mean \"" + best + "\"?)");
  }
}

// The JS value of option `key` as the row's type; errors name "option <key>".
vlc::OptionValue js_value(const vlc::OptionRow& row, const val& v, const std::string& key) {
  const std::string type = v.typeOf().as<std::string>();
  vlc::OptionValue out;
  if (row.auto_text && type == "string") {
    const std::string text = v.as<std::string>();
    vlc::require(text == row.auto_text, "option ", key, " = \"", text, "\": give ", vlc::option_values_text(row));
    out.automatic = true;
    return out;
  }
  switch (row.type) {
    case vlc::OptionType::Int:
    case vlc::OptionType::Double:
      vlc::require(type == "number", "option ", key, " must be a number");
      out.number = v.as<double>();
      // 0 is the core's "estimate it", which JS callers may give for 'auto' (web/index.d.ts).
      out.automatic = row.auto_text && out.number == 0;
      break;
    case vlc::OptionType::Bool:
      vlc::require(type == "boolean", "option ", key, " must be true or false");
      out.flag = v.as<bool>();
      break;
    case vlc::OptionType::Choice:
      vlc::require(type == "string", "option ", key, " must be a string: ", vlc::option_values_text(row));
      out.text = v.as<std::string>();
      break;
    case vlc::OptionType::Seed: {
      vlc::require(type == "number", "option ", key, " must be a number");
      const double seed = v.as<double>();
      vlc::require(seed == std::floor(seed), "option ", key, " = ", full_digits(seed), " must be an integer");
      // Above 2^53 − 1 a JS number no longer holds every integer, so two seeds could be one.
      vlc::require(seed >= 0 && seed <= 9007199254740991.0, "option ", key, " = ", full_digits(seed),
                   " is outside 0..9007199254740991 (0..2^53 − 1, Number.MAX_SAFE_INTEGER)");
      out.seed = static_cast<std::uint64_t>(seed);
      break;
    }
  }
  return out;
}

// A JS options object (web/index.d.ts CoreOptions) into vlc::Options: every row of the options
// table under its camelCase name (option_table.hpp), then the binding keys.
vlc::Options parse_options(const val& js, int m) {
  check_keys(js);
  vlc::Options o;
  std::vector<std::string> given;
  for (const vlc::OptionRow* row : js_rows()) {
    const std::string key = vlc::camel_case(row->name);
    if (!has(js, key.c_str())) continue;
    vlc::set_option(o, *row, js_value(*row, js[key], key), "option " + key);
    given.push_back(row->name);
  }
  // The CLI's rules between options, with the same messages (option_table.hpp).
  vlc::check_option_relations(o, given, [](const std::string& name) { return "option " + vlc::camel_case(name); });
  // A convenience of the web API: with few images the default q = 30 is not allowed (q < M).
  if (!has(js, "q") && m > 1 && o.q >= m) o.q = m - 1;
  o.name_clusters = flag(js, "nameClusters", false);
  o.noun_mask = noun_mask_from(js);
  if (has(js, "onProgress")) {
    val fn = js["onProgress"];
    vlc::require(fn.typeOf().as<std::string>() == "function", "option onProgress must be a function");
    o.progress = [fn](const std::string& stage, double fraction) {
      if (fn(val(stage), val(fraction)).as<bool>()) throw Cancelled{};
    };
  }
  return o;
}

// The camelCase key of every row of the options table a JS caller may give (optionNames()).
val option_names_js() {
  val out = val::array();
  unsigned i = 0;
  for (const vlc::OptionRow* row : js_rows()) out.set(i++, vlc::camel_case(row->name));
  return out;
}

// Each of those rows' default, as a JS options object would give it ('auto', 0.04, true,
// 'ntk-rad'), read from a default-constructed vlc::Options (the table holds no defaults); the web
// tests check web/index.d.ts's comments against it.
val option_defaults_js() {
  const vlc::Options defaults;
  val out = val::object();
  for (const vlc::OptionRow* row : js_rows()) {
    const vlc::OptionValue v = vlc::get_option(*row, defaults);
    const std::string key = vlc::camel_case(row->name);
    if (v.automatic) out.set(key, val(std::string(row->auto_text)));
    else if (row->type == vlc::OptionType::Bool) out.set(key, val(v.flag));
    else if (row->type == vlc::OptionType::Choice) out.set(key, val(v.text));
    else if (row->type == vlc::OptionType::Seed) out.set(key, val(static_cast<double>(v.seed)));
    else out.set(key, val(v.number));
  }
  return out;
}

const char* option_type_name(vlc::OptionType t) {
  switch (t) {
    case vlc::OptionType::Int: return "int";
    case vlc::OptionType::Double: return "double";
    case vlc::OptionType::Bool: return "bool";
    case vlc::OptionType::Choice: return "choice";
    case vlc::OptionType::Seed: return "seed";
  }
  return "?";
}

const char* option_applies_name(vlc::OptionApplies a) {
  switch (a) {
    case vlc::OptionApplies::Always: return "always";
    case vlc::OptionApplies::AutoK: return "autoK";
    case vlc::OptionApplies::NtkSingle: return "ntkSingle";
  }
  return "?";
}

// The JS rows of the options table with what the generated front-end files need (the d.ts
// comments, the JS key list, result.schema.json's names): the same texts the CLI's --help uses.
val option_table_js() {
  const vlc::Options defaults;
  const val values = option_defaults_js();
  val out = val::array();
  unsigned i = 0;
  for (const vlc::OptionRow* row : js_rows()) {
    val r = val::object();
    const std::string key = vlc::camel_case(row->name);
    r.set("key", val(key));
    r.set("name", val(std::string(row->name)));
    r.set("type", val(std::string(option_type_name(row->type))));
    r.set("help", val(std::string(row->help)));
    r.set("default", values[key]);
    r.set("defaultText", val(vlc::format_option_value(*row, vlc::get_option(*row, defaults))));
    r.set("valuesText", val(vlc::option_values_text(*row)));
    r.set("applies", val(std::string(option_applies_name(row->applies))));
    r.set("autoText", row->auto_text ? val(std::string(row->auto_text)) : val::null());
    val choices = val::array();
    if (row->choices) {
      unsigned c = 0;
      for (const std::string& name : row->choices()) choices.set(c++, val(name));
    }
    r.set("choices", choices);
    out.set(i++, r);
  }
  return out;
}

// vlc::validate_shapes asks for B ≥ 1 templates of L ≥ 1 nouns even for the text-free methods
// (kmeans, cosine, rbf), which never read them; web callers give `templates: null` there. One unit
// noun of the images' dimension satisfies the check without changing what those methods compute.
vlc::RowMatrixF placeholder_template(int d) {
  vlc::RowMatrixF t = vlc::RowMatrixF::Zero(1, d);
  if (d > 0) t(0, 0) = 1.0f;
  return t;
}

// A Result as the JS object of cluster() and Session.cluster() (web/index.d.ts, ClusterResult):
// every field of vlc::Result, and the method that ran.
val result_to_js(const vlc::Result& r, const vlc::Options& o) {
  val out = val::object();
  vlc::for_each_field(r, JsFields(out));
  out.set("method", vlc::method_name(o.method));
  return out;
}

val cluster_impl(const val& images, const val& templates, const val& shape, const val& options) {
  const int m = shape_of(shape, "m"), d = shape_of(shape, "d"), b = shape_of(shape, "b"), l = shape_of(shape, "l");
  check_length(images, "images", static_cast<std::size_t>(m) * d, "M×d = " + std::to_string(m) + "×" + std::to_string(d));
  const vlc::Options o = parse_options(options, m);
  const bool text_free = o.method == vlc::Method::Rbf || o.method == vlc::Method::Cosine || o.method == vlc::Method::KMeans;
  std::vector<vlc::RowMatrixF> t;
  if (text_free && b == 0) {
    t.push_back(placeholder_template(d));
  } else {
    check_length(templates, "templates", static_cast<std::size_t>(b) * l * d,
                 "B×L×d = " + std::to_string(b) + "×" + std::to_string(l) + "×" + std::to_string(d));
    for (int i = 0; i < b; ++i) t.push_back(matrix_from(templates, static_cast<std::size_t>(i) * l * d, l, d));
  }
  const vlc::RowMatrixF z = matrix_from(images, 0, m, d);
  return result_to_js(vlc::cluster(z, t, o), o);
}

// §1 alone, on the template-averaged vocabulary T̄ (L×d; rows normalised here). k = 0 ('auto')
// uses kmax for k̃ exactly as cluster() does, so the nouns kept here are the ones cluster() keeps
// when given the whole vocabulary.
val filter_nouns_impl(const val& images, const val& nouns, const val& shape, const val& options) {
  const int m = shape_of(shape, "m"), d = shape_of(shape, "d"), l = shape_of(shape, "l");
  check_length(images, "images", static_cast<std::size_t>(m) * d, "M×d");
  check_length(nouns, "nouns", static_cast<std::size_t>(l) * d, "L×d");
  // The session's §1, so that filterNouns keeps what cluster() keeps: near-duplicates merged,
  // automatic K's range capped at the distinct images, the same k̃.
  vlc::Session session(matrix_from(images, 0, m, d), parse_options(options, m));
  session.set_vocabulary_mean(matrix_from(nouns, 0, l, d));
  const std::vector<int>& kept = session.filter_nouns();
  val out = val::object();
  out.set("kept", int32_array(kept));
  out.set("centres", session.filter_info().centres);
  out.set("kForCentres", session.filter_info().k_for_centres);
  return out;
}

val name_clusters_impl(const val& images, const val& nouns, const val& shape, const val& labels, int k,
                       const val& options) {
  const int m = shape_of(shape, "m"), d = shape_of(shape, "d"), l = shape_of(shape, "l");
  check_length(images, "images", static_cast<std::size_t>(m) * d, "M×d");
  check_length(nouns, "nouns", static_cast<std::size_t>(l) * d, "L×d");
  check_length(labels, "labels", static_cast<std::size_t>(m), "M");
  vlc::require(k >= 1, "k = ", k, " must be at least 1");
  vlc::Labels lab(static_cast<std::size_t>(m));
  if (m) val(typed_memory_view(lab.size(), lab.data())).call<void>("set", labels);
  for (int i = 0; i < m; ++i) vlc::require(lab[i] >= 0 && lab[i] < k, "labels[", i, "] = ", lab[i], " is outside 0..", k - 1);
  const vlc::Options o = parse_options(options, m);
  vlc::NamingOptions no = o.naming;  // namingTop, runnersUp
  no.allowed = o.noun_mask;  // nouns dropped for the clustering name nothing either
  const vlc::RowMatrixF z = vlc::normalized_rows(matrix_from(images, 0, m, d), vlc::InputRef::of_images());
  const vlc::RowMatrixF t = vlc::normalized_rows(matrix_from(nouns, 0, l, d), vlc::InputRef::of_nouns());
  return names_to_js(vlc::name_clusters(z, t, lab, k, no));
}

val k_range_impl(int m, int kmin, int kmax) {
  const auto [lo, hi] = vlc::k_range(m, kmin, kmax);
  val out = val::array();
  out.set(0, lo);
  out.set(1, hi);
  return out;
}

// Runs f; a C++ exception becomes a JS Error with the same message. The JS error is thrown after
// the catch block has finished, so the C++ exception object is released first.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  std::string message;
  std::string name = "VlcError";
  vlc::InputRef input;
  try {
    return f();
  } catch (const Cancelled&) {
    message = "stopped by options.onProgress";
    name = "VlcCancelled";
  } catch (const std::bad_alloc&) {
    message = "out of memory in the clustering core (WebAssembly is limited to 4 GB); use fewer images";
  } catch (const vlc::Error& e) {
    message = e.what();
    input = e.input();
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "unknown error in the clustering core";
  }
  val error = val::global("Error").new_(val(message));
  error.set("name", val(name));
  // error.input: which argument it concerns (vlc::Error::input), for callers that name their own.
  if (input.kind != vlc::InputRef::Kind::None) {
    using Kind = vlc::InputRef::Kind;
    val in = val::object();
    in.set("kind", val(input.kind == Kind::Images ? "images" : input.kind == Kind::Template ? "template"
                       : input.kind == Kind::Nouns ? "nouns" : "option"));
    if (input.index >= 0) in.set("index", input.index);
    if (input.row >= 0) in.set("row", static_cast<double>(input.row));
    if (input.kind == Kind::Option) in.set("option", val(vlc::camel_case(input.option)));
    error.set("input", in);
  }
  input = {};
  message.clear();
  message.shrink_to_fit();
  name.clear();
  name.shrink_to_fit();
  error.throw_();
}


// vlc::Session for JS (web/src/cluster.js runPipeline): the images cross into WASM once, when the
// session is made, and every stage reuses them. Free it with session.delete().
class JsSession {
 public:
  // images: M×d (Float32Array), shape {m, d}; options as cluster()'s.
  static JsSession* make(val images, val shape, val options) {
    return guarded([&] {
      const int m = shape_of(shape, "m"), d = shape_of(shape, "d");
      check_length(images, "images", static_cast<std::size_t>(m) * d, "M×d = " + std::to_string(m) + "×" + std::to_string(d));
      vlc::Options o = parse_options(options, m);
      return new JsSession(matrix_from(images, 0, m, d), std::move(o));
    });
  }
  void set_options(val options) {
    guarded([&] {
      session_.set_options(parse_options(options, static_cast<int>(session_.rows())));
      return 0;
    });
  }
  // T̄, the template-averaged vocabulary: L×d (rows normalised here).
  void set_vocabulary_mean(val nouns, int l) {
    guarded([&] {
      const int d = dim();
      check_length(nouns, "nouns", static_cast<std::size_t>(l) * d, "L×d = " + std::to_string(l) + "×" + std::to_string(d));
      session_.set_vocabulary_mean(matrix_from(nouns, 0, l, d));
      return 0;
    });
  }
  val filter_nouns() {
    return guarded([&] { return int32_array(session_.filter_nouns()); });
  }
  // W^(b): B×|P|×d, the kept nouns' embeddings under each template, in filterNouns() order.
  void set_kept_templates(val templates, int b) {
    guarded([&] {
      const int d = dim();
      vlc::require(b >= 1, "templates: B = ", b, "; give at least one prompt template's noun embeddings");
      const std::size_t n = length_of(templates, "templates");
      const int p = static_cast<int>(n / (static_cast<std::size_t>(b) * d));
      check_length(templates, "templates", static_cast<std::size_t>(b) * p * d, "B×P×d with B = " + std::to_string(b) + ", d = " + std::to_string(d));
      std::vector<vlc::RowMatrixF> w;
      for (int i = 0; i < b; ++i) w.push_back(matrix_from(templates, static_cast<std::size_t>(i) * p * d, p, d));
      session_.set_kept_templates(w);
      return 0;
    });
  }
  val cluster() {
    return guarded([&] { return result_to_js(session_.cluster(), session_.options()); });
  }
  val name() {
    return guarded([&] { return names_to_js(session_.name()); });
  }
  // How many times each stage ran (vlc::StageCounts): shows what a re-cluster reused.
  val counts() const {
    const vlc::StageCounts& c = session_.counts();
    val o = val::object();
    o.set("filter", c.filter);
    o.set("graph", c.graph);
    o.set("affinity", c.affinity);
    o.set("partition", c.partition);
    o.set("name", c.name);
    return o;
  }

 private:
  JsSession(const vlc::RowMatrixF& images, vlc::Options options) : session_(images, options) {}
  int dim() const { return static_cast<int>(session_.dims()); }
  vlc::Session session_;
};

val js_cluster(val images, val templates, val shape, val options) {
  return guarded([&] { return cluster_impl(images, templates, shape, options); });
}
val js_filter_nouns(val images, val nouns, val shape, val options) {
  return guarded([&] { return filter_nouns_impl(images, nouns, shape, options); });
}
val js_name_clusters(val images, val nouns, val shape, val labels, int k, val options) {
  return guarded([&] { return name_clusters_impl(images, nouns, shape, labels, k, options); });
}
val js_k_range(int m, int kmin, int kmax) {
  return guarded([&] { return k_range_impl(m, kmin, kmax); });
}
val js_option_names() {
  return guarded([&] { return option_names_js(); });
}
val js_option_defaults() {
  return guarded([&] { return option_defaults_js(); });
}
val js_option_table() {
  return guarded([&] { return option_table_js(); });
}
std::string js_version() { return VLC_VERSION; }  // package.json's (CMakeLists.txt)
// Bytes allocated by malloc/new and not yet freed: the tests check that cancelled runs free theirs.
double js_heap_in_use() { return static_cast<double>(static_cast<unsigned>(mallinfo().uordblks)); }

}  // namespace

EMSCRIPTEN_BINDINGS(vlcluster) {
  emscripten::function("cluster", &js_cluster);
  emscripten::function("filterNouns", &js_filter_nouns);
  emscripten::function("nameClusters", &js_name_clusters);
  emscripten::function("kRange", &js_k_range);
  emscripten::function("optionNames", &js_option_names);
  emscripten::function("optionDefaults", &js_option_defaults);
  emscripten::function("optionTable", &js_option_table);
  emscripten::function("version", &js_version);
  emscripten::function("heapInUse", &js_heap_in_use);
  emscripten::class_<JsSession>("Session")
      .constructor(&JsSession::make, emscripten::allow_raw_pointers())
      .function("setOptions", &JsSession::set_options)
      .function("setVocabularyMean", &JsSession::set_vocabulary_mean)
      .function("filterNouns", &JsSession::filter_nouns)
      .function("setKeptTemplates", &JsSession::set_kept_templates)
      .function("cluster", &JsSession::cluster)
      .function("name", &JsSession::name)
      .function("counts", &JsSession::counts);
}
