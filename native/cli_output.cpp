#include "cli_output.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "cli_args.hpp"
#include "files.hpp"
#include "json.hpp"
#include "npy.hpp"
#include "result_json.hpp"
#include "vlc/error.hpp"

namespace vlc::cli {

std::string labels_file_bytes(const std::string& path, const Labels& labels) {
  if (ends_with_ext(path) == ".npy") return npy::encode_labels(labels, npy::DType::Int32);
  std::string csv = "image,label\n";
  csv.reserve(csv.size() + labels.size() * 8);
  for (std::size_t i = 0; i < labels.size(); ++i) csv += std::to_string(i) + "," + std::to_string(labels[i]) + "\n";
  return csv;
}

std::string result_json(const RunInputs& in, const Options& opt, const Result& result,
                        const std::vector<std::string>& words, const Metrics& metrics, double total_seconds,
                        const CliSettings& cli) {
  std::vector<long long> sizes(static_cast<std::size_t>(std::max(result.k, 0)), 0);
  for (int l : result.labels)
    if (l >= 0 && l < result.k) ++sizes[static_cast<std::size_t>(l)];
  json::Writer w;
  w.begin_object();
  w.field("tool", "vlcluster").field("version", kVersion);
  w.field("method", method_name(opt.method));
  w.key("input").begin_object();
  w.field("images", in.images).key("nouns").begin_array(true);
  for (auto& p : in.nouns) w.value(p);
  w.end_array();
  w.key("vocab");
  if (in.vocab.empty()) w.value(nullptr); else w.value(in.vocab);
  w.key("truth");
  if (in.truth.empty()) w.value(nullptr); else w.value(in.truth);
  w.field("m", in.m).field("d", in.d);
  w.field("vocab_size", in.vocab_size).field("templates", in.templates);
  w.end_object();
  // Every field of the Result (core/include/vlc/result_fields.hpp).
  json::write_result_fields(w, result, words);
  w.array_field("cluster_sizes", sizes);
  w.key("kept_words");
  json::write_words(w, result.kept_nouns, words);
  w.field("total_seconds", total_seconds);
  w.key("metrics");
  if (!metrics.known) {
    w.value(nullptr);
  } else {
    w.begin_object();
    w.field("accuracy", metrics.accuracy).field("nmi", metrics.nmi).field("ari", metrics.ari);
    w.end_object();
  }
  w.key("options").begin_object();
  json::write_option_fields(w, opt);  // every row of core/include/vlc/option_table.hpp
  w.field("threads", cli.threads);
  w.key("generic_levels");
  if (cli.generic_levels < 0) w.value(nullptr); else w.value(cli.generic_levels);
  w.end_object();
  w.end_object();
  return w.str() + "\n";
}

void print_summary(const Options& opt, const Result& result, const std::vector<std::string>& words, long long m,
                   const CliSettings& cli) {
  // words come from the vocabulary file: no terminal escapes from there
  auto safe = [](const std::string& word) { return files::printable(word, true); };
  std::ostringstream s;
  s << m << " images -> " << result.k << " clusters (" << method_name(opt.method) << "), "
    << result.kept_nouns.size() << " nouns kept";
  if (cli.generic_levels >= 0)
    s << " (" << std::count(opt.noun_mask.begin(), opt.noun_mask.end(), 0) << " generic nouns of depth < "
      << cli.generic_levels << " excluded)";
  if (!words.empty() && !result.kept_nouns.empty()) {
    s << ":";
    std::size_t shown = std::min<std::size_t>(result.kept_nouns.size(), 10);
    for (std::size_t i = 0; i < shown; ++i) {
      int idx = result.kept_nouns[i];
      if (idx >= 0 && idx < static_cast<int>(words.size())) s << " " << safe(words[static_cast<std::size_t>(idx)]);
    }
    if (shown < result.kept_nouns.size()) s << " ...";
  }
  if (!result.duplicate_groups.empty()) {
    std::size_t copies = 0;
    for (const auto& g : result.duplicate_groups) copies += g.size() - 1;
    s << "\n" << copies << " near-duplicates in " << result.duplicate_groups.size()
      << " groups clustered once (--duplicate-cosine " << opt.duplicate_cosine << ")";
  }
  if (opt.k == 0)
    s << "\nK = " << result.k << " chosen by " << k_rule_name(result.k_estimate.rule) << " among " << opt.kmin << ".."
      << (result.k_estimate.candidates.empty() ? 0 : result.k_estimate.candidates.back());
  if (!words.empty() && !result.names.empty()) {
    s << "\nclusters:";
    for (const auto& cn : result.names) {
      if (cn.cluster >= 20) {
        s << " ...";
        break;
      }
      s << " " << cn.cluster << "=";
      if (!cn.nouns.empty() && cn.nouns[0] >= 0 && cn.nouns[0] < static_cast<int>(words.size()))
        s << safe(words[static_cast<std::size_t>(cn.nouns[0])]);
      else
        s << "?";
      s << "(" << cn.size << ")";
    }
  }
  std::printf("%s\n", s.str().c_str());
}

void write_stdout(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    fail("--out -: cannot write to stdout: ", std::strerror(errno));
}

int finish_stdout(int code) {
  errno = 0;
  const bool failed = std::fflush(stdout) != 0 || std::ferror(stdout) || std::fclose(stdout) != 0;
  if (!failed) return code;
  std::fprintf(stderr, "vlcluster: stdout: write error: %s\n", errno ? std::strerror(errno) : "unknown");
  return 1;
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return files::printable(s, true);
}

}  // namespace vlc::cli
