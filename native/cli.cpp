// vlcluster — the native command-line tool: cluster CLIP image embeddings with the NTK-anchored
// spectral clustering + RAD of docs/method.md, or write a synthetic dataset to try it on.
// This file is main and the composition of each command; the arguments and help are in
// cli_args, the progress line in cli_progress, the --vocab reader in cli_vocab, and what
// `cluster` writes in cli_output.
//
// Exit codes: 0 success, 1 bad data (unreadable/invalid input files, clustering failure),
// 2 bad usage (unknown option, missing or invalid argument). Every failure prints exactly one
// line on stderr: "vlcluster: <file or option>: <problem>".
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "cli_args.hpp"
#include "cli_output.hpp"
#include "cli_progress.hpp"
#include "cli_vocab.hpp"
#include "files.hpp"
#include "npy.hpp"
#include "vlc/clip_faithful.hpp"
#include "vlc/cluster.hpp"
#include "vlc/error.hpp"
#include "vlc/hierarchy.hpp"
#include "vlc/metrics.hpp"
#include "vlc/option_table.hpp"
#include "vlc/parallel.hpp"
#include "vlc/synthetic.hpp"
#if defined(VLC_HAVE_MPI)
// The MPI build (-DVLC_USE_MPI=ON, docs/distributed.md): `mpirun -np N vlcluster cluster ...`.
#include "mpi/backend.hpp"
#include "mpi/read.hpp"
#include "mpi/runtime.hpp"
#endif

namespace {

using namespace vlc::cli;

// A core error in the CLI's terms: the core says which input it concerns (vlc::Error::input),
// and the CLI knows where each came from — the images file, the file of template b, or the
// flag of an option (a usage error, exit 2). Nothing is checked twice.
[[noreturn]] void fail_in_terms_of_files(const vlc::Error& e, const std::string& images_path,
                                         const std::vector<std::string>& template_file) {
  using Kind = vlc::InputRef::Kind;
  const vlc::InputRef& in = e.input();
  if (in.kind == Kind::Option) usage_fail("--", vlc::dashed(in.option), ": ", e.what());
  if (in.kind == Kind::Template && in.index >= 0 && static_cast<std::size_t>(in.index) < template_file.size())
    vlc::fail(template_file[static_cast<std::size_t>(in.index)], ": ", e.what());
  vlc::fail(images_path, ": ", e.what());
}



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

// The options of `cluster` that are not rows of the options table: inputs, outputs, running.
const std::vector<std::string> kClusterOwnFlags = {"--images", "--nouns", "--vocab", "--out", "--labels-out",
                                                   "--truth", "--threads", "--generic-levels"};

int run_cluster(int argc, char** argv) {
  for (int i = 2; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(cluster_help().c_str(), stdout);
      return 0;
    }
  std::vector<std::string> valued = kClusterOwnFlags;
  for (const std::string& flag : table_flags()) valued.push_back(flag);
  Args args = parse_args(argc, argv, 2, valued, {"--nouns"}, {"--quiet"}, "cluster");
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

  // Every row of the options table (core/include/vlc/option_table.hpp); no --k is "auto",
  // vlc::Options' default (issue 7).
  vlc::Options opt;
  read_table_options(args, opt);
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
    fail_in_terms_of_files(e, images_path, template_file);
  }
  progress.clear();
  check_result(result, opt);
  for (const auto& t : result.timings) timings.push_back(t);
#if defined(VLC_HAVE_MPI)
  if (!vlc::mpi::is_root()) return 0;  // every rank holds the result; rank 0 writes it
#endif

  // --- metrics
  Metrics metrics;
  if (!truth.empty()) {
    vlc::Labels y = compact_labels(truth);
    metrics = {true, vlc::accuracy(y, result.labels), vlc::nmi(y, result.labels), vlc::ari(y, result.labels)};
  }

  // --- outputs
  // All or none: every file is staged as a temporary first and renamed at the end (stdout,
  // which cannot be taken back, before the renames).
  auto t_write = Clock::now();
  vlc::files::OutputSet staged;
  if (!labels_path.empty()) staged.stage(labels_path, labels_file_bytes(labels_path, result.labels));
  const CliSettings cli{vlc::max_threads(), generic_levels};
  if (!out_path.empty()) {
    const RunInputs in{images_path, vocab_path, truth_path, noun_paths, static_cast<long long>(m),
                       static_cast<long long>(d), static_cast<long long>(vocab_size), n_templates};
    // The CLI's own stages (read, write) among the timings.
    vlc::Result shown = result;
    shown.timings = timings;
    shown.timings.push_back({"write", seconds_since(t_write)});
    const std::string text = result_json(in, opt, shown, words, metrics, seconds_since(t_start), cli);
    if (out_path == "-") {
      write_stdout(text);
    } else {
      staged.stage(out_path, text);
    }
  }
  staged.commit();
  timings.push_back({"write", seconds_since(t_write)});

  // --- report
  if (!quiet && out_path != "-") print_summary(opt, result, words, m, cli);
  if (!truth.empty()) {
    // the metrics go to stdout unless it carries the JSON
    std::FILE* to = out_path == "-" ? stderr : stdout;
    std::fprintf(to, "ACC %.4f  NMI %.4f  ARI %.4f\n", metrics.accuracy, metrics.nmi, metrics.ari);
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

