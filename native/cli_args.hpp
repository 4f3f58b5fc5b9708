// The command line of vlcluster: "--name value", "--name=value" and flags, the usage errors
// (exit code 2), the help texts, and the clustering options read from the one options table
// (core/include/vlc/option_table.hpp): every row is a flag --name-with-dashes.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "vlc/cluster.hpp"

namespace vlc::cli {

constexpr const char* kVersion = VLC_VERSION;  // package.json's (CMakeLists.txt)

// Bad command line: exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class... Parts>
[[noreturn]] void usage_fail(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  throw UsageError(out.str());
}

struct Args {
  std::vector<std::pair<std::string, std::string>> values;  // in order, repeats allowed
  std::vector<std::string> flags;

  bool has(const std::string& name) const;
  bool flag(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  std::string get(const std::string& name, const std::string& fallback = "") const;
};

// argv[start..]: every "--name" must be in `valued` (takes a value; once unless in
// `repeatable`) or in `flag_names`. An unknown name is a usage error naming the closest valid
// one. `command` names the subcommand in the messages.
Args parse_args(int argc, char** argv, int start, const std::vector<std::string>& valued,
                const std::vector<std::string>& repeatable, const std::vector<std::string>& flag_names,
                const std::string& command);

// The CLI's own text parsers (vlc::parse_*_text), their errors as usage errors.
long long parse_int(const std::string& name, const std::string& text, long long min, long long max);
std::uint64_t parse_seed(const std::string& name, const std::string& text);

// "--" + dashed(row name) of every row of the options table the CLI takes.
std::vector<std::string> table_flags();
// Every table option given in `args` into `opt` (the others keep the defaults of vlc::Options),
// then the relations between them: an automatic-K option needs --k auto, --template-index needs
// --method ntk-single, --kmax at least --kmin.
void read_table_options(const Args& args, Options& opt);

// File extension in lower case with its dot (".npy"), or "" when there is none.
std::string ends_with_ext(const std::string& path);

extern const char* const kMainHelp;
extern const char* const kSynthHelp;
// `vlcluster cluster --help`: the inputs and outputs, then one entry per table row.
std::string cluster_help();

}  // namespace vlc::cli
