#include "vlc/option_table.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "vlc/error.hpp"

namespace vlc {
namespace {

// Caps on the options whose cost grows with their value (issue 14): beyond them a run takes
// hours or runs out of memory, far from any useful setting.
constexpr double kMaxNeighbours = 1000;  // q: the kNN graph has M·q edges per template
constexpr double kMaxCandidateK = 1000;  // kmin/kmax: one eigenvector and one k-means per candidate
constexpr double kMaxCount = 1000;       // restarts, nouns per centre, naming votes, RAD rounds
constexpr double kMaxIndex = 1 << 30;    // K, a template index
constexpr double kInf = std::numeric_limits<double>::infinity();

// Row builders: name, member, valid values, help. The lambdas below name the member once.
OptionRow integer(const char* name, int& (*member)(Options&), double min, double max, const char* help) {
  OptionRow r;
  r.name = name;
  r.type = OptionType::Int;
  r.int_member = member;
  r.min = min;
  r.max = max;
  r.help = help;
  return r;
}

// A number in [min, max]; min_open / max_open exclude that end.
OptionRow number(const char* name, double& (*member)(Options&), double min, bool min_open, double max, bool max_open,
                 const char* help) {
  OptionRow r;
  r.name = name;
  r.type = OptionType::Double;
  r.double_member = member;
  r.min = min;
  r.min_open = min_open;
  r.max = max;
  r.max_open = max_open;
  r.help = help;
  return r;
}

OptionRow boolean(const char* name, bool& (*member)(Options&), const char* help) {
  OptionRow r;
  r.name = name;
  r.type = OptionType::Bool;
  r.bool_member = member;
  r.help = help;
  return r;
}

OptionRow choice(const char* name, std::string (*get)(const Options&), void (*set)(Options&, const std::string&),
                 std::vector<std::string> (*choices)(), const char* help) {
  OptionRow r;
  r.name = name;
  r.type = OptionType::Choice;
  r.choice_get = get;
  r.choice_set = set;
  r.choices = choices;
  r.help = help;
  return r;
}

OptionRow seed(const char* name, std::uint64_t& (*member)(Options&), const char* help) {
  OptionRow r;
  r.name = name;
  r.type = OptionType::Seed;
  r.seed_member = member;
  r.help = help;
  return r;
}

OptionRow only(OptionRow r, OptionApplies applies) {
  r.applies = applies;
  return r;
}

// `word` (stored as 0) means "estimate it".
OptionRow automatic(OptionRow r, const char* word) {
  r.auto_text = word;
  return r;
}

// A CLI option only: the WASM build has no device to choose.
OptionRow native_only(OptionRow r) {
  r.native_only = true;
  return r;
}

std::vector<std::string> method_names() {
  std::vector<std::string> out;
  for (int m = 0; m <= static_cast<int>(Method::CMatrix); ++m) out.push_back(method_name(static_cast<Method>(m)));
  return out;
}
std::vector<std::string> k_rule_names() { return {k_rule_name(KRule::Eigengap), k_rule_name(KRule::CodingLength)}; }
std::vector<std::string> ntk_candidates_names() {
  return {ntk_candidates_name(NtkCandidates::Exact), ntk_candidates_name(NtkCandidates::Ann),
          ntk_candidates_name(NtkCandidates::Auto)};
}
std::vector<std::string> device_names() {
  return {device_name(Device::Cpu), device_name(Device::Cuda), device_name(Device::Auto)};
}

std::vector<OptionRow> make_table() {
  using O = Options;
  const OptionApplies auto_k = OptionApplies::AutoK;
  return {
      automatic(integer("k", [](O& o) -> int& { return o.k; }, 2, kMaxIndex,
                        "number of clusters K (at most M), or auto to estimate it among kmin..kmax."),
                "auto"),
      only(integer("kmin", [](O& o) -> int& { return o.kmin; }, 2, kMaxCandidateK, "automatic K: smallest candidate."),
           auto_k),
      only(integer("kmax", [](O& o) -> int& { return o.kmax; }, 0, kMaxCandidateK,
                   "automatic K: largest candidate; 0 = min(50, M-1, max(M/5, min(M/2, 9)))."),
           auto_k),
      only(choice(
               "k_rule", [](const O& o) { return k_rule_name(o.k_rule); },
               [](O& o, const std::string& s) { o.k_rule = parse_k_rule(s); }, k_rule_names,
               "automatic K on a graph: the largest eigengap whose partition has no cluster below "
               "k_min_cluster_fraction of the mean size, or the coding length (kmeans and cmatrix, which have "
               "no graph, always use coding-length)."),
           auto_k),
      only(number("k_min_cluster_fraction", [](O& o) -> double& { return o.k_min_cluster_fraction; }, 0, false, 1, true,
                  "eigengap rule: smallest cluster allowed, as a fraction of the mean size M/K (0 = the plain largest "
                  "gap); lower it for long-tailed data."),
           auto_k),
      only(number("k_gap_floor", [](O& o) -> double& { return o.k_gap_floor; }, 0, false, kInf, false,
                  "eigengap rule: the floor f of the gap log(1 - λ_k + f) - log(1 - λ_{k+1} + f) "
                  "(0 = the absolute gap λ_k - λ_{k+1}; estimate_k.hpp)."),
           auto_k),
      only(boolean("k_both_curves", [](O& o) -> bool& { return o.k_both_curves; },
                   "automatic K: also compute the other rule's curve for k_estimate (costs kmax k-means runs)."),
           auto_k),
      number("duplicate_cosine", [](O& o) -> double& { return o.duplicate_cosine; }, 0, false, 1, false,
             "images whose cosine is at least this are near-duplicates: each group is clustered once and its "
             "copies take its label (0 = keep them all)."),
      choice(
          "method", [](const O& o) { return method_name(o.method); },
          [](O& o, const std::string& s) { o.method = parse_method(s); }, method_names,
          "ntk-rad (NTK per template + RAD), ntk-mean (plain mean), ntk-pe (prompt ensemble), ntk-single (one "
          "template), rbf / cosine (image-only kNN graph), kmeans (image embeddings), cmatrix (image-to-noun "
          "coefficients)."),
      only(integer("template_index", [](O& o) -> int& { return o.template_index; }, 0, kMaxIndex,
                   "ntk-single: the prompt template used, 0..B-1."),
           OptionApplies::NtkSingle),
      integer("q", [](O& o) -> int& { return o.q; }, 1, kMaxNeighbours,
              "neighbours per node of the kNN graph (below M; small sets get at most (M-1)/3)."),
      number("tau", [](O& o) -> double& { return o.tau; }, 0, true, kInf, false, "NTK temperature τ (Eq. 7)."),
      number("tau_rbf", [](O& o) -> double& { return o.tau_rbf; }, -kInf, false, kInf, false,
             "rbf: the RBF scale; 0 or less = self-tuning."),
      number("mu", [](O& o) -> double& { return o.rad.mu; }, 0, true, kInf, false,
             "RAD: pull μ towards the identity (Eq. 11)."),
      number("lambda", [](O& o) -> double& { return o.rad.lambda; }, 0, true, kInf, false,
             "RAD: template-weight regulariser λ (Eq. 11), per image."),
      integer("max_outer", [](O& o) -> int& { return o.rad.max_outer; }, 1, kMaxCount, "RAD: most outer rounds."),
      integer("theta", [](O& o) -> int& { return o.theta; }, 1, kMaxCount, "cmatrix: nouns per fine centre."),
      number("gamma", [](O& o) -> double& { return o.gamma; }, 0, true, kInf, false, "cmatrix: ridge regulariser γ."),
      integer("per_centre", [](O& o) -> int& { return o.per_centre; }, 1, kMaxCount,
              "noun filter: nouns kept per fine centre."),
      integer("filter_restarts", [](O& o) -> int& { return o.filter_restarts; }, 1, kMaxCount,
              "noun filter: k-means restarts of the fine centres."),
      integer("n_init", [](O& o) -> int& { return o.n_init; }, 1, kMaxCount, "k-means restarts of the final partition."),
      integer("naming_top", [](O& o) -> int& { return o.naming.top; }, 1, kMaxCount,
              "cluster names: top noun scores per image that vote."),
      integer("runners_up", [](O& o) -> int& { return o.naming.runners_up; }, 0, kMaxCount,
              "cluster names: candidates reported after the name."),
      choice("ntk_candidates", [](const O& o) { return ntk_candidates_name(o.ntk_candidates); },
             [](O& o, const std::string& s) { o.ntk_candidates = parse_ntk_candidates(s); }, ntk_candidates_names,
             "NTK neighbour search: exact (exact lists: the ε-sparse walk, or dense tiles when the softmax is flat), "
             "ann (HNSW candidates rescored exactly, recall in bench/README.md) or auto (ann from 30 000 images "
             "when the softmax is flat)."),
      seed("seed", [](O& o) -> std::uint64_t& { return o.seed; }, "random seed: the same seed gives the same labels."),
      native_only(choice(
          "device", [](const O& o) { return device_name(o.device); },
          [](O& o, const std::string& s) { o.device = parse_device(s); }, device_names,
          "backend of the NTK graph, RAD and Lanczos; auto: cuda when built with it and a GPU is present, else cpu.")),
  };
}

std::string format_number(double x) {
  std::ostringstream out;
  out.precision(12);
  out << x;
  return out.str();
}

template <class... Parts>
[[noreturn]] void option_fail(const std::string& shown, const Parts&... parts) {
  fail(shown, ": ", parts...);
}

void check_range(const OptionRow& row, double x, const std::string& shown) {
  const std::string got = " (got " + format_number(x) + ")";
  if (row.type == OptionType::Int) {
    if (x != std::floor(x)) option_fail(shown, "expected an integer, got ", format_number(x));
    if (x < row.min) option_fail(shown, "must be at least ", format_number(row.min), got);
    if (x > row.max) option_fail(shown, "must be at most ", format_number(row.max), got);
    return;
  }
  if (!std::isfinite(x)) option_fail(shown, "expected a finite number, got ", format_number(x));
  if (row.min_open ? x <= row.min : x < row.min)
    option_fail(shown, row.min_open ? "must be greater than " : "must be at least ", format_number(row.min), got);
  if (row.max_open ? x >= row.max : x > row.max)
    option_fail(shown, row.max_open ? "must be below " : "must be at most ", format_number(row.max), got);
}

}  // namespace

const std::vector<OptionRow>& option_table() {
  static const std::vector<OptionRow> table = make_table();
  return table;
}

const OptionRow* find_option(const std::string& snake_name) {
  for (const OptionRow& row : option_table())
    if (snake_name == row.name) return &row;
  return nullptr;
}

std::string dashed(const std::string& snake_name) {
  std::string out = snake_name;
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

OptionValue get_option(const OptionRow& row, const Options& o) {
  // The member functions take a non-const Options (one accessor per row reads and writes);
  // reading through it does not modify `o`.
  Options& m = const_cast<Options&>(o);
  OptionValue v;
  switch (row.type) {
    case OptionType::Int: v.number = row.int_member(m); break;
    case OptionType::Double: v.number = row.double_member(m); break;
    case OptionType::Bool: v.flag = row.bool_member(m); break;
    case OptionType::Choice: v.text = row.choice_get(o); break;
    case OptionType::Seed: v.seed = row.seed_member(m); break;
  }
  v.automatic = row.auto_text && row.type == OptionType::Int && v.number == 0;
  return v;
}

void set_option(Options& o, const OptionRow& row, const OptionValue& value, const std::string& shown) {
  if (value.automatic) {
    if (!row.auto_text) option_fail(shown, "has no automatic value; give ", option_values_text(row));
    row.int_member(o) = 0;
    return;
  }
  switch (row.type) {
    case OptionType::Int:
      check_range(row, value.number, shown);
      row.int_member(o) = static_cast<int>(value.number);
      break;
    case OptionType::Double:
      check_range(row, value.number, shown);
      row.double_member(o) = value.number;
      break;
    case OptionType::Bool: row.bool_member(o) = value.flag; break;
    case OptionType::Choice:
      try {
        row.choice_set(o, value.text);
      } catch (const Error& e) {
        option_fail(shown, e.what());
      }
      break;
    case OptionType::Seed: row.seed_member(o) = value.seed; break;
  }
}

OptionValue parse_option_text(const OptionRow& row, const std::string& text, const std::string& shown) {
  OptionValue v;
  if (row.auto_text && text == row.auto_text) {
    v.automatic = true;
    return v;
  }
  switch (row.type) {
    case OptionType::Int:
      v.number = static_cast<double>(parse_integer_text(shown, text, static_cast<long long>(row.min),
                                                        static_cast<long long>(row.max)));
      break;
    case OptionType::Double: v.number = parse_number_text(shown, text, -kInf, true); break;
    case OptionType::Bool:
      if (text != "true" && text != "false") option_fail(shown, "expected true or false, got '", text, "'");
      v.flag = text == "true";
      break;
    case OptionType::Choice: v.text = text; break;
    case OptionType::Seed: v.seed = parse_seed_text(shown, text); break;
  }
  return v;
}

void check_option_relations(const Options& o, const std::vector<std::string>& given,
                            const std::function<std::string(const std::string&)>& shown) {
  for (const std::string& name : given) {
    const OptionRow* row = find_option(name);
    if (!row) continue;
    const InputRef at = InputRef::of_option(name);
    require_input(row->applies != OptionApplies::AutoK || o.k == 0, at, shown(name),
                  ": only applies with automatic K (k = auto), not k = ", o.k);
    require_input(row->applies != OptionApplies::NtkSingle || o.method == Method::NtkSingle, at, shown(name),
                  ": only applies to method ", method_name(Method::NtkSingle), ", not ", method_name(o.method));
  }
  require_input(o.k != 0 || o.kmax == 0 || o.kmax >= o.kmin, InputRef::of_option("kmax"), shown("kmax"),
                ": must be at least ", o.kmin, " (kmin), or 0 for the default (got ", o.kmax, ")");
}

std::string format_option_value(const OptionRow& row, const OptionValue& value) {
  if (value.automatic && row.auto_text) return row.auto_text;
  switch (row.type) {
    case OptionType::Int:
    case OptionType::Double: return format_number(value.number);
    case OptionType::Bool: return value.flag ? "true" : "false";
    case OptionType::Choice: return value.text;
    case OptionType::Seed: return std::to_string(value.seed);
  }
  return "";
}

std::string option_values_text(const OptionRow& row) {
  std::string out;
  switch (row.type) {
    case OptionType::Int:
      out = row.max >= kMaxIndex ? "an integer ≥ " + format_number(row.min)
                                 : "an integer in " + format_number(row.min) + ".." + format_number(row.max);
      break;
    case OptionType::Double:
      if (std::isinf(row.min) && std::isinf(row.max)) out = "a number";
      else if (std::isinf(row.max)) out = std::string("a number ") + (row.min_open ? "> " : "≥ ") + format_number(row.min);
      else
        out = std::string("a number in ") + (row.min_open ? "(" : "[") + format_number(row.min) + ", " +
              format_number(row.max) + (row.max_open ? ")" : "]");
      break;
    case OptionType::Bool: out = "true or false"; break;
    case OptionType::Choice: {
      out = "one of ";
      const std::vector<std::string> names = row.choices();
      for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
      break;
    }
    case OptionType::Seed: out = "an integer ≥ 0"; break;
  }
  if (row.auto_text) out += std::string(" or ") + row.auto_text;
  return out;
}

long long parse_integer_text(const std::string& shown, const std::string& text, long long min, long long max) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) option_fail(shown, "expected an integer, got '", text, "'");
  if (v < min) option_fail(shown, "must be at least ", min, " (got ", v, ")");
  if (v > max) option_fail(shown, "must be at most ", max, " (got ", v, ")");
  return v;
}

