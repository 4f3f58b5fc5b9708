// Every user-facing option of vlc::Options, once: its one name, how to read and write its
// member, its valid values and one line of help. The front ends are generated from this table:
//   CLI (native/cli_args.cpp)     --name-with-dashes (dashed below), and `cluster --help`;
//   result.json (native/cli.cpp)  "options": {"snake_name": value, ...};
//   JS (wasm/bindings.cpp)        {camelName: value}: camel_case (result_fields.hpp), unknown
//                                 keys rejected naming the closest one; optionNames() lists them.
// Defaults are not written here: each is read from a default-constructed vlc::Options, so the
// struct (cluster.hpp and the structs it nests) stays the one place of a default.
//
// Adding an option: the member in its struct, one row in option_table() (option_table.cpp),
// and its test; every front end then has it. Three checked-in files spell the JS side out —
// web/src/options.js's key list, CoreOptions in web/index.d.ts, result.schema.json's choice
// names — and `node scripts/gen-options.mjs` writes them from this table (through the WASM
// module's optionTable()); web/test/gen_options.test.mjs fails while one is stale.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include "vlc/cluster.hpp"

namespace vlc {

enum class OptionType {
  Int,     // an integer in [min, max]
  Double,  // a finite number in [min, max], each end open or closed
  Bool,    // true / false
  Choice,  // one of choices(), e.g. "ntk-rad"
  Seed,    // a non-negative integer (std::uint64_t)
};

// An option that only means something alongside another one; check_option_relations refuses
// it elsewhere.
enum class OptionApplies {
  Always,
  AutoK,      // only with k = auto (the automatic-K options)
  NtkSingle,  // only with method = ntk-single
};

// One option's value as it crosses a front end: the field of its type is the one that counts.
struct OptionValue {
  double number = 0;        // Int, Double (an Int holds an integer)
  bool flag = false;        // Bool
  std::string text;         // Choice
  std::uint64_t seed = 0;   // Seed
  bool automatic = false;   // the row's auto_text ("auto"); the member then holds 0
};

struct OptionRow {
  const char* name = "";    // snake_case: the C++ member's name, the JSON key
  OptionType type = OptionType::Int;
  const char* help = "";    // one sentence; the default and the valid values are added by the front ends
  double min = 0, max = 0;  // Int, Double
  bool min_open = false, max_open = false;  // Double: the end itself excluded
  const char* auto_text = nullptr;  // non-null: this word, stored as 0, means "estimate it"
  OptionApplies applies = OptionApplies::Always;
  bool native_only = false;  // not a key of the JS options (the WASM build has one device)

  // Member access; the one matching `type` is set.
  int& (*int_member)(Options&) = nullptr;
  double& (*double_member)(Options&) = nullptr;
  bool& (*bool_member)(Options&) = nullptr;
  std::uint64_t& (*seed_member)(Options&) = nullptr;
  std::string (*choice_get)(const Options&) = nullptr;
  void (*choice_set)(Options&, const std::string&) = nullptr;  // throws vlc::Error listing the names
  std::vector<std::string> (*choices)() = nullptr;
};

// The table, in the order --help and result.json show it.
const std::vector<OptionRow>& option_table();
// The row named `snake_name`, or null.
const OptionRow* find_option(const std::string& snake_name);

// "k_min_cluster_fraction" → "k-min-cluster-fraction" (the CLI flag without its "--").
std::string dashed(const std::string& snake_name);

// The member's value in `o`.
OptionValue get_option(const OptionRow& row, const Options& o);
// Checks `value` against the row (range, integer, choice) and stores it; a bad value throws
// vlc::Error "<shown>: must be at least 1 (got 0)", naming the option as the caller spells it
// ("--q", "option q").
void set_option(Options& o, const OptionRow& row, const OptionValue& value, const std::string& shown);
// The value spelled as `text` (the CLI's argument): "auto", an integer, a number, true/false, a
// choice. Errors as set_option's. The value is not yet range-checked (set_option does that).
OptionValue parse_option_text(const OptionRow& row, const std::string& text, const std::string& shown);

// The rules between options that no row's own range states, one check for every front end:
//   a row that applies only with automatic K (OptionApplies::AutoK) is not given with k ≠ 0;
//   a row that applies only to ntk-single is not given with another method;
//   with automatic K, a kmax other than 0 is at least kmin.
// `given`: the snake names of the rows the caller set (the CLI's flags, the keys of a JS options
// object). A C++ Options has every member set, so vlc::Session passes none and only the kmax
// rule applies to it. `shown(name)` spells option `name` as the caller does ("--kmin",
// "option kmin"). Throws vlc::Error "<shown>: only applies with automatic K (k = auto), not
// k = 4", tagged InputRef::of_option(name).
void check_option_relations(const Options& o, const std::vector<std::string>& given,
                            const std::function<std::string(const std::string&)>& shown);

// The value as text: "auto", "30", "0.04", "true", "ntk-rad" (--help's defaults).
std::string format_option_value(const OptionRow& row, const OptionValue& value);
// What the row accepts, for help texts: "an integer in 1..1000", "a number in [0, 1)",
// "one of ntk-rad, ntk-mean, ...".
std::string option_values_text(const OptionRow& row);

// Text parsers shared with the CLI's own arguments, each throwing vlc::Error "<shown>: ...".
long long parse_integer_text(const std::string& shown, const std::string& text, long long min, long long max);
std::uint64_t parse_seed_text(const std::string& shown, const std::string& text);
// A finite, normal (or zero) double, at least `min` (greater than `min` unless min_inclusive).
double parse_number_text(const std::string& shown, const std::string& text, double min, bool min_inclusive);

// Of `valid`, the name `given` most likely meant (case-insensitive edit distance of at most a
// third of its length, at least 2; a swap of two neighbours is one edit), or "" when none is that close.
std::string closest_name(const std::string& given, const std::vector<std::string>& valid);

}  // namespace vlc
