// The one options table (vlc/option_table.hpp): its defaults are vlc::Options', each row reads
// and writes its own member only, names are unique and map mechanically to the CLI's and JS's
// spellings, and a bad value is an error naming the option.
#include <catch2/catch.hpp>

#include <limits>
#include <regex>
#include <set>
#include <string>

#include "vlc/error.hpp"
#include "vlc/option_table.hpp"
#include "vlc/result_fields.hpp"

using Catch::Matchers::Contains;

namespace {

// A valid value other than the default, for each type.
vlc::OptionValue other_value(const vlc::OptionRow& row, const vlc::OptionValue& def) {
  vlc::OptionValue v = def;
  v.automatic = false;
  switch (row.type) {
    case vlc::OptionType::Int: v.number = def.automatic || def.number == row.min ? row.min + 1 : row.min; break;
    case vlc::OptionType::Double: v.number = def.number == 0.5 ? 0.25 : 0.5; break;
    case vlc::OptionType::Bool: v.flag = !def.flag; break;
    case vlc::OptionType::Choice: {
      for (const auto& name : row.choices())
        if (name != def.text) v.text = name;
      break;
    }
    case vlc::OptionType::Seed: v.seed = def.seed + 7; break;
  }
  return v;
}

std::string shown(const vlc::OptionRow& row, const vlc::OptionValue& v) { return vlc::format_option_value(row, v); }

}  // namespace

TEST_CASE("option table: every row's default is the default-constructed vlc::Options'", "[options]") {
  const vlc::Options defaults;
  for (const auto& row : vlc::option_table()) {
    INFO(row.name);
    const vlc::OptionValue def = vlc::get_option(row, defaults);
    // The text --help shows reads back as the same value.
    vlc::Options o;
    vlc::set_option(o, row, vlc::parse_option_text(row, shown(row, def), row.name), row.name);
    CHECK(shown(row, vlc::get_option(row, o)) == shown(row, def));
  }
  // Spot checks against the structs' members themselves.
  CHECK(shown(*vlc::find_option("k"), vlc::get_option(*vlc::find_option("k"), defaults)) == "auto");
  CHECK(defaults.k == 0);
  CHECK(vlc::get_option(*vlc::find_option("lambda"), defaults).number == vlc::RadOptions{}.lambda);
  CHECK(vlc::get_option(*vlc::find_option("runners_up"), defaults).number == vlc::NamingOptions{}.runners_up);
  CHECK(vlc::get_option(*vlc::find_option("q"), defaults).number == defaults.q);
  CHECK(vlc::get_option(*vlc::find_option("method"), defaults).text == "ntk-rad");
  CHECK(vlc::get_option(*vlc::find_option("k_both_curves"), defaults).flag == defaults.k_both_curves);
}

TEST_CASE("option table: each row writes its own member and no other", "[options]") {
  const vlc::Options defaults;
  for (const auto& row : vlc::option_table()) {
    INFO(row.name);
    vlc::Options o;
    const vlc::OptionValue v = other_value(row, vlc::get_option(row, defaults));
    vlc::set_option(o, row, v, row.name);
    CHECK(shown(row, vlc::get_option(row, o)) == shown(row, v));
    CHECK(shown(row, vlc::get_option(row, o)) != shown(row, vlc::get_option(row, defaults)));
    for (const auto& other : vlc::option_table())
      if (&other != &row) CHECK(shown(other, vlc::get_option(other, o)) == shown(other, vlc::get_option(other, defaults)));
  }
}

TEST_CASE("option table: names are unique snake_case, spelt mechanically for the CLI and JS", "[options]") {
  std::set<std::string> names, camel, flags;
  const std::regex snake("[a-z][a-z0-9]*(_[a-z0-9]+)*");
  for (const auto& row : vlc::option_table()) {
    INFO(row.name);
    CHECK(std::regex_match(row.name, snake));
    CHECK(std::string(row.help).size() > 10);
    names.insert(row.name);
    camel.insert(vlc::camel_case(row.name));
    flags.insert(vlc::dashed(row.name));
    CHECK(vlc::find_option(row.name) == &row);
  }
  CHECK(names.size() == vlc::option_table().size());
  CHECK(camel.size() == names.size());
  CHECK(flags.size() == names.size());
  CHECK(vlc::option_table().size() >= 25);
  CHECK(vlc::camel_case("k_min_cluster_fraction") == "kMinClusterFraction");
  CHECK(vlc::camel_case("tau_rbf") == "tauRbf");
  CHECK(vlc::dashed("k_min_cluster_fraction") == "k-min-cluster-fraction");
  CHECK(vlc::find_option("kMinClusterFraction") == nullptr);
}

