// vlcluster — the native command-line tool: cluster CLIP image embeddings with the NTK-anchored
// spectral clustering + RAD of docs/method.md, or write a synthetic dataset to try it on.
//
// Exit codes: 0 success, 1 bad data (unreadable/invalid input files, clustering failure),
// 2 bad usage (unknown option, missing or invalid argument). Every failure prints exactly one
// line on stderr: "vlcluster: <file or option>: <problem>".
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "files.hpp"
#include "json.hpp"
#include "result_json.hpp"
#include "npy.hpp"
#include "vlc/clip_faithful.hpp"
#include "vlc/cluster.hpp"
#include "vlc/error.hpp"
#include "vlc/hierarchy.hpp"
#include "vlc/metrics.hpp"
#include "vlc/parallel.hpp"
#include "vlc/synthetic.hpp"
#if defined(VLC_HAVE_MPI)
// The MPI build (-DVLC_USE_MPI=ON, docs/distributed.md): `mpirun -np N vlcluster cluster ...`.
#include "mpi/backend.hpp"
#include "mpi/read.hpp"
#include "mpi/runtime.hpp"
#endif

namespace {

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

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// ------------------------------------------------------------------------------------------
// Help texts

const char* kMainHelp =
    R"(vlcluster — cluster images by their CLIP embeddings, guided by the names of things.

Given CLIP embeddings of your images and of a vocabulary of nouns (each noun embedded under
one or more prompt templates such as "a photo of a {}."), vlcluster groups the images into K
clusters with NTK-anchored spectral clustering and Regularised Affinity Diffusion (RAD).

Usage:
  vlcluster cluster --images Z.npy --nouns T.npy --vocab words.txt --k 10 --out result.json
  vlcluster synth --out DIR            write a small synthetic dataset to try the above on
  vlcluster cluster --help             all options of `cluster`, with shapes and examples
  vlcluster synth --help               all options of `synth`
  vlcluster --version

Inputs are NumPy .npy files (np.save): float32, float16 or float64, C order.
  Z.npy      M×d     one CLIP image embedding per row (M images, dimension d)
  T.npy      B×L×d   the L vocabulary nouns embedded under each of B prompt templates
  words.txt          the L nouns, one per line, in the same order as T's rows

Try it:
  vlcluster synth --out demo --k 4 --m 400
  vlcluster cluster --images demo/images.npy --nouns demo/nouns.npy --vocab demo/words.txt \
      --k 4 --truth demo/truth.npy --out demo/result.json

Exit codes: 0 ok, 1 bad input data, 2 bad command line.
)";

const char* kClusterHelp =
    R"(vlcluster cluster — group M images into K clusters.

Usage:
  vlcluster cluster --images Z.npy --nouns T.npy [--k K|auto] [options]

Required:
  --images Z.npy       image embeddings, shape M×d (M images, CLIP dimension d, e.g. 512).
                       Rows need not be normalised; a zero or NaN row is an error.
  --nouns T.npy        noun (text) embeddings, shape B×L×d: the L nouns of the vocabulary,
                       each embedded under B prompt templates ("a photo of a {}.", ...).
                       Alternatively give --nouns once per template, each file L×d.
                       Same d as the images (same CLIP model).

Optional inputs and outputs:
  --k K                number of clusters, an integer ≥ 2 (and ≤ M), or "auto" (the default
                       when --k is not given) to estimate it (see --kmin, --kmax, --k-rule).
  --vocab words.txt    the L nouns, one per line, in the order of T's rows; lets the result
                       name the nouns kept. The line count must equal L. Or a TSV whose first
                       line is the header "word<TAB>depth..." (models/vocab/wordnet_nouns.tsv):
                       the nouns, each with its WordNet depth (for --generic-levels).
  --out result.json    write the full result as JSON (labels, kept nouns, template weights,
                       timings, graph statistics, eigenvalues, metrics, options);
                       schema: native/result.schema.json. "-" writes to stdout.
  --labels-out FILE    write the M cluster labels (0..K-1): FILE.npy (int32) or FILE.csv
                       (header "image,label", one row per image).
  --truth y.npy        true class of each image (int32/int64, shape M): prints ACC, NMI, ARI.

WordNet hierarchy filtering (off by default):
  --generic-levels N   never keep a noun whose WordNet depth is below N (entity = 0, object = 2,
                       person = 3, adult = 4, organism = 5, dog = 8): the top N levels are too
                       generic to separate images. Needs --vocab with a depth column. 5 drops
                       663 of the 11,857 nouns of wordnet_nouns.tsv; 0 drops none. Applies to
                       the noun filter of the ntk-* methods and to cmatrix's candidate nouns.
                       Off by default: no benchmark with real CLIP embeddings here shows that
                       it helps (the synthetic nouns have no hierarchy).

Automatic K (with --k auto):
  --kmin N             smallest candidate K (default 2).
  --kmax N             largest candidate K (default min(50, M-1, max(M/5, min(M/2, 9)))).
  --k-rule RULE        eigengap (default: the largest eigengap whose partition has no
                       cluster below a quarter of the mean size) or coding-length; methods
                       without a graph (kmeans, cmatrix) always use coding-length.
  --k-min-fraction F   eigengap: that quarter, F in [0, 1) (default 0.25; 0 = the plain
                       largest gap). Lower it when some true clusters are much smaller than
                       the average (long-tailed data).

Near-duplicates:
  --duplicate-cosine C images whose cosine is at least C (default 0.98) are near-duplicates:
                       each group is clustered once, its copies take its label, and the
                       groups are listed in result.json (duplicate_groups). 0 keeps them all.

Method and parameters:
  --method NAME        ntk-rad (default: NTK per template + RAD), ntk-mean (NTK per template,
                       plain mean), ntk-pe (NTK of prompt-ensembled nouns), ntk-single (NTK of
                       one template, see --template), rbf or cosine (image-only kNN graph),
                       kmeans (k-means on the image embeddings), cmatrix (k-means on the
                       image-to-noun coefficient matrix).
  --template I         template index 0..B-1 for ntk-single (default 0).
  --q N                neighbours per node in the kNN graph (default 30).
  --tau T              NTK temperature τ (default 0.04).
  --mu M               RAD pull towards the identity μ (default 0.1).
  --lambda L           RAD template-weight regulariser λ (default 10).
  --seed S             random seed, a non-negative integer (default 0).
  --threads N          worker threads (default: all cores).
  --device D           compute backend for the NTK graph, RAD and Lanczos: cpu, cuda or auto
                       (default auto: cuda when built with -DVLC_USE_CUDA=ON and a GPU is
                       present, else cpu). The device used is reported on stderr and in --out.
  --quiet              no progress display and no timing summary on stderr.

