// libFuzzer target: the CLI's vocabulary words file reader (read_vocab in native/cli_vocab.cpp).
// Outcome: a non-empty word list without blank lines (and, for a TSV with a depth column, one
// depth per word), or a vlc::Error.
#include "cli_vocab.hpp"
#include "fuzz_support.hpp"

using vlc::cli::read_vocab;
using vlc::cli::Vocabulary;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = vlc_fuzz::scratch_path("words.txt");
  vlc_fuzz::write_file(path, data, size);
  vlc_fuzz::expect_ok_or_vlc_error([&] {
    const Vocabulary vocabulary = read_vocab(path);
    if (vocabulary.words.empty()) vlc_fuzz::unexpected("read_vocab returned no words");
    if (!vocabulary.depths.empty() && vocabulary.depths.size() != vocabulary.words.size())
      vlc_fuzz::unexpected("read_vocab returned depths for some words only");
    for (const auto& w : vocabulary.words) {
      if (w.find_first_not_of(" \t") == std::string::npos) vlc_fuzz::unexpected("read_vocab returned a blank word");
      if (w.find('\n') != std::string::npos) vlc_fuzz::unexpected("read_vocab returned a word with a newline");
    }
  });
  return 0;
}