TEST_CASE("option table: a bad value is an error naming the option as the caller spells it", "[options]") {
  vlc::Options o;
  vlc::OptionValue v;
  v.number = 0;
  CHECK_THROWS_WITH(vlc::set_option(o, *vlc::find_option("q"), v, "--q"), Contains("--q: must be at least 1 (got 0)"));
  v.number = 5000;
  CHECK_THROWS_WITH(vlc::set_option(o, *vlc::find_option("q"), v, "option q"), Contains("option q: must be at most 1000"));
  v.number = 2.5;
  CHECK_THROWS_WITH(vlc::set_option(o, *vlc::find_option("n_init"), v, "option nInit"),
                    Contains("option nInit: expected an integer"));
  v.number = 1;
  CHECK_THROWS_WITH(vlc::set_option(o, *vlc::find_option("k_min_cluster_fraction"), v, "option kMinClusterFraction"),
                    Contains("option kMinClusterFraction: must be below 1"));
  v.number = 0;
  CHECK_THROWS_WITH(vlc::set_option(o, *vlc::find_option("tau"), v, "--tau"), Contains("--tau: must be greater than 0"));
  v.number = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(vlc::set_option(o, *vlc::find_option("tau"), v, "--tau"), Contains("--tau: expected a finite number"));
  vlc::OptionValue c;
  c.text = "spectral-magic";
  CHECK_THROWS_WITH(vlc::set_option(o, *vlc::find_option("method"), c, "--method"),
                    Contains("--method: ") && Contains("spectral-magic") && Contains("ntk-rad"));
  vlc::OptionValue a;
  a.automatic = true;
  CHECK_THROWS_WITH(vlc::set_option(o, *vlc::find_option("q"), a, "--q"), Contains("--q: has no automatic value"));
  CHECK_THROWS_WITH(vlc::parse_option_text(*vlc::find_option("k"), "ten", "--k"), Contains("--k: expected an integer, got 'ten'"));
  CHECK_THROWS_WITH(vlc::parse_option_text(*vlc::find_option("k"), "1", "--k"), Contains("--k: must be at least 2"));
  CHECK_THROWS_WITH(vlc::parse_option_text(*vlc::find_option("k_both_curves"), "yes", "--k-both-curves"),
                    Contains("expected true or false"));
  CHECK_THROWS_WITH(vlc::parse_option_text(*vlc::find_option("seed"), "-1", "--seed"), Contains("non-negative integer"));
  CHECK_THROWS_WITH(vlc::parse_option_text(*vlc::find_option("tau"), "1e-400", "--tau"), Contains("out of range"));
  // A failed set leaves the option as it was.
  CHECK(o.q == vlc::Options{}.q);
  CHECK(o.method == vlc::Method::NtkRad);
  // auto and its integer.
  vlc::set_option(o, *vlc::find_option("k"), vlc::parse_option_text(*vlc::find_option("k"), "7", "--k"), "--k");
  CHECK(o.k == 7);
  vlc::set_option(o, *vlc::find_option("k"), vlc::parse_option_text(*vlc::find_option("k"), "auto", "--k"), "--k");
  CHECK(o.k == 0);
}

TEST_CASE("option relations: an option given where it does not apply, kmax below kmin", "[options][validation]") {
  const auto shown = [](const std::string& name) { return "option " + name; };
  // The error of check_option_relations, with the option it names; "" when it passes.
  const auto relation_error = [&](const vlc::Options& o, const std::vector<std::string>& given, std::string* option) {
    try {
      vlc::check_option_relations(o, given, shown);
    } catch (const vlc::Error& e) {
      CHECK(e.input().kind == vlc::InputRef::Kind::Option);
      *option = e.input().option;
      return std::string(e.what());
    }
    return std::string();
  };
  std::string option;
  vlc::Options fixed_k;
  fixed_k.k = 4;
  for (const auto& row : vlc::option_table()) {
    if (row.applies != vlc::OptionApplies::AutoK) continue;
    INFO(row.name);
    CHECK(relation_error(fixed_k, {row.name}, &option) ==
          "option " + std::string(row.name) + ": only applies with automatic K (k = auto), not k = 4");
    CHECK(option == row.name);
    CHECK(relation_error(vlc::Options{}, {row.name}, &option).empty());  // k = 0: automatic
  }
  CHECK(relation_error(fixed_k, {}, &option).empty());  // not given: a C++ Options sets every member
  CHECK(relation_error(vlc::Options{}, {"template_index"}, &option) ==
        "option template_index: only applies to method ntk-single, not ntk-rad");
  CHECK(option == "template_index");
  vlc::Options single;
  single.method = vlc::Method::NtkSingle;
  CHECK(relation_error(single, {"template_index", "method", "q"}, &option).empty());

  vlc::Options range;
  range.kmin = 5;
  range.kmax = 3;
  CHECK(relation_error(range, {}, &option) == "option kmax: must be at least 5 (kmin), or 0 for the default (got 3)");
  CHECK(option == "kmax");
  range.kmax = 5;
  CHECK(relation_error(range, {}, &option).empty());
  range.kmax = 0;  // the default upper end
  CHECK(relation_error(range, {}, &option).empty());
}

TEST_CASE("option table: the closest name of a misspelt one", "[options]") {
  const std::vector<std::string> valid = {"tau", "tauRbf", "q", "kmin", "kmax", "kMinClusterFraction", "out"};
  CHECK(vlc::closest_name("tua", valid) == "tau");  // a swap of neighbours is one edit
  CHECK(vlc::closest_name("kMinClusterFractoin", valid) == "kMinClusterFraction");
  CHECK(vlc::closest_name("KMIN", valid) == "kmin");
  CHECK(vlc::closest_name("frobnicate", valid).empty());
}
