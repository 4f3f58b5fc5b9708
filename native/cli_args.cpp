#include "cli_args.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "vlc/error.hpp"
#include "vlc/option_table.hpp"

namespace vlc::cli {

bool Args::has(const std::string& name) const {
  for (auto& v : values)
    if (v.first == name) return true;
  return false;
}

bool Args::flag(const std::string& name) const { return std::find(flags.begin(), flags.end(), name) != flags.end(); }

std::vector<std::string> Args::all(const std::string& name) const {
  std::vector<std::string> out;
  for (auto& v : values)
    if (v.first == name) out.push_back(v.second);
  return out;
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto a = all(name);
  return a.empty() ? fallback : a.back();
}

namespace {

bool contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// Flags renamed to their option's one name (option_table.hpp); the old spelling is refused
// with the new one named, not kept as an alias.
const std::pair<const char*, const char*> kRenamed[] = {
    {"--k-min-fraction", "--k-min-cluster-fraction"},
    {"--template", "--template-index"},
};

// " (did you mean --x?)" for a misspelt or renamed option, or "".
std::string hint(const std::string& name, const std::vector<std::string>& valued, const std::vector<std::string>& flags) {
  for (const auto& [old_name, new_name] : kRenamed)
    if (name == old_name && contains(valued, new_name)) return std::string(" (renamed ") + new_name + ")";
  std::vector<std::string> all = valued;
  all.insert(all.end(), flags.begin(), flags.end());
  const std::string best = vlc::closest_name(name, all);
  return best.empty() ? "" : " (did you mean " + best + "?)";
}

}  // namespace

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
    if (contains(flag_names, name)) {
      if (inline_value) usage_fail(name, ": takes no value");
      args.flags.push_back(name);
      continue;
    }
    if (!contains(valued, name))
      usage_fail(name, ": unknown option", hint(name, valued, flag_names), " (see vlcluster ", command, " --help)");
    if (!inline_value) {
      if (i + 1 >= argc || (std::strncmp(argv[i + 1], "--", 2) == 0 && std::strlen(argv[i + 1]) > 2))
        usage_fail(name, ": missing value");
      value = argv[++i];
    }
    if (value.empty()) usage_fail(name, ": empty value");
    if (args.has(name) && !contains(repeatable, name)) usage_fail(name, ": given more than once");
    args.values.emplace_back(name, value);
  }
  return args;
}

long long parse_int(const std::string& name, const std::string& text, long long min, long long max) {
  try {
    return vlc::parse_integer_text(name, text, min, max);
  } catch (const vlc::Error& e) {
    throw UsageError(e.what());
  }
}

std::uint64_t parse_seed(const std::string& name, const std::string& text) {
  try {
    return vlc::parse_seed_text(name, text);
  } catch (const vlc::Error& e) {
    throw UsageError(e.what());
  }
}

std::vector<std::string> table_flags() {
  std::vector<std::string> out;
  for (const OptionRow& row : option_table()) out.push_back("--" + dashed(row.name));
  return out;
}

void read_table_options(const Args& args, Options& opt) {
  for (const OptionRow& row : option_table()) {
    const std::string flag = "--" + dashed(row.name);
    if (!args.has(flag)) continue;
    try {
      set_option(opt, row, parse_option_text(row, args.get(flag), flag), flag);
    } catch (const vlc::Error& e) {
      throw UsageError(e.what());
    }
  }
  // The relations between options are the core's (the npm package's errors say the same), checked
  // here so that they are usage errors before any file is read.
  std::vector<std::string> given;
  for (const OptionRow& row : option_table())
    if (args.has("--" + dashed(row.name))) given.push_back(row.name);
  try {
    check_option_relations(opt, given, [](const std::string& name) { return "--" + dashed(name); });
  } catch (const vlc::Error& e) {
    throw UsageError(e.what());
  }
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
// Help texts

const char* const kMainHelp =
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

namespace {

const char* const kClusterHelpHead =
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

Running:
  --threads N          worker threads (default: all cores).
  --quiet              no progress display and no timing summary on stderr.

Progress (stage, percent, ETA) is drawn on stderr when it is a terminal.

Clustering options (core/include/vlc/option_table.hpp; the npm package takes the same
options in camelCase, e.g. kMinClusterFraction):
)";

const char* const kClusterHelpTail = R"(
Example:
  vlcluster synth --out demo --k 4 --m 400
  vlcluster cluster --images demo/images.npy --nouns demo/nouns.npy --vocab demo/words.txt \
      --k 4 --truth demo/truth.npy --labels-out demo/labels.csv --out demo/result.json

  From Python: np.save("Z.npy", image_features.astype("float32"))  # M×d
               np.save("T.npy", np.stack(per_template_text_features))  # B×L×d
)";

constexpr std::size_t kHelpIndent = 23;  // column of the descriptions
constexpr std::size_t kHelpWidth = 95;   // last column of the descriptions

std::string placeholder(const OptionRow& row) {
  std::string p;
  switch (row.type) {
    case OptionType::Int: p = "N"; break;
    case OptionType::Double: p = "X"; break;
    case OptionType::Bool: p = "true|false"; break;
    case OptionType::Choice: p = "NAME"; break;
    case OptionType::Seed: p = "S"; break;
  }
  if (row.auto_text) p += std::string("|") + row.auto_text;
  return p;
}

// `text` wrapped into lines that start at kHelpIndent; `first` is the start of the first line.
std::string wrapped(std::string first, const std::string& text) {
  std::string out;
  std::string line = std::move(first);
  if (line.size() + 1 > kHelpIndent) {
    out += line + "\n";
    line.clear();
  }
  line.resize(kHelpIndent, ' ');
  std::size_t line_chars = kHelpIndent;  // characters, not bytes (the help has "λ", "≥")
  std::size_t start = 0;
  bool line_empty = true;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    std::size_t chars = 0;
    for (unsigned char c : word) chars += (c & 0xC0) != 0x80;
    if (!line_empty && line_chars + 1 + chars > kHelpWidth) {
      out += line + "\n";
      line.assign(kHelpIndent, ' ');
      line_chars = kHelpIndent;
      line_empty = true;
    }
    if (!line_empty) {
      line += ' ';
      ++line_chars;
    }
    line += word;
    line_chars += chars;
    line_empty = false;
    start = end + 1;
  }
  return out + line + "\n";
}

}  // namespace

std::string cluster_help() {
  std::string out = kClusterHelpHead;
  const Options defaults;
  for (const OptionRow& row : option_table()) {
    std::string text = row.help;
    text += " Default " + format_option_value(row, get_option(row, defaults)) + "; " + option_values_text(row) + ".";
    if (row.applies == OptionApplies::AutoK) text += " Only with --k auto.";
    if (row.applies == OptionApplies::NtkSingle) text += " Only with --method ntk-single.";
    out += wrapped("  --" + dashed(row.name) + " " + placeholder(row), text);
  }
  return out + kClusterHelpTail;
}

const char* const kSynthHelp =
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

}  // namespace vlc::cli