Progress (stage, percent, ETA) is drawn on stderr when it is a terminal.

Example:
  vlcluster synth --out demo --k 4 --m 400
  vlcluster cluster --images demo/images.npy --nouns demo/nouns.npy --vocab demo/words.txt \
      --k 4 --truth demo/truth.npy --labels-out demo/labels.csv --out demo/result.json

  From Python: np.save("Z.npy", image_features.astype("float32"))  # M×d
               np.save("T.npy", np.stack(per_template_text_features))  # B×L×d
)";

const char* kSynthHelp =
    R"(vlcluster synth — write a synthetic CLIP-like dataset with known classes.

Usage:
  vlcluster synth --out DIR [--m 2000] [--k 10] [--d 64] [--vocab 200] [--templates 7] [--seed 1]

Writes into DIR (created if missing):
  images.npy   M×d float32 image embeddings
  nouns.npy    B×L×d float32 noun embeddings (B templates, L = --vocab nouns)
  words.txt    the L nouns, one per line
  truth.npy    M int64 true classes 0..K-1

Classes come in pairs that look alike in image space but have distinct nouns, so text
guidance matters (an easy set: every method scores near 1).

  vlcluster synth --out DIR --setting stl10|dogs|cifar20 [--m 1500] [--d 512] [--seed 0]
                  [--taxonomy models/vocab/clip_faithful_taxonomy.tsv]
writes the CLIP-faithful benchmark data instead: a WordNet vocabulary of 2,500 nouns with
hypernyms (words.txt has a depth column), the modality gap, zero-shot calibrated to
published CLIP ViT-B/32 results; STL-10-like (10 classes), ImageNet-Dogs-like (15 breeds),
CIFAR-20-like (20 superclasses of 5 sub-types). Then:
  vlcluster cluster --images DIR/images.npy --nouns DIR/nouns.npy --vocab DIR/words.txt \
      --k K --truth DIR/truth.npy
)";

// ------------------------------------------------------------------------------------------
// Command-line parsing: "--name value", "--name=value" and flags.

struct Args {
  std::vector<std::pair<std::string, std::string>> values;  // in order, repeats allowed
  std::vector<std::string> flags;

  bool has(const std::string& name) const {
    for (auto& v : values) if (v.first == name) return true;
    return false;
  }
  bool flag(const std::string& name) const { return std::find(flags.begin(), flags.end(), name) != flags.end(); }
  std::vector<std::string> all(const std::string& name) const {
    std::vector<std::string> out;
    for (auto& v : values) if (v.first == name) out.push_back(v.second);
    return out;
  }
  std::string get(const std::string& name, const std::string& fallback = "") const {
    auto a = all(name);
    return a.empty() ? fallback : a.back();
  }
};

Args parse_args(int argc, char** argv, int start, const std::vector<std::string>& valued,
                const std::vector<std::string>& repeatable, const std::vector<std::string>& flag_names,
                const std::string& command) {
  Args args;
  for (int i = start; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || a.size() == 2)
      usage_fail(a, ": unexpected argument (options start with --; see vlcluster ", command, " --help)");
    std::string name = a, value;
    bool inline_value = false;
    auto eq = a.find('=');
    if (eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    if (std::find(flag_names.begin(), flag_names.end(), name) != flag_names.end()) {
      if (inline_value) usage_fail(name, ": takes no value");
      args.flags.push_back(name);
      continue;
    }
    if (std::find(valued.begin(), valued.end(), name) == valued.end())
      usage_fail(name, ": unknown option (see vlcluster ", command, " --help)");
    if (!inline_value) {
      if (i + 1 >= argc || (std::strncmp(argv[i + 1], "--", 2) == 0 && std::strlen(argv[i + 1]) > 2))
        usage_fail(name, ": missing value");
      value = argv[++i];
    }
    if (value.empty()) usage_fail(name, ": empty value");
    if (args.has(name) && std::find(repeatable.begin(), repeatable.end(), name) == repeatable.end())
      usage_fail(name, ": given more than once");
    args.values.emplace_back(name, value);
  }
  return args;
}

long long parse_int(const std::string& name, const std::string& text, long long min, long long max) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    usage_fail(name, ": expected an integer, got '", text, "'");
  if (v < min) usage_fail(name, ": must be at least ", min, " (got ", v, ")");
  if (v > max) usage_fail(name, ": must be at most ", max, " (got ", v, ")");
  return v;
}

std::uint64_t parse_seed(const std::string& name, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  if (text.empty() || text[0] == '-' || text[0] == '+') usage_fail(name, ": expected a non-negative integer, got '", text, "'");
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) usage_fail(name, ": expected a non-negative integer, got '", text, "'");
  return v;
}

double parse_double(const std::string& name, const std::string& text, double min, bool min_inclusive) {
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') usage_fail(name, ": expected a number, got '", text, "'");
  if (!std::isfinite(v) && errno != ERANGE) usage_fail(name, ": expected a finite number, got '", text, "'");
  // strtod's ERANGE covers both ends; a subnormal is not "not finite" (issue 14).
  if (errno == ERANGE || (v != 0 && !std::isnormal(v)))
    usage_fail(name, ": ", text, " is out of range: ",
               std::fabs(v) > 1 ? "beyond the largest double (about 1.8e308)"
                                : "below the smallest normal double (about 2.2e-308; subnormal or underflowing)");
  if (min_inclusive ? v < min : v <= min)
    usage_fail(name, ": must be ", min_inclusive ? "at least " : "greater than ", min, " (got ", text, ")");
  return v;
}

