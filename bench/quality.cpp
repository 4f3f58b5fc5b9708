// vlc_quality — the quality benchmark's native half (bench/quality.py is the driver).
// For each setting × seed: builds the CLIP-faithful data (vlc/clip_faithful.hpp), prints its
// statistics, runs every vlcluster method with the true K and the default method with
// automatic K, and scores them; optionally writes the data as .npy so that scikit-learn and
// the dense reference (bench/quality.py) run on exactly the same embeddings.
//
//   vlc_quality --taxonomy models/vocab/clip_faithful_taxonomy.tsv [--settings stl10,dogs,cifar20]
//               [--seeds 0,1,2] [--m 1500] [--methods ntk-rad,ntk-mean,...] [--dump DIR]
//               [--duplicates F] [--near-duplicates F]
// Output: one JSON object per line (kind = "stats" | "result").
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>
#include "bench_args.hpp"
#include "npy.hpp"
#include "vlc/clip_faithful.hpp"
#include "vlc/cluster.hpp"
#include "vlc/error.hpp"
#include "vlc/metrics.hpp"
#include "vlc/naming.hpp"

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Share of clusters whose name is the class noun of the true class they map to (by majority),
// or a hyponym of it (a synonym is the same row).
double name_quality(const vlc::Result& r, const vlc::ClipFaithfulData& data, const vlc::Taxonomy& tax) {
  if (r.names.empty()) return 0;
  int good = 0;
  const int k_true = static_cast<int>(data.class_noun.size());
  for (const auto& n : r.names) {
    std::vector<int> count(k_true, 0);
    for (std::size_t i = 0; i < r.labels.size(); ++i)
      if (r.labels[i] == n.cluster) ++count[data.truth[i]];
    const int major = static_cast<int>(std::max_element(count.begin(), count.end()) - count.begin());
    good += !n.nouns.empty() && tax.is_within(n.nouns[0], data.class_noun[major]);
  }
  return double(good) / double(r.names.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::string taxonomy_path = "models/vocab/clip_faithful_taxonomy.tsv", dump;
  std::vector<std::string> settings = {"stl10", "dogs", "cifar20"};
  std::vector<std::string> seeds = {"0", "1", "2"};
  std::vector<std::string> methods = {"ntk-rad", "ntk-mean", "ntk-pe", "cosine", "rbf", "kmeans", "cmatrix"};
  int m = 1500;
  bool auto_k = true;
  double cover = vlc::NamingOptions().cover;
  vlc::ClipFaithfulOptions base;
  const bool args_ok = vlc::bench::read_args(argc, argv, "vlc_quality", [&](const std::string& arg, const auto& value) {
    if (arg == "--taxonomy") taxonomy_path = value();
    else if (arg == "--settings") settings = vlc::bench::split_list(value());
    else if (arg == "--seeds") seeds = vlc::bench::split_list(value());
    else if (arg == "--methods") methods = vlc::bench::split_list(value());
    else if (arg == "--m") m = std::stoi(value());
    else if (arg == "--dump") dump = value();
    else if (arg == "--no-auto-k") auto_k = false;
    else if (arg == "--duplicates") base.duplicates = std::stod(value());
    else if (arg == "--near-duplicates") base.near_duplicates = std::stod(value());
    else if (arg == "--imbalance") base.imbalance = std::stod(value());
    else if (arg == "--cover") cover = std::stod(value());
    else return false;
    return true;
  });
  if (!args_ok) return 2;
  try {
    const vlc::Taxonomy tax = vlc::bench::read_taxonomy(taxonomy_path);
    for (const auto& setting : settings) {
      for (const auto& seed_text : seeds) {
        vlc::ClipFaithfulOptions o = base;
        o.setting = setting;
        o.m = m;
        o.seed = std::stoull(seed_text);
        const vlc::ClipFaithfulData data = vlc::make_clip_faithful(tax, o);
        const vlc::ClipStats s = vlc::measure_clip_stats(data);
        const int k = static_cast<int>(data.class_noun.size());
        std::printf("{\"kind\":\"stats\",\"setting\":%s,\"seed\":%s,\"m\":%d,\"k\":%d,\"jitter\":%.4f,\"appearance\":%.4f,\"matched\":%.4f,"
                    "\"matched_sd\":%.4f,\"unmatched\":%.4f,\"centroid_distance\":%.4f,\"image_within\":%.4f,"
                    "\"image_between\":%.4f,\"noun_noun\":%.4f,\"zero_shot\":%.4f}\n",
                    json_string(setting).c_str(), seed_text.c_str(), m, k, data.semantic_jitter, data.appearance, s.matched_cosine,
                    s.matched_sd, s.unmatched_cosine, s.centroid_distance, s.image_within, s.image_between,
                    s.noun_noun, s.zero_shot);
        std::fflush(stdout);
        if (!dump.empty()) {
          const std::string stem = dump + "/" + setting + "_s" + seed_text;
          vlc::npy::write_matrix(stem + "_images.npy", data.images);
          vlc::npy::write_templates(stem + "_nouns.npy", data.templates);
          vlc::npy::write_labels(stem + "_truth.npy", data.truth);
        }
        std::vector<std::pair<std::string, int>> runs;
        for (const auto& method : methods) runs.push_back({method, k});
        if (auto_k) runs.push_back({"ntk-rad", 0});
        for (const auto& [method, kk] : runs) {
          vlc::Options opt;
          opt.method = vlc::parse_method(method);
          opt.k = kk;
          opt.seed = o.seed;
          opt.k_both_curves = false;
          opt.naming.parent = tax.parent;
          opt.naming.cover = cover;
          const auto t0 = std::chrono::steady_clock::now();
          const vlc::Result r = vlc::cluster(data.images, data.templates, opt);
          const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          const double acc = vlc::accuracy(data.truth, r.labels), nmi = vlc::nmi(data.truth, r.labels),
                       ari = vlc::ari(data.truth, r.labels);
          std::string beta;
          for (Eigen::Index b = 0; b < r.beta.size(); ++b) beta += (b ? "," : "") + std::to_string(r.beta(b));
          std::string eig;
          for (Eigen::Index e = 0; e < r.k_estimate.eigenvalues.size(); ++e)
            eig += (e ? "," : "") + std::to_string(r.k_estimate.eigenvalues(e));
          std::string names;
          for (const auto& n : r.names)
            names += (names.empty() ? "" : ",") + json_string(n.nouns.empty() ? "" : tax.words[n.nouns[0]]);
          std::printf("{\"kind\":\"result\",\"setting\":%s,\"seed\":%s,\"method\":%s,\"k_given\":%d,\"k\":%d,"
                      "\"acc\":%.4f,\"nmi\":%.4f,\"ari\":%.4f,\"names_ok\":%.4f,\"components\":%d,\"seconds\":%.2f,"
                      "\"beta\":[%s],\"eigenvalues\":[%s],\"names\":[%s]}\n",
                      json_string(setting).c_str(), seed_text.c_str(), json_string(method).c_str(), kk, r.k, acc,
                      nmi, ari, name_quality(r, data, tax), r.components, secs, beta.c_str(), eig.c_str(), names.c_str());
          std::fflush(stdout);
        }
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "vlc_quality: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
