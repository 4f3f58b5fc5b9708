// What `vlcluster cluster` writes: --labels-out, result.json (--out), the summary on stdout and
// the timings on stderr; and the checked end of stdout of every command.
#pragma once
#include <string>
#include <vector>

#include "vlc/cluster.hpp"

namespace vlc::cli {

// The inputs as result.json's "input" records them.
struct RunInputs {
  std::string images, vocab, truth;  // paths; vocab and truth may be ""
  std::vector<std::string> nouns;
  long long m = 0, d = 0, vocab_size = 0;
  int templates = 0;
};

struct Metrics {
  bool known = false;  // --truth given
  double accuracy = 0, nmi = 0, ari = 0;
};

// The CLI's own settings recorded among result.json's options, after the table's.
struct CliSettings {
  int threads = 0;
  int generic_levels = -1;  // -1: off (null)
};

// The bytes of --labels-out: FILE.npy (int32) or FILE.csv ("image,label", one row per image).
std::string labels_file_bytes(const std::string& path, const Labels& labels);

// result.json (native/result.schema.json): `result` with the CLI's timings, then the sizes,
// the kept words, the metrics and the options: every row of the options table under its name,
// then the CLI's settings.
std::string result_json(const RunInputs& in, const Options& opt, const Result& result,
                        const std::vector<std::string>& words, const Metrics& metrics, double total_seconds,
                        const CliSettings& cli);

// The summary lines on stdout: images → clusters, the kept nouns, near-duplicates, the chosen
// K and the cluster names.
void print_summary(const Options& opt, const Result& result, const std::vector<std::string>& words, long long m,
                   const CliSettings& cli);

// `--out -`: the JSON on stdout, flushed and checked (`--out - > /dev/full` exited 0).
void write_stdout(const std::string& text);

// Every command's exit: stdout flushed and closed, a write error there is exit 1 (the report
// and the metrics go to stdout too).
int finish_stdout(int code);

// One line for the terminal: line breaks become spaces, other control bytes (an escape
// sequence from a file name or a word) \xNN; UTF-8 (the messages' "×", "≥") is kept.
std::string one_line(std::string s);

}  // namespace vlc::cli