std::string ends_with_ext(const std::string& path) {
  auto dot = path.rfind('.');
  auto slash = path.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string e = path.substr(dot);
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

// ------------------------------------------------------------------------------------------
// Progress display on stderr

std::string format_seconds(double s) {
  char buf[32];
  if (s < 10) std::snprintf(buf, sizeof buf, "%.2fs", s);
  else std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}

  void update(const std::string& stage, double fraction) {
    if (!enabled_) return;
    auto now = Clock::now();
    if (stage != stage_) {
      stage_ = stage;
      stage_start_ = now;
      last_draw_ = Clock::time_point{};
    }
    fraction = std::clamp(fraction, 0.0, 1.0);
    if (fraction < 1.0 && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    double elapsed = std::chrono::duration<double>(now - stage_start_).count();
    char line[160];
    int n = std::snprintf(line, sizeof line, "\r  %-8s %3d%%", stage.c_str(), static_cast<int>(fraction * 100 + 1e-9));
    std::string text(line, static_cast<std::size_t>(std::max(n, 0)));
    if (fraction > 0.01 && fraction < 1.0 && elapsed > 0.5) {
      double eta = elapsed * (1 - fraction) / fraction;
      text += "  ETA " + format_duration(eta);
    } else if (fraction >= 1.0) {
      text += "  " + format_seconds(elapsed);
    }
    text += "\033[K";
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
    drawn_ = true;
  }

  // Clears the progress line so the next output starts on a clean line.
  void clear() {
    if (enabled_ && drawn_) {
      std::fputs("\r\033[K", stderr);
      std::fflush(stderr);
      drawn_ = false;
    }
  }

  static std::string format_duration(double s) {
    char buf[32];
    if (s < 60) std::snprintf(buf, sizeof buf, "%.0fs", std::ceil(s));
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(s) % 60);
    else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
    return buf;
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  std::string stage_;
  Clock::time_point stage_start_, last_draw_;
};

// ------------------------------------------------------------------------------------------
// Input helpers

// A vocabulary file: one noun per line, or a TSV whose first line is a header naming its
// columns, "word<TAB>depth<TAB>..." (models/vocab/wordnet_nouns.tsv; what
// models/build_text_assets.mjs reads): words from the "word" column, WordNet depths from the
// "depth" column (an empty depth or -1 = not in WordNet).
struct Vocabulary {
  std::vector<std::string> words;
  std::vector<int> depths;  // one per word when the file has a depth column, else empty
  std::vector<int> parents; // one per word when the file has a parent column (row of the hypernym, -1), else empty
};

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
    out.push_back(line.substr(start, tab - start));
  out.push_back(line.substr(start));
  return out;
}

int parse_depth(const std::string& path, std::size_t line_number, const std::string& text) {
  if (text.empty()) return -1;
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || v < -1 || v > 1000)
    vlc::fail(path, ": line ", line_number, ": depth \"", vlc::files::printable(text),
              "\" is not a WordNet depth (an integer ≥ 0, 0 = the root \"entity\"; -1 or empty = unknown)");
  return static_cast<int>(v);
}

// Bounds of a words file (issue 14: `--vocab /dev/zero` was read up to 1 GB). The largest
// vocabulary here, models/vocab/wordnet_nouns.tsv, is 0.25 MB with lines of at most 54 bytes.
constexpr std::size_t kVocabMaxBytes = std::size_t{64} << 20;
constexpr std::size_t kVocabMaxLine = 4096;

// The whole words file, refused when it is too large or in an encoding whose lines would be
// miscounted: UTF-16 (NUL bytes) and CR-only line ends (one single "line").
std::string read_vocab_text(const std::string& path) {
  vlc::files::InputFile file(path);
  if (file.size() > kVocabMaxBytes)
    vlc::fail(path, ": is ", file.size(), " bytes, above the limit of ", kVocabMaxBytes >> 20,
              " MiB for a vocabulary (one noun per line); is it the right file?");
  std::string text(file.size(), '\0');
  file.read_at(0, text.size(), text.data());
  if (text.rfind("\xff\xfe", 0) == 0 || text.rfind("\xfe\xff", 0) == 0)
    vlc::fail(path, ": is UTF-16 encoded (it starts with a UTF-16 byte-order mark); save it as UTF-8, one noun per line");
  if (const auto nul = text.find('\0'); nul != std::string::npos)
    vlc::fail(path, ": contains a NUL byte (at byte ", nul, "): UTF-16 or binary, not a UTF-8 text file; "
              "save it as UTF-8, one noun per line");
  for (std::size_t cr = text.find('\r'); cr != std::string::npos; cr = text.find('\r', cr + 1))
    if (cr + 1 == text.size() || text[cr + 1] != '\n')
      vlc::fail(path, ": line ", std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(cr), '\n') + 1,
                " has a carriage return (CR) that is not followed by a line feed: CR-only (old Mac) line ends? "
                "Use LF or CRLF line ends");
  return text;
}

std::vector<std::string> vocab_lines(const std::string& path, const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end - start > kVocabMaxLine)
      vlc::fail(path, ": line ", lines.size() + 1, " is longer than ", kVocabMaxLine,
                " bytes; a vocabulary has one noun per line");
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lines.empty() && line.rfind("\xef\xbb\xbf", 0) == 0) line = line.substr(3);  // UTF-8 BOM
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

Vocabulary read_vocab(const std::string& path) {
  std::vector<std::string> lines = vocab_lines(path, read_vocab_text(path));
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  Vocabulary v;
  // A header "word<TAB>...": the columns by name; otherwise every line is one noun.
  std::size_t first = 0, depth_column = 0, parent_column = 0;  // 0: none (column 0 is the word)
  if (!lines.empty() && lines[0].rfind("word\t", 0) == 0) {
    first = 1;
    const std::vector<std::string> header = split_tabs(lines[0]);
    for (std::size_t c = 1; c < header.size(); ++c)
      if (header[c] == "depth") depth_column = c;
      else if (header[c] == "parent") parent_column = c;
  }
  for (std::size_t i = first; i < lines.size(); ++i) {
    const std::size_t line_number = i + 1;
    if (lines[i].find_first_not_of(" \t") == std::string::npos)
      vlc::fail(path, ": line ", line_number, " is empty (expected one noun per line)");
    if (first == 0) {
      v.words.push_back(lines[i]);
      continue;
    }
    const std::vector<std::string> fields = split_tabs(lines[i]);
    if (fields[0].find_first_not_of(' ') == std::string::npos)
      vlc::fail(path, ": line ", line_number, " has an empty word (the first tab-separated field)");
    v.words.push_back(fields[0]);
    if (depth_column > 0) {
      if (fields.size() <= depth_column)
        vlc::fail(path, ": line ", line_number, " has no depth: ", fields.size(),
                  " tab-separated field(s), but the header puts \"depth\" in column ", depth_column + 1);
      v.depths.push_back(parse_depth(path, line_number, fields[depth_column]));
    }
    if (parent_column > 0) {
      // The hypernym's row among the words (0-based, -1 for none): names prefer specific nouns.
      const std::string text = fields.size() > parent_column ? fields[parent_column] : "";
      char* end = nullptr;
      const long parent = std::strtol(text.c_str(), &end, 10);
      const long row = static_cast<long>(v.words.size()) - 1;
      if (text.empty() || *end != '\0' || parent < -1 || parent == row)
        vlc::fail(path, ": line ", line_number, ": parent \"", vlc::files::printable(text),
                  "\" is not a word's row (0-based, other than its own) or -1");
      v.parents.push_back(static_cast<int>(parent));
    }
  }
  if (v.words.empty()) vlc::fail(path, ": no words (expected one noun per line)");
  for (std::size_t r = 0; r < v.parents.size(); ++r)
    if (v.parents[r] >= static_cast<int>(v.words.size()))
      vlc::fail(path, ": word ", r + 1, " (", vlc::files::printable(v.words[r]), "): parent row ", v.parents[r],
                " is past the last word (", v.words.size() - 1, ")");
  return v;
}

