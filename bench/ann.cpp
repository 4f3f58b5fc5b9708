// vlc_bench_ann — the NTK candidate search (ntk_ann.hpp) against the exact path
// (ntk_sparse.hpp: on this data the dense tiles of ntk_neighbours_dense; with --walk also the
// ε-sparse walk over the inverted noun index), all run in this process on the same CLIP-faithful data
// (vlc/clip_faithful.hpp, the quality benchmark's generator) with the noun filter's kept
// nouns (§1, true K), B = 7 templates, q = 30.
//
//   build/native/vlc_bench_ann [--taxonomy models/vocab/clip_faithful_taxonomy.tsv]
//       [--settings stl10,dogs,cifar20] [--sizes 2000,10000] [--candidates 0] [--ef-construction 100]
//       [--ef-search 0] [--semantic-dims 64] [--exact-rows 0] [--walk]
//
// --exact-rows R > 0: the exact lists of R rows only (four evenly spaced slices of R/4 rows,
// SparseNtkOptions::row_begin/row_end), for sizes where all M rows take too long; recall is
// then measured on those rows and the exact time is that run's time × M / R (marked "~").
// --walk: also time the ε-sparse walk (SparseNtkOptions::dense_walk = ∞) on the same rows.
// Prints one markdown table row per setting × M: kept nouns, seconds of each path (wall),
// the ratio exact / ann, recall@q (share of the exact top-q lists found, all templates) and the worst
// template's recall. Not a test: no timing is asserted; recall is asserted by
// tests/test_ntk_ann.cpp on a small instance.
#include <chrono>
#include <limits>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>
#include "bench_args.hpp"
#include "vlc/clip_faithful.hpp"
#include "vlc/error.hpp"
#include "vlc/noun_filter.hpp"
#include "vlc/ntk_sparse.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Share of the exact list entries of rows `rows` that the approximate list of the same row holds.
double recall(const vlc::Neighbours& exact, const vlc::Neighbours& approx, const std::vector<int>& rows) {
  std::int64_t hit = 0, total = 0;
  for (int i : rows) {
    const int* e = exact.row_index(i);
    const int* a = approx.row_index(i);
    for (int t = 0; t < exact.q; ++t) {
      total += 1;
      for (int u = 0; u < approx.q; ++u)
        if (a[u] == e[t]) {
          ++hit;
          break;
        }
    }
  }
  return total ? double(hit) / double(total) : 1.0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string taxonomy_path = "models/vocab/clip_faithful_taxonomy.tsv";
  std::vector<std::string> settings = {"stl10", "dogs", "cifar20"};
  std::vector<std::string> sizes = {"2000", "10000"};
  vlc::AnnOptions ann;
  bool walk = false;
  int exact_rows = 0;
  const bool args_ok = vlc::bench::read_args(argc, argv, "vlc_bench_ann", [&](const std::string& arg, const auto& value) {
    if (arg == "--taxonomy") taxonomy_path = value();
    else if (arg == "--settings") settings = vlc::bench::split_list(value());
    else if (arg == "--sizes") sizes = vlc::bench::split_list(value());
    else if (arg == "--candidates") ann.candidates = std::stoi(value());
    else if (arg == "--ef-construction") ann.ef_construction = std::stoi(value());
    else if (arg == "--ef-search") ann.ef_search = std::stoi(value());
    else if (arg == "--links") ann.links = std::stoi(value());
    else if (arg == "--semantic-dims") ann.semantic_dims = std::stoi(value());
    else if (arg == "--exact-rows") exact_rows = std::stoi(value());
    else if (arg == "--walk") walk = true;
    else return false;
    return true;
  });
  if (!args_ok) return 2;
  try {
    const vlc::Taxonomy tax = vlc::bench::read_taxonomy(taxonomy_path);
    std::printf("| setting | M | kept nouns | walk s | exact s | ann s | exact s / ann s | recall@30 | worst template | ANN pairs/row |\n"
                "|---|---|---|---|---|---|---|---|---|---|\n");
    std::fflush(stdout);
    for (const auto& setting : settings) {
      for (const auto& size : sizes) {
        vlc::ClipFaithfulOptions co;
        co.setting = setting;
        co.m = std::stoi(size);
        co.seed = 0;
        const vlc::ClipFaithfulData data = vlc::make_clip_faithful(tax, co);
        const int m = co.m;
        vlc::NounFilterOptions fo;
        fo.k = static_cast<int>(data.class_noun.size());
        const vlc::NounFilterResult kept = vlc::filter_nouns(data.images, vlc::ensemble_nouns(data.templates), fo);
        std::vector<vlc::RowMatrixF> nouns;
        for (const auto& t : data.templates) nouns.push_back(vlc::select_rows(t, kept.kept));

        vlc::SparseNtkOptions exact_o;
        exact_o.candidates = vlc::NtkCandidates::Exact;
        std::vector<int> rows;
        std::vector<std::vector<vlc::Neighbours>> exact_parts;
        const bool sampled = exact_rows > 0 && exact_rows < m;
        const auto t_exact = std::chrono::steady_clock::now();
        if (!sampled) {
          exact_parts.push_back(vlc::ntk_neighbours_sparse(data.images, nouns, exact_o));
          for (int i = 0; i < m; ++i) rows.push_back(i);
        } else {
          for (int s = 0; s < 4; ++s) {
            exact_o.row_begin = static_cast<int>(static_cast<std::int64_t>(s) * m / 4);
            exact_o.row_end = exact_o.row_begin + exact_rows / 4;
            exact_parts.push_back(vlc::ntk_neighbours_sparse(data.images, nouns, exact_o));
            for (int i = exact_o.row_begin; i < exact_o.row_end; ++i) rows.push_back(i);
          }
        }
        double exact_seconds = seconds_since(t_exact);
        if (sampled) exact_seconds *= double(m) / double(rows.size());
        double walk_seconds = -1;
        if (walk) {  // the same rows by the ε-sparse walk
          vlc::SparseNtkOptions walk_o = exact_o;
          walk_o.dense_walk = std::numeric_limits<double>::infinity();
          const auto t_walk = std::chrono::steady_clock::now();
          if (!sampled) {
            walk_o.row_begin = 0;
            walk_o.row_end = -1;
            vlc::ntk_neighbours_sparse(data.images, nouns, walk_o);
          } else {
            for (int s = 0; s < 4; ++s) {
              walk_o.row_begin = static_cast<int>(static_cast<std::int64_t>(s) * m / 4);
              walk_o.row_end = walk_o.row_begin + exact_rows / 4;
              vlc::ntk_neighbours_sparse(data.images, nouns, walk_o);
            }
          }
          walk_seconds = seconds_since(t_walk) * (sampled ? double(m) / double(rows.size()) : 1.0);
        }

        vlc::SparseNtkOptions ann_o;
        ann_o.candidates = vlc::NtkCandidates::Ann;
        ann_o.ann = ann;
        std::vector<vlc::SparseNtkStats> stats;
        const auto t_ann = std::chrono::steady_clock::now();
        const std::vector<vlc::Neighbours> approx = vlc::ntk_neighbours_sparse(data.images, nouns, ann_o, &stats);
        const double ann_seconds = seconds_since(t_ann);

        double mean = 0, worst = 1;
        std::int64_t pairs = 0;
        for (std::size_t b = 0; b < nouns.size(); ++b) {
          std::int64_t hit_rows = 0;
          double r = 0;
          for (std::size_t p = 0; p < exact_parts.size(); ++p) {
            std::vector<int> part_rows(rows.begin() + static_cast<std::ptrdiff_t>(hit_rows),
                                       rows.begin() + static_cast<std::ptrdiff_t>(hit_rows + (sampled ? exact_rows / 4 : m)));
            r += recall(exact_parts[p][b], approx[b], part_rows) * double(part_rows.size());
            hit_rows += static_cast<std::int64_t>(part_rows.size());
          }
          r /= double(rows.size());
          mean += r / double(nouns.size());
          worst = std::min(worst, r);
          pairs += stats[b].candidate_pairs;
        }
        const std::string walk_cell =
            walk_seconds < 0 ? "—" : (sampled ? "~" : "") + std::to_string(walk_seconds).substr(0, std::to_string(walk_seconds).find('.') + 2);
        std::printf("| %s | %d | %zu | %s | %s%.1f | %.1f | %s%.2f | %.4f | %.4f | %.0f |\n", setting.c_str(), m,
                    kept.kept.size(), walk_cell.c_str(), sampled ? "~" : "", exact_seconds, ann_seconds, sampled ? "~" : "", exact_seconds / ann_seconds,
                    mean, worst, double(pairs) / double(nouns.size()) / double(m));
        std::fflush(stdout);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "vlc_bench_ann: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
