// Per-stage timings of one vlc::cluster run on a CLIP-faithful set, on one thread: the same
// source built natively (build/native/vlc_bench_stages) and to WebAssembly
// (build/wasm/vlc_bench_stages.js, run under node), so bench/wasm-vs-native can put the two
// side by side (issue 18 item 4: WASM within 1.3× of native single-thread per stage).
//
//   vlc_bench_stages TAXONOMY.tsv [--setting stl10|dogs|cifar20] [--m M] [--k K] [--repeat R]
//
// Prints one JSON line: {"target", "setting", "m", "k", "acc", "labels_hash", "stages": {name: s}}
// with each stage's best of R runs (the least disturbed by other load). labels_hash lets the
// driver check that both targets computed the same partition. Not a test: nothing is asserted.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include "vlc/clip_faithful.hpp"
#include "vlc/cluster.hpp"
#include "vlc/metrics.hpp"
#include "vlc/parallel.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "vlc_bench_stages: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::uint64_t labels_hash(const vlc::Labels& labels) {  // FNV-1a
  std::uint64_t h = 1469598103934665603ull;
  for (int l : labels) h = (h ^ static_cast<std::uint64_t>(l + 1)) * 1099511628211ull;
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: vlc_bench_stages TAXONOMY.tsv [--setting S] [--m M] [--k K] [--repeat R]\n");
    return 2;
  }
  vlc::ClipFaithfulOptions o;
  o.m = 2000;
  int k = 10, repeat = 2;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--setting") o.setting = v;
    else if (a == "--m") o.m = std::stoi(v);
    else if (a == "--k") k = std::stoi(v);
    else if (a == "--repeat") repeat = std::max(1, std::stoi(v));
    else {
      std::fprintf(stderr, "vlc_bench_stages: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  vlc::set_threads(1);  // the comparison is per thread: WASM here has one
  const vlc::Taxonomy tax = vlc::parse_taxonomy(read_file(argv[1]));
  const vlc::ClipFaithfulData data = vlc::make_clip_faithful(tax, o);
  vlc::Options opt;
  opt.k = k;
  opt.device = vlc::Device::Cpu;
  std::map<std::string, double> best;
  vlc::Result r;
  for (int run = 0; run < repeat; ++run) {
    r = vlc::cluster(data.images, data.templates, opt);
    std::map<std::string, double> this_run;
    for (const auto& t : r.timings) this_run[t.stage] += t.seconds;
    for (const auto& [stage, s] : this_run) best[stage] = best.count(stage) ? std::min(best[stage], s) : s;
  }
#if defined(__EMSCRIPTEN__)
  const char* target = "wasm";
#else
  const char* target = "native";
#endif
  std::printf("{\"target\": \"%s\", \"setting\": \"%s\", \"m\": %d, \"k\": %d, \"acc\": %.4f, \"labels_hash\": \"%016llx\", \"stages\": {",
              target, o.setting.c_str(), o.m, r.k, vlc::accuracy(data.truth, r.labels),
              static_cast<unsigned long long>(labels_hash(r.labels)));
  const char* sep = "";
  for (const auto& t : r.timings) {  // in pipeline order
    if (!best.count(t.stage)) continue;
    std::printf("%s\"%s\": %.4f", sep, t.stage.c_str(), best[t.stage]);
    best.erase(t.stage);
    sep = ", ";
  }
  std::printf("}}\n");
  return 0;
}