// Every row must be finite and non-zero (it is L2-normalised later).
void check_rows(const vlc::RowMatrixF& m, const std::string& file, const std::string& row_name) {
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    bool zero = true;
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      float v = m(i, j);
      if (!std::isfinite(v))
        vlc::fail(file, ": ", row_name, i, " contains a non-finite value (", v, ") in column ", j);
      if (v != 0) zero = false;
    }
    if (zero) vlc::fail(file, ": ", row_name, i, " is all zeros and cannot be normalised");
  }
}

// One line for the terminal: line breaks become spaces, other control bytes (an escape
// sequence from a file name or a word) \xNN; UTF-8 (the messages' "×", "≥") is kept.
std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return vlc::files::printable(s, true);
}

// Caps on the options whose cost grows with their value (issue 14): beyond them a run takes
// hours or runs out of memory, far from any useful setting.
constexpr int kMaxNeighbours = 1000;  // --q (default 30): the kNN graph has M·q edges per template
constexpr int kMaxCandidateK = 1000;  // --kmin/--kmax: one eigenvector and one k-means per candidate

// More threads than the hardware has only adds contention (--threads 4096 turned 0.13 s into
// 33 s): capped at the hardware count, with a warning.
int cap_threads(int requested, bool quiet) {
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  if (hardware <= 0 || requested <= hardware) return requested;
  if (!quiet)
    std::fprintf(stderr, "vlcluster: warning: --threads %d is more than the %d hardware threads; using %d\n", requested,
                 hardware, hardware);
  return hardware;
}

struct NamedPath {
  std::string option, path;
};

// Inputs must be regular files (a FIFO would block the read forever, a device is endless);
// outputs must be writable and must not be an input or each other, or writing one would
// destroy the other (issue 14). Input problems are bad data (exit 1), clashes bad usage (2).
void check_files(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs) {
  std::vector<vlc::files::FileIdentity> input_ids;
  for (const auto& in : inputs) {
    try {
      vlc::files::InputFile probe(in.path);  // opens without blocking, checks the type
    } catch (const vlc::Error& e) {
      vlc::fail(in.option, ": ", e.what());
    }
    input_ids.push_back(vlc::files::identify(in.path));
  }
  std::vector<vlc::files::FileIdentity> output_ids;
  for (const auto& out : outputs) {
    try {
      vlc::files::OutputSet::check_writable(out.path);
    } catch (const vlc::Error& e) {
      vlc::fail(out.option, ": ", e.what());
    }
    const vlc::files::FileIdentity id = vlc::files::identify(out.path);
    for (std::size_t i = 0; i < inputs.size(); ++i)
      if (id == input_ids[i])
        usage_fail(out.option, " ", out.path, " is the same file as ", inputs[i].option, " ", inputs[i].path,
                   ": writing it would destroy that input; choose another output path");
    for (std::size_t i = 0; i < output_ids.size(); ++i)
      if (id == output_ids[i])
        usage_fail(out.option, " ", out.path, " is the same file as ", outputs[i].option, " ", outputs[i].path,
                   "; give each output its own path");
    output_ids.push_back(id);
  }
}

// Results the core returns without complaint but that mean nothing (issue 14): a graph
// without edges (τ so extreme that every NTK affinity underflows: the labels are arbitrary)
// and template weights β off the simplex (λ so small that RAD's step breaks down). Checked
// here, where the option to blame is known; it costs a pass over B + 1 numbers.
void check_result(const vlc::Result& r, const vlc::Options& opt) {
  const bool ntk = opt.method == vlc::Method::NtkRad || opt.method == vlc::Method::NtkMean ||
                   opt.method == vlc::Method::NtkPe || opt.method == vlc::Method::NtkSingle;
  for (const auto& g : r.graphs)
    if (g.nodes > 1 && g.edges == 0) {
      if (ntk)
        vlc::fail("--tau ", opt.tau, ": the NTK graph has no edges (τ is so extreme that no affinity survives); "
                  "use a τ nearer the default 0.04");
      vlc::fail("--q ", opt.q, ": the kNN graph has no edges; try a larger --q");
    }
  if (r.beta.size() == 0) return;
  double sum = 0;
  bool on_simplex = true;
  for (Eigen::Index i = 0; i < r.beta.size(); ++i) {
    on_simplex = on_simplex && std::isfinite(r.beta[i]) && r.beta[i] >= -1e-12;
    sum += r.beta[i];
  }
  if (!on_simplex || std::fabs(sum - 1) > 1e-6)
    vlc::fail("--lambda ", opt.rad.lambda, ": RAD's template weights β do not lie on the simplex (they sum to ", sum,
              ", not 1); use a λ nearer the default 10");
}

// The bytes of --labels-out: FILE.npy (int32) or FILE.csv ("image,label", one row per image).
std::string labels_file_bytes(const std::string& path, const vlc::Labels& labels) {
  if (ends_with_ext(path) == ".npy") return vlc::npy::encode_labels(labels, vlc::npy::DType::Int32);
  std::string csv = "image,label\n";
  csv.reserve(csv.size() + labels.size() * 8);
  for (std::size_t i = 0; i < labels.size(); ++i) csv += std::to_string(i) + "," + std::to_string(labels[i]) + "\n";
  return csv;
}

