// libFuzzer target: the CLI's command-line parsing (parse_args and the options table's text
// parsers in native/cli_args.cpp, and the option checks of run_cluster in native/cli.cpp,
// included here with its main renamed). The input is split at NUL bytes into arguments of `vlcluster cluster ...`;
// --images=<a path that does not exist> is appended, so a command line that parses always
// stops at reading the images (no files are written: outputs come after the inputs are read,
// and a second --images is itself a usage error). Outcome: UsageError or vlc::Error only.
#define main vlcluster_cli_main
#include "../native/cli.cpp"
#undef main

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> tokens{"vlcluster", "cluster"};
  std::string cur;
  for (std::size_t i = 0; i < size && tokens.size() < 40; ++i) {
    if (data[i] == 0) {
      tokens.push_back(cur);
      cur.clear();
    } else {
      cur += static_cast<char>(data[i]);
    }
  }
  if (!cur.empty()) tokens.push_back(cur);
  for (const auto& t : tokens)
    if (t == "--help" || t == "-h") return 0;  // prints the help text: not parsing
  tokens.push_back("--images=/nonexistent-vlc-fuzz/images.npy");
  std::vector<char*> argv;
  for (auto& t : tokens) argv.push_back(t.data());
  argv.push_back(nullptr);
  try {
    run_cluster(static_cast<int>(tokens.size()), argv.data());
    vlc_fuzz::unexpected("run_cluster succeeded without an images file");
  } catch (const UsageError& e) {
    if (std::strlen(e.what()) == 0) vlc_fuzz::unexpected("empty usage message");
  } catch (const vlc::Error& e) {
    if (std::strstr(e.what(), "nonexistent-vlc-fuzz") == nullptr) {
      std::fprintf(stderr, "fuzz: error before reading the images: %s\n", e.what());
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: unexpected exception: %s\n", e.what());
    std::abort();
  }
  return 0;
}
