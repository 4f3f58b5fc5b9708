#include "vlc/synthetic.hpp"
#include <cmath>
#include "vlc/error.hpp"
#include "vlc/random.hpp"

namespace vlc {
namespace {

using VecD = Eigen::VectorXd;

VecD gaussian(Random& rng, int d) {
  VecD v(d);
  for (int j = 0; j < d; ++j) v(j) = rng.normal();
  return v;
}

VecD unit_gaussian(Random& rng, int d) { return gaussian(rng, d).normalized(); }

// Anchor nouns get readable names so that naming tests can check them; beyond the list
// they are numbered.
std::string anchor_word(int c) {
  static const char* names[] = {"cat",   "dog",   "car",    "truck", "apple", "pear",  "ship",  "plane",
                                "horse", "deer",  "rose",   "tulip", "chair", "table", "guitar", "violin",
                                "bread", "cake",  "river",  "lake",  "shoe",  "boot",  "clock", "watch"};
  if (c < 24) return names[c];
  return "class" + std::to_string(c);
}

}  // namespace

SyntheticData make_synthetic(const SyntheticOptions& o) {
  require(o.k >= 1, "synthetic: k must be ≥ 1, got ", o.k);
  require(o.m >= o.k, "synthetic: m = ", o.m, " must be ≥ k = ", o.k);
  require(o.d >= 2, "synthetic: d must be ≥ 2, got ", o.d);
  require(o.vocab >= o.k, "synthetic: vocab = ", o.vocab, " must be ≥ k = ", o.k, " (one anchor noun per class)");
  require(o.templates >= 1, "synthetic: templates must be ≥ 1, got ", o.templates);
  Random rng(o.seed);
  const int d = o.d;

  // One visual prototype per pair of classes, one semantic anchor per class.
  std::vector<VecD> prototype((o.k + 1) / 2), anchor(o.k), class_mean(o.k);
  for (auto& p : prototype) p = unit_gaussian(rng, d);
  for (auto& a : anchor) a = unit_gaussian(rng, d);
  for (int c = 0; c < o.k; ++c) class_mean[c] = prototype[c / 2] + o.semantic_shift * anchor[c];

  SyntheticData data;
  data.images.resize(o.m, d);
  data.truth.resize(o.m);
  const double sigma = o.visual_noise / std::sqrt(static_cast<double>(d));
  for (int i = 0; i < o.m; ++i) {
    const int c = i % o.k;
    data.truth[i] = c;
    VecD z = class_mean[c] + sigma * gaussian(rng, d);
    data.images.row(i) = z.normalized().cast<float>().transpose();
  }

  // Nouns: each class's anchor noun sits near its class mean (CLIP aligns a class's name with
  // its images); distractors are half near some anchor (confusable words), half random.
  std::vector<VecD> noun(o.vocab);
  data.words.resize(o.vocab);
  for (int l = 0; l < o.vocab; ++l) {
    if (l < o.k) {
      // Text is sharper than images in CLIP: a class name points along its semantic anchor
      // more strongly than the class's photos do (noun_sharpness > semantic_shift).
      noun[l] = (prototype[l / 2] + o.noun_sharpness * anchor[l] + o.noun_noise * unit_gaussian(rng, d)).normalized();
      data.words[l] = anchor_word(l);
    } else if (l % 2 == 0) {
      const int near = static_cast<int>(rng.below(o.k));
      noun[l] = (anchor[near] + 1.2 * unit_gaussian(rng, d)).normalized();
      data.words[l] = "near" + std::to_string(l);
    } else {
      noun[l] = unit_gaussian(rng, d);
      data.words[l] = "other" + std::to_string(l);
    }
  }
  const double tsigma = o.template_noise / std::sqrt(static_cast<double>(d));
  data.templates.assign(o.templates, RowMatrixF(o.vocab, d));
  for (int b = 0; b < o.templates; ++b) {
    // Each template shifts every noun by a shared offset plus its own jitter, like a prompt
    // ("a photo of the small {}") moves all words together.
    const VecD offset = o.template_noise * unit_gaussian(rng, d);
    for (int l = 0; l < o.vocab; ++l) {
      VecD t = noun[l] + offset + tsigma * gaussian(rng, d);
      data.templates[b].row(l) = t.normalized().cast<float>().transpose();
    }
  }
  return data;
}

}  // namespace vlc
