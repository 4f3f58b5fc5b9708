// The command line of `vlcluster cluster` generated from the options table
// (core/include/vlc/option_table.hpp): --help lists every row, the flags set the rows'
// members, and the relations between them are usage errors.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli_args.hpp"
#include "vlc/option_table.hpp"

namespace {

// `vlcluster cluster <args>`'s table options, or the usage error's message.
std::string read(std::vector<std::string> words, vlc::Options& opt) {
  std::vector<char*> argv = {const_cast<char*>("vlcluster"), const_cast<char*>("cluster")};
  for (auto& w : words) argv.push_back(w.data());
  try {
    const vlc::cli::Args args = vlc::cli::parse_args(static_cast<int>(argv.size()), argv.data(), 2,
                                                     vlc::cli::table_flags(), {}, {}, "cluster");
    vlc::cli::read_table_options(args, opt);
  } catch (const vlc::cli::UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("cluster --help lists every row of the options table with its default", "[cli]") {
  const std::string help = vlc::cli::cluster_help();
  const vlc::Options defaults;
  for (const auto& row : vlc::option_table()) {
    INFO(row.name);
    const std::string flag = "\n  --" + vlc::dashed(row.name) + " ";
    const auto at = help.find(flag);
    REQUIRE(at != std::string::npos);
    // The entry with its line breaks and indentation as single spaces.
    std::string entry;
    for (char c : help.substr(at + 1, help.find("\n  --", at + 1) - at - 1))
      if (!(c == ' ' || c == '\n') || (!entry.empty() && entry.back() != ' ')) entry += c == '\n' ? ' ' : c;
    CHECK(entry.find("Default " + vlc::format_option_value(row, vlc::get_option(row, defaults))) != std::string::npos);
  }
}

TEST_CASE("table flags set their members; relations are usage errors", "[cli]") {
  vlc::Options o;
  CHECK(read({"--k", "5", "--tau", "0.05", "--runners-up", "1", "--method", "ntk-single", "--template-index", "2",
              "--seed", "18446744073709551615"},
             o) == "");
  CHECK(o.k == 5);
  CHECK(o.tau == 0.05);
  CHECK(o.naming.runners_up == 1);
  CHECK(o.method == vlc::Method::NtkSingle);
  CHECK(o.template_index == 2);
  CHECK(o.seed == 18446744073709551615ull);
  vlc::Options a;
  CHECK(read({"--kmin", "3", "--k-both-curves", "false"}, a) == "");  // no --k: auto
  CHECK(a.k == 0);
  CHECK(a.kmin == 3);
  CHECK_FALSE(a.k_both_curves);
  auto error = [](std::vector<std::string> words) {
    vlc::Options fresh;
    return read(std::move(words), fresh);
  };
  // The core's relations (check_option_relations), spelt as flags.
  CHECK(error({"--k", "4", "--kmin", "3"}) == "--kmin: only applies with automatic K (k = auto), not k = 4");
  CHECK(error({"--template-index", "1"}) == "--template-index: only applies to method ntk-single, not ntk-rad");
  CHECK(error({"--kmin", "5", "--kmax", "3"}) == "--kmax: must be at least 5 (kmin), or 0 for the default (got 3)");
  CHECK(error({"--q", "0"}) == "--q: must be at least 1 (got 0)");
  CHECK(error({"--k-min-fraction", "0.1"}).find("renamed --k-min-cluster-fraction") != std::string::npos);
}