std::uint64_t parse_seed_text(const std::string& shown, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  if (text.empty() || text[0] == '-' || text[0] == '+')
    option_fail(shown, "expected a non-negative integer, got '", text, "'");
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) option_fail(shown, "expected a non-negative integer, got '", text, "'");
  return v;
}

double parse_number_text(const std::string& shown, const std::string& text, double min, bool min_inclusive) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') option_fail(shown, "expected a number, got '", text, "'");
  if (!std::isfinite(v) && errno != ERANGE) option_fail(shown, "expected a finite number, got '", text, "'");
  // strtod's ERANGE covers both ends; a subnormal is not "not finite" (issue 14).
  if (errno == ERANGE || (v != 0 && !std::isnormal(v)))
    option_fail(shown, text, " is out of range: ",
                std::fabs(v) > 1 ? "beyond the largest double (about 1.8e308)"
                                 : "below the smallest normal double (about 2.2e-308; subnormal or underflowing)");
  if (min_inclusive ? v < min : v <= min)
    option_fail(shown, "must be ", min_inclusive ? "at least " : "greater than ", min, " (got ", text, ")");
  return v;
}

std::string closest_name(const std::string& given, const std::vector<std::string>& valid) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string a = lower(given);
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const std::string& candidate : valid) {
    // Edit distance with adjacent transpositions ("tua" is one step from "tau").
    const std::string b = lower(candidate);
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
      for (std::size_t j = 1; j <= b.size(); ++j) {
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    if (d[a.size()][b.size()] < best_distance) {
      best = candidate;
      best_distance = d[a.size()][b.size()];
    }
  }
  // A third of the name's length (at least 2) can be typos; more is another word.
  return best_distance <= std::max<std::size_t>(2, given.size() / 3) ? best : "";
}

}  // namespace vlc