// `--out -`: the JSON on stdout, flushed and checked (`--out - > /dev/full` exited 0).
void write_stdout(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    vlc::fail("--out -: cannot write to stdout: ", std::strerror(errno));
}

// Every command's exit: stdout flushed and closed, a write error there is exit 1 (the report
// and the metrics go to stdout too).
int finish_stdout(int code) {
  errno = 0;
  const bool failed = std::fflush(stdout) != 0 || std::ferror(stdout) || std::fclose(stdout) != 0;
  if (!failed) return code;
  std::fprintf(stderr, "vlcluster: stdout: write error: %s\n", errno ? std::strerror(errno) : "unknown");
  return 1;
}

// Truth labels may be any integers: map them to 0..C-1 in order of first appearance.
vlc::Labels compact_labels(const vlc::Labels& y) {
  std::map<int, int> ids;
  vlc::Labels out(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    auto it = ids.find(y[i]);
    if (it == ids.end()) it = ids.emplace(y[i], static_cast<int>(ids.size())).first;
    out[i] = it->second;
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// vlcluster cluster

int run_cluster(int argc, char** argv) {
  for (int i = 2; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(kClusterHelp, stdout);
      return 0;
    }
  Args args = parse_args(argc, argv, 2,
                         {"--images", "--nouns", "--vocab", "--k", "--out", "--labels-out", "--truth", "--method",
                          "--q", "--tau", "--mu", "--lambda", "--seed", "--threads", "--template", "--kmin", "--kmax",
                          "--k-rule", "--k-min-fraction", "--device", "--generic-levels", "--duplicate-cosine"},
                         {"--nouns"}, {"--quiet"}, "cluster");
  const bool quiet = args.flag("--quiet");
  const auto t_start = Clock::now();

  // --- options (all usage errors before any file is read)
  if (!args.has("--images")) usage_fail("--images: missing (the M×d image embeddings, a .npy file)");
  if (!args.has("--nouns")) usage_fail("--nouns: missing (the B×L×d noun embeddings, a .npy file)");
  const std::string images_path = args.get("--images");
  const std::vector<std::string> noun_paths = args.all("--nouns");
  const std::string vocab_path = args.get("--vocab");
  const std::string out_path = args.get("--out");
  const std::string labels_path = args.get("--labels-out");
  const std::string truth_path = args.get("--truth");

  vlc::Options opt;
  // No --k means "auto" (issue 7: automatic K is the default when no K is given).
  const std::string k_text = args.has("--k") ? args.get("--k") : "auto";
  const bool k_auto = k_text == "auto";
  if (args.has("--duplicate-cosine")) {
    opt.duplicate_cosine = parse_double("--duplicate-cosine", args.get("--duplicate-cosine"), 0, true);
    if (opt.duplicate_cosine > 1) usage_fail("--duplicate-cosine: must be in [0, 1] (got ", args.get("--duplicate-cosine"), ")");
  }
  if (k_auto) {
    opt.k = 0;  // estimate K (core/include/vlc/estimate_k.hpp)
    if (args.has("--kmin")) opt.kmin = static_cast<int>(parse_int("--kmin", args.get("--kmin"), 2, kMaxCandidateK));
    if (args.has("--kmax")) opt.kmax = static_cast<int>(parse_int("--kmax", args.get("--kmax"), opt.kmin, kMaxCandidateK));
    if (args.has("--k-min-fraction")) {
      opt.k_min_cluster_fraction = parse_double("--k-min-fraction", args.get("--k-min-fraction"), 0, true);
      if (opt.k_min_cluster_fraction >= 1) usage_fail("--k-min-fraction: must be below 1 (got ", args.get("--k-min-fraction"), ")");
    }
    if (args.has("--k-rule")) {
      try {
        opt.k_rule = vlc::parse_k_rule(args.get("--k-rule"));
      } catch (const std::exception& e) {
        usage_fail("--k-rule: ", e.what());
      }
    }
  } else {
    opt.k = static_cast<int>(parse_int("--k", k_text, 2, 1 << 30));
    for (const char* o : {"--kmin", "--kmax", "--k-rule", "--k-min-fraction"})
      if (args.has(o)) usage_fail(o, ": only applies with --k auto");
  }
  if (args.has("--method")) {
    try {
      opt.method = vlc::parse_method(args.get("--method"));
    } catch (const std::exception& e) {
      usage_fail("--method: ", e.what());
    }
  }
  if (args.has("--q")) opt.q = static_cast<int>(parse_int("--q", args.get("--q"), 1, kMaxNeighbours));
  if (args.has("--tau")) opt.tau = parse_double("--tau", args.get("--tau"), 0, false);
  if (args.has("--mu")) opt.rad.mu = parse_double("--mu", args.get("--mu"), 0, false);  // RAD needs μ > 0
  if (args.has("--lambda")) opt.rad.lambda = parse_double("--lambda", args.get("--lambda"), 0, false);
  if (args.has("--seed")) opt.seed = parse_seed("--seed", args.get("--seed"));
  if (args.has("--template")) {
    if (opt.method != vlc::Method::NtkSingle) usage_fail("--template: only applies to --method ntk-single");
    opt.template_index = static_cast<int>(parse_int("--template", args.get("--template"), 0, 1 << 30));
  }
  if (args.has("--device")) {
    try {
      opt.device = vlc::parse_device(args.get("--device"));
    } catch (const std::exception& e) {
      usage_fail("--device: ", e.what());
    }
  }
  // WordNet hierarchy filtering (core/include/vlc/hierarchy.hpp): -1 = off.
  int generic_levels = -1;
  if (args.has("--generic-levels")) {
    generic_levels = static_cast<int>(parse_int("--generic-levels", args.get("--generic-levels"), 0, 1000));
    if (vocab_path.empty())
      usage_fail("--generic-levels: needs --vocab with a depth column (a TSV whose first line is \"word<TAB>depth\", "
                 "like models/vocab/wordnet_nouns.tsv)");
  }
  int threads = 0;
  if (args.has("--threads")) threads = static_cast<int>(parse_int("--threads", args.get("--threads"), 1, 4096));
  if (!labels_path.empty()) {
    auto e = ends_with_ext(labels_path);
    if (e != ".npy" && e != ".csv") usage_fail("--labels-out: ", labels_path, ": must end in .npy or .csv");
  }

  // --- files: every input a regular file, every output writable and none of them an input or
  // another output, all before any work (issue 14)
  std::vector<NamedPath> inputs = {{"--images", images_path}};
  for (const auto& p : noun_paths) inputs.push_back({"--nouns", p});
  if (!vocab_path.empty()) inputs.push_back({"--vocab", vocab_path});
  if (!truth_path.empty()) inputs.push_back({"--truth", truth_path});
  std::vector<NamedPath> outputs;
  if (!labels_path.empty()) outputs.push_back({"--labels-out", labels_path});
  if (!out_path.empty() && out_path != "-") outputs.push_back({"--out", out_path});
  check_files(inputs, outputs);

  if (threads > 0) vlc::set_threads(cap_threads(threads, quiet));

  Progress progress(!quiet && isatty(STDERR_FILENO));
  std::vector<vlc::StageTiming> timings;

  // --- read and check the inputs
  auto t_read = Clock::now();
  progress.update("read", 0);
#if defined(VLC_HAVE_MPI)
  vlc::RowMatrixF images = vlc::mpi::read_matrix_by_blocks(images_path, "M×d (images × embedding dimension)");
#else
  vlc::RowMatrixF images = vlc::npy::read_matrix(images_path, "M×d (images × embedding dimension)");
#endif
  const Eigen::Index m = images.rows(), d = images.cols();
  // Without --q, small sets get q = max(1, min(30, ⌊(M−1)/3⌋)), as the npm package's defaultQ:
  // q must be below M, and a neighbourhood of a third of all images no longer separates clusters.
  if (!args.has("--q") && opt.q >= m)
    opt.q = static_cast<int>(std::max<Eigen::Index>(1, std::min<Eigen::Index>(30, (m - 1) / 3)));
  std::vector<vlc::RowMatrixF> templates;
  std::vector<std::string> template_file;  // which file each template came from
  for (const auto& p : noun_paths) {
    auto t = vlc::npy::read_templates(p);
    for (auto& x : t) {
      if (x.cols() != d)
        vlc::fail(p, ": embedding dimension ", x.cols(), " does not match ", images_path, " (", d,
                  "); images and nouns must come from the same CLIP model");
      if (!templates.empty() && x.rows() != templates[0].rows())
        vlc::fail(p, ": has ", x.rows(), " nouns per template but ", template_file[0], " has ",
                  templates[0].rows(), "; every template must embed the same vocabulary");
      templates.push_back(std::move(x));
      template_file.push_back(p);
    }
  }
  const Eigen::Index vocab_size = templates[0].rows();
  const int n_templates = static_cast<int>(templates.size());
  std::vector<std::string> words;
  if (!vocab_path.empty()) {
    Vocabulary vocabulary = read_vocab(vocab_path);
    words = std::move(vocabulary.words);
    if (static_cast<Eigen::Index>(words.size()) != vocab_size)
      vlc::fail(vocab_path, ": has ", words.size(), " words but ", noun_paths[0], " has L = ", vocab_size,
                " nouns per template; the vocabulary needs one word per line for each noun");
    opt.naming.parent = vocabulary.parents;
    if (generic_levels >= 0) {
      if (vocabulary.depths.empty())
        vlc::fail(vocab_path, ": has no depth column; --generic-levels needs a TSV vocabulary whose first line is "
                  "\"word<TAB>depth\" (WordNet depths, like models/vocab/wordnet_nouns.tsv)");
      opt.noun_mask = vlc::hierarchy_mask(vocabulary.depths, generic_levels);
    }
  }
  vlc::Labels truth;
  if (!truth_path.empty()) {
    truth = vlc::npy::read_labels(truth_path);
    if (static_cast<Eigen::Index>(truth.size()) != m)
      vlc::fail(truth_path, ": has ", truth.size(), " labels but ", images_path, " has M = ", m, " images");
  }
  if (m < 2) vlc::fail(images_path, ": only ", m, " image; at least 2 are needed");
  if (!k_auto && opt.k > m) vlc::fail(images_path, ": --k ", opt.k, " is more than the M = ", m, " images");
  if (opt.method == vlc::Method::NtkSingle && opt.template_index >= n_templates)
    usage_fail("--template: ", opt.template_index, " is out of range: there are ", n_templates,
               " templates (0..", n_templates - 1, ")");
  check_rows(images, images_path, "image row ");
  for (int b = 0; b < n_templates; ++b) {
    std::string prefix = n_templates > 1 && noun_paths.size() == 1 ? "template " + std::to_string(b) + ", noun row " : "noun row ";
    check_rows(templates[static_cast<std::size_t>(b)], template_file[static_cast<std::size_t>(b)], prefix);
  }
  timings.push_back({"read", seconds_since(t_read)});

  // --- cluster
  opt.progress = [&progress](const std::string& stage, double f) { progress.update(stage, f); };
#if defined(VLC_HAVE_MPI)
  if (opt.device == vlc::Device::Cuda) usage_fail("--device cuda: the MPI build runs on the ranks' CPUs");
  opt.backend = vlc::mpi::make_backend();
#endif
  vlc::Result result;
  try {
    result = vlc::cluster(images, templates, opt);
  } catch (const vlc::Error& e) {
    progress.clear();
    vlc::fail(images_path, ": ", e.what());
  }
  progress.clear();
  check_result(result, opt);
  for (const auto& t : result.timings) timings.push_back(t);
#if defined(VLC_HAVE_MPI)
  if (!vlc::mpi::is_root()) return 0;  // every rank holds the result; rank 0 writes it
#endif

  // --- metrics
  double acc = 0, nmi = 0, ari = 0;
  if (!truth.empty()) {
    vlc::Labels y = compact_labels(truth);
    acc = vlc::accuracy(y, result.labels);
    nmi = vlc::nmi(y, result.labels);
    ari = vlc::ari(y, result.labels);
  }

  // --- outputs
  // All or none: every file is staged as a temporary first and renamed at the end (stdout,
  // which cannot be taken back, before the renames).
  auto t_write = Clock::now();
  vlc::files::OutputSet staged;
  if (!labels_path.empty()) staged.stage(labels_path, labels_file_bytes(labels_path, result.labels));
  std::vector<long long> sizes(static_cast<std::size_t>(std::max(result.k, 0)), 0);
  for (int l : result.labels)
    if (l >= 0 && l < result.k) ++sizes[static_cast<std::size_t>(l)];

  if (!out_path.empty()) {
    double write_partial = seconds_since(t_write);
    double total = seconds_since(t_start);
    vlc::json::Writer w;
    w.begin_object();
    w.field("tool", "vlcluster").field("version", kVersion);
    w.field("method", vlc::method_name(opt.method));
    w.key("input").begin_object();
    w.field("images", images_path).key("nouns").begin_array(true);
    for (auto& p : noun_paths) w.value(p);
    w.end_array();
    w.key("vocab");
    if (vocab_path.empty()) w.value(nullptr); else w.value(vocab_path);
    w.key("truth");
    if (truth_path.empty()) w.value(nullptr); else w.value(truth_path);
    w.field("m", static_cast<long long>(m)).field("d", static_cast<long long>(d));
    w.field("vocab_size", static_cast<long long>(vocab_size)).field("templates", n_templates);
    w.end_object();
    // Every field of the Result (core/include/vlc/result_fields.hpp), the CLI's own stages
    // (read, write) among the timings.
    vlc::Result shown = result;
    shown.timings = timings;
    shown.timings.push_back({"write", write_partial});
    vlc::json::write_result_fields(w, shown, words);
    w.array_field("cluster_sizes", sizes);
    w.key("kept_words");
    vlc::json::write_words(w, result.kept_nouns, words);
    w.field("total_seconds", total);
    w.key("metrics");
    if (truth.empty()) {
      w.value(nullptr);
    } else {
      w.begin_object(); w.field("accuracy", acc).field("nmi", nmi).field("ari", ari); w.end_object();
    }
    w.key("options").begin_object();
    if (k_auto) w.field("k", "auto"); else w.field("k", opt.k);
    w.field("kmin", opt.kmin).field("kmax", opt.kmax).field("k_rule", vlc::k_rule_name(opt.k_rule));
    w.field("k_min_fraction", opt.k_min_cluster_fraction).field("duplicate_cosine", opt.duplicate_cosine);
    w.field("method", vlc::method_name(opt.method)).field("q", opt.q).field("tau", opt.tau);
    w.field("mu", opt.rad.mu).field("lambda", opt.rad.lambda).field("seed", static_cast<unsigned long long>(opt.seed));
    w.field("threads", vlc::max_threads()).field("template", opt.template_index);
    w.field("device", result.device);
    w.key("generic_levels");
    if (generic_levels < 0) w.value(nullptr); else w.value(generic_levels);
    w.end_object();
    w.end_object();
    std::string text = w.str() + "\n";
    if (out_path == "-") {
      write_stdout(text);
    } else {
      staged.stage(out_path, text);
    }
  }
  staged.commit();
  timings.push_back({"write", seconds_since(t_write)});

  // --- report
  if (!quiet && out_path != "-") {
    // words come from the vocabulary file: no terminal escapes from there
    auto safe = [](const std::string& word) { return vlc::files::printable(word, true); };
    std::ostringstream s;
    s << m << " images -> " << result.k << " clusters (" << vlc::method_name(opt.method) << "), "
      << result.kept_nouns.size() << " nouns kept";
    if (generic_levels >= 0)
      s << " (" << std::count(opt.noun_mask.begin(), opt.noun_mask.end(), 0) << " generic nouns of depth < "
        << generic_levels << " excluded)";
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
    if (k_auto)
      s << "\nK = " << result.k << " chosen by " << vlc::k_rule_name(result.k_estimate.rule) << " among "
        << opt.kmin << ".." << (result.k_estimate.candidates.empty() ? 0 : result.k_estimate.candidates.back());
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
  if (!truth.empty()) {
    // the metrics go to stdout unless it carries the JSON
    std::FILE* to = out_path == "-" ? stderr : stdout;
    std::fprintf(to, "ACC %.4f  NMI %.4f  ARI %.4f\n", acc, nmi, ari);
  }
  if (!quiet) {
    std::ostringstream s;
    s << "vlcluster: device " << result.device << "; timings:";
    for (const auto& t : timings) s << " " << t.stage << " " << format_seconds(t.seconds);
    s << ", total " << format_seconds(seconds_since(t_start));
    std::fprintf(stderr, "%s\n", s.str().c_str());
  }
  std::fflush(stdout);
  return 0;
}

// ------------------------------------------------------------------------------------------
// vlcluster synth

// Writes a dataset in the layout of the classic synth (words.txt: --setting adds depth and parent columns).
void write_dataset(const std::string& dir, const vlc::RowMatrixF& images, const std::vector<vlc::RowMatrixF>& templates,
                   const vlc::Labels& truth, const std::string& words) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) vlc::fail(dir, ": cannot create folder: ", ec ? ec.message() : "not a folder");
  auto path = [&dir](const char* name) { return (std::filesystem::path(dir) / name).string(); };
  vlc::npy::write_matrix(path("images.npy"), images);
  vlc::npy::write_templates(path("nouns.npy"), templates);
  vlc::npy::write_labels(path("truth.npy"), truth, vlc::npy::DType::Int64);
  vlc::files::write_atomically(path("words.txt"), words);
}

// vlcluster synth --setting stl10|dogs|cifar20: the CLIP-faithful generator (vlc/clip_faithful.hpp).
int run_synth_clip_faithful(const Args& args) {
  for (const char* o : {"--k", "--vocab"})
    if (args.has(o)) usage_fail(o, ": not with --setting (the setting fixes the classes and the WordNet vocabulary)");
  const std::string taxonomy_path = args.has("--taxonomy") ? args.get("--taxonomy") : "models/vocab/clip_faithful_taxonomy.tsv";
  const vlc::files::InputFile file(taxonomy_path);
  if (file.size() > (64u << 20)) vlc::fail(taxonomy_path, ": ", file.size(), " bytes; a taxonomy is a few hundred KB");
  std::string text(file.size(), '\0');
  file.read_at(0, text.size(), text.data());
  vlc::Taxonomy tax;
  try {
    tax = vlc::parse_taxonomy(text);
  } catch (const vlc::Error& e) {
    vlc::fail(taxonomy_path, ": ", e.what());
  }
  vlc::ClipFaithfulOptions o;
  o.setting = args.get("--setting");
  o.m = 1500;
  o.d = 512;
  const int big = 1 << 24;
  if (args.has("--m")) o.m = static_cast<int>(parse_int("--m", args.get("--m"), 2, big));
  if (args.has("--d")) o.d = static_cast<int>(parse_int("--d", args.get("--d"), 16, 4096));
  if (args.has("--templates")) o.templates = static_cast<int>(parse_int("--templates", args.get("--templates"), 1, 7));
  if (args.has("--seed")) o.seed = parse_seed("--seed", args.get("--seed"));
  const vlc::ClipFaithfulData data = vlc::make_clip_faithful(tax, o);
  std::string words;
  for (std::size_t r = 0; r < tax.words.size(); ++r)
    words += tax.words[r] + "\t" + std::to_string(tax.depth[r]) + "\t" + std::to_string(tax.parent[r]) + "\n";
  write_dataset(args.get("--out"), data.images, data.templates, data.truth, "word\tdepth\tparent\n" + words);
  if (!args.flag("--quiet")) {
    const vlc::ClipStats s = vlc::measure_clip_stats(data);
    std::printf("wrote %s: CLIP-faithful %s, %d images × %d, %zu classes, %zu nouns × %d templates\n"
                "statistics: image–name cosine %.3f matched / %.3f unmatched, image cosine %.3f within / %.3f "
                "between classes, zero-shot top-1 %.1f%%\n",
                args.get("--out").c_str(), o.setting.c_str(), o.m, o.d, data.class_noun.size(), tax.words.size(),
                o.templates, s.matched_cosine, s.unmatched_cosine, s.image_within, s.image_between, 100 * s.zero_shot);
  }
  return 0;
}

int run_synth(int argc, char** argv) {
  for (int i = 2; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(kSynthHelp, stdout);
      return 0;
    }
  Args args = parse_args(argc, argv, 2,
                         {"--out", "--m", "--k", "--d", "--vocab", "--templates", "--seed", "--setting", "--taxonomy"}, {},
                         {"--quiet"}, "synth");
  if (!args.has("--out")) usage_fail("--out: missing (the folder to write the dataset into)");
  if (args.has("--setting")) return run_synth_clip_faithful(args);
  vlc::SyntheticOptions so;
  so.m = 2000;
  so.k = 10;
  so.d = 64;
  so.vocab = 200;
  so.templates = 7;
  so.seed = 1;
  const int big = 1 << 30;
  if (args.has("--m")) so.m = static_cast<int>(parse_int("--m", args.get("--m"), 2, big));
  if (args.has("--k")) so.k = static_cast<int>(parse_int("--k", args.get("--k"), 2, big));
  if (args.has("--d")) so.d = static_cast<int>(parse_int("--d", args.get("--d"), 2, 1 << 16));
  if (args.has("--vocab")) so.vocab = static_cast<int>(parse_int("--vocab", args.get("--vocab"), 1, big));
  if (args.has("--templates")) so.templates = static_cast<int>(parse_int("--templates", args.get("--templates"), 1, 1024));
  if (args.has("--seed")) so.seed = parse_seed("--seed", args.get("--seed"));
  if (so.k > so.m) usage_fail("--k: ", so.k, " classes need at least as many images (--m ", so.m, ")");
  if (so.vocab < so.k) usage_fail("--vocab: ", so.vocab, " nouns is fewer than the ", so.k, " classes (--k)");
  if (static_cast<double>(so.m) * so.d > 5e8 || static_cast<double>(so.templates) * so.vocab * so.d > 5e8)
    usage_fail("--m/--vocab/--d: dataset too large for synth");

  const std::string dir = args.get("--out");
  vlc::SyntheticData data = vlc::make_synthetic(so);
  std::string words;
  for (const auto& w : data.words) words += w + "\n";
  write_dataset(dir, data.images, data.templates, data.truth, words);
  if (!args.flag("--quiet")) {
    std::printf("wrote %s: images.npy (%lld×%lld), nouns.npy (%zu×%lld×%lld), words.txt (%zu), truth.npy (%zu, %d classes)\n",
                dir.c_str(), static_cast<long long>(data.images.rows()), static_cast<long long>(data.images.cols()),
                data.templates.size(),
                static_cast<long long>(data.templates.empty() ? 0 : data.templates[0].rows()),
                static_cast<long long>(data.templates.empty() ? 0 : data.templates[0].cols()), data.words.size(),
                data.truth.size(), so.k);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
#if defined(VLC_HAVE_MPI)
  vlc::mpi::Runtime mpi_runtime(&argc, &argv);
  // Every rank runs the same steps and meets the same errors: rank 0 alone speaks and writes.
  if (!vlc::mpi::is_root()) {
    vlc::mpi::quiet_rank();
    if (argc >= 2 && !std::strcmp(argv[1], "synth")) return 0;
  }
  // An error ends the whole job (runtime.hpp: fail_job): a rank that fails alone must not leave
  // the others waiting in a collective.
  auto report = [](int code, const std::string& message) { return vlc::mpi::fail_job(code, message.c_str()); };
#else
  auto report = [](int code, const std::string& message) {
    std::fprintf(stderr, "vlcluster: %s\n", message.c_str());
    return code;
  };
#endif
  try {
    if (argc < 2) {
      std::fputs(kMainHelp, stderr);
      return 2;
    }
    std::string cmd = argv[1];
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::fputs(kMainHelp, stdout);
      return finish_stdout(0);
    }
    if (cmd == "--version") {
      std::printf("vlcluster %s\n", kVersion);
      return finish_stdout(0);
    }
    if (cmd == "cluster") return finish_stdout(run_cluster(argc, argv));
    if (cmd == "synth") return finish_stdout(run_synth(argc, argv));
    usage_fail(cmd, ": unknown command (commands: cluster, synth; see vlcluster --help)");
  } catch (const UsageError& e) {
    return report(2, one_line(e.what()));
  } catch (const vlc::Error& e) {
    return report(1, one_line(e.what()));
  } catch (const std::bad_alloc&) {
#if defined(VLC_HAVE_MPI)
    if (vlc::mpi::size() > 1) vlc::mpi::fail_job(1, "out of memory (run with more ranks, a smaller --q, or nodes with more RAM)");
#endif
    std::fprintf(stderr, "vlcluster: out of memory (try fewer images, a smaller --q, or a machine with more RAM)\n");
    // Out without the exit handlers: Eigen's DenseStorage::resize frees before it allocates,
    // so a matrix whose resize threw keeps a dangling pointer, and the core's thread_local
    // scratch (ntk_sparse.cpp) would free it again at exit: SIGSEGV after the message.
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(1);
  } catch (const std::exception& e) {
    return report(1, "internal error: " + one_line(e.what()));
  } catch (...) {
    return report(1, "internal error (unknown exception)");
  }
}
