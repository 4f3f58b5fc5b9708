// A synthetic dataset built to match published statistics of real CLIP ViT-B/32 embeddings,
// for the quality benchmark and the quality tests. vlc::make_synthetic (synthetic.hpp) makes
// data on which every method scores 1.000; this one reproduces what makes real data hard:
//
//  * a WordNet noun tree (Taxonomy; models/build_taxonomy.py writes it from wordnet-base):
//    every node's semantic vector drifts from its parent's, more slowly deeper down, so
//    generic nouns ("animal", "vehicle") match many classes and dog breeds sit close together;
//  * the modality gap: images and texts live in two narrow cones whose centroids are ≈ 0.85
//    apart ("Mind the Gap", Liang et al. 2022); a matched image–class-name cosine of ≈ 0.30
//    against ≈ 0.15–0.25 unmatched (CLIPScore, Hessel et al. 2021);
//  * image nuisance shared across classes (a few "styles": background, lighting) and
//    appearance that no noun names, so image-only neighbours mix classes;
//  * prompt templates of unequal quality, so per-template graphs differ;
//  * imbalanced classes, sub-types (a CIFAR-20 superclass shows five different things),
//    optional exact and near-duplicate images.
// Calibrated against the paper's Table 1 ("Delving into Spectral Clustering with
// Vision-Language Representations"): the per-image semantic jitter by bisection on every draw,
// so that zero-shot top-1 (class names, 7-template ensemble) matches its CLIP (zero-shot) row
// (STL-10 97.1, ImageNet-Dogs 72.8, CIFAR-20 58.3); the appearance weight once per setting
// against its CLIP (KMeans) row (93.8, 38.1, 45.5; clip_faithful.cpp says how). measure_clip_stats
// reports what the data came out as; the quality test keeps those within tolerance.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

// A noun tree: row r is noun words[r]; parent[r] its hypernym's row (−1 at the root).
struct Taxonomy {
  struct Setting {
    std::string name;                        // "stl10", "dogs", "cifar20"
    std::vector<int> class_noun;             // per class: the row of its name (the zero-shot label)
    std::vector<std::vector<int>> subtypes;  // per class: the rows of what its images show
  };
  std::vector<std::string> words;
  std::vector<int> parent;
  std::vector<int> depth;  // links to the root
  std::vector<Setting> settings;

  int row(const std::string& word) const;  // −1 when absent
  // True when `a` is `b` or lies below it (a hyponym of b).
  bool is_within(int a, int b) const;
  const Setting& setting(const std::string& name) const;  // throws listing the known ones
};

// Parses models/vocab/clip_faithful_taxonomy.tsv (its format: models/build_taxonomy.py).
// Throws vlc::Error naming the line on malformed input.
Taxonomy parse_taxonomy(const std::string& text);

struct ClipFaithfulOptions {
  std::string setting = "stl10";
  int m = 1500;
  int d = 512;
  int templates = 7;             // B ≤ 7 (the paper's templates, in its order)
  double imbalance = 2.0;        // largest / smallest class size (sizes geometric in between)
  double duplicates = 0;         // fraction of M that are exact copies of other images
  double near_duplicates = 0;    // fraction of M that are near copies (cosine ≈ near_duplicate_cosine)
  double near_duplicate_cosine = 0.995;
  double zero_shot = 0;          // target zero-shot top-1 in [0,1]; 0 = the setting's Table 1 value
  double appearance = 0;         // weight² of the unnamed appearance part; 0 = the setting's (clip_faithful.cpp)
  std::uint64_t seed = 0;
};

struct ClipFaithfulData {
  RowMatrixF images;                  // M×d, unit rows
  std::vector<RowMatrixF> templates;  // B × (L×d), unit rows; row l = Taxonomy::words[l]
  Labels truth;                       // M labels 0..K−1
  std::vector<int> class_noun;        // per class: its name's vocabulary row
  std::vector<int> copy_of;           // per image: the image it duplicates, −1 for originals
  double semantic_jitter = 0;         // the calibrated per-image semantic noise
  double appearance = 0;              // the calibrated weight² of the unnamed appearance part
};

ClipFaithfulData make_clip_faithful(const Taxonomy& taxonomy, const ClipFaithfulOptions& options);

// The statistics the generator is calibrated to, measured on its output.
struct ClipStats {
  double matched_cosine = 0, matched_sd = 0;  // image · its class name (template ensemble)
  double unmatched_cosine = 0;                // image · the other class names
  double centroid_distance = 0;               // ‖mean image − mean text‖ (all nouns, template 0)
  double image_within = 0, image_between = 0; // image–image cosine, same class / different
  double noun_noun = 0;                       // nouns under one template (random pairs)
  double zero_shot = 0;                       // top-1 over class names, ensemble of templates
};
ClipStats measure_clip_stats(const ClipFaithfulData& data, std::uint64_t seed = 0);

}  // namespace vlc
