// A CLIP-like synthetic dataset with known classes, for tests, the CLI's `synth` command
// and the benchmark. Classes come in pairs that share a visual prototype but have distinct
// semantic anchors, so image geometry alone confuses each pair while the nouns separate it:
// the regime where the NTK's semantic term matters.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "vlc/types.hpp"

namespace vlc {

struct SyntheticOptions {
  int m = 600;              // images
  int k = 6;                // classes (pairs share a visual prototype; odd k leaves one unpaired)
  int d = 64;               // embedding dimension
  int vocab = 120;          // nouns L (≥ k): k anchor nouns + distractors
  int templates = 7;        // B perturbed prompt templates
  double visual_noise = 0.8;    // per-image noise around the prototype (norm)
  double semantic_shift = 0.25; // how far a class moves from its pair's prototype toward its anchor
  double template_noise = 0.15; // per-template perturbation of noun embeddings
  double noun_sharpness = 1.0;  // weight of the semantic anchor in a class's noun
  double noun_noise = 0.1;      // random part of a class's noun
  std::uint64_t seed = 1;
};

struct SyntheticData {
  RowMatrixF images;                 // M×d, unit rows
  std::vector<RowMatrixF> templates; // B × (L×d), unit rows
  Labels truth;                      // M labels 0..k−1
  std::vector<std::string> words;    // L nouns; words[c] is class c's anchor noun
};

SyntheticData make_synthetic(const SyntheticOptions& options);

}  // namespace vlc
