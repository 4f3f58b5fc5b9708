// Lloyd's k-means with k-means++ seeding and restarts, Euclidean or spherical.
// Written here (no Debian C++ library offers k-means) so that every target draws the
// same seeds from vlc::Random and so gives the same labels.
#pragma once
#include <cstdint>
#include "vlc/types.hpp"

namespace vlc {

// How the Lloyd iterations find each point's nearest centre. Both give the same labels,
// centres and iteration counts (see core/src/kmeans.cpp); only the work differs.
enum class KMeansAlgorithm {
  Automatic,  // Hamerly from kHamerlyMinK centres, Lloyd below
  Lloyd,      // every point against every centre, every iteration
  Hamerly,    // distance bounds skip the points whose nearest centre provably did not change
};

// Automatic picks Hamerly from this many centres (bench/README.md, "k-means at scale").
constexpr int kHamerlyMinK = 32;

struct KMeansOptions {
  int k = 2;
  int n_init = 10;          // restarts; the lowest inertia wins (ties: the earliest)
  int max_iter = 300;
  double tol = 1e-6;        // stop when no centre moves more than tol (squared, relative to data scale)
  std::uint64_t seed = 0;
  bool spherical = false;   // centres renormalised to unit length, cosine assignment (§1 step 3)
  KMeansAlgorithm algorithm = KMeansAlgorithm::Automatic;
  // k-means++ seeding runs on a uniform sample of this many points (clamped to [k, M]).
  // 0: automatic — every point while M·k ≤ 2^27, above that max(2^27 / k, 32 k) points.
  std::int64_t seed_sample = 0;
};

struct KMeansResult {
  Labels labels;            // 0..k-1 (spherical: empty centres are dropped and labels compacted)
  RowMatrixD centres;       // k×D (spherical: unit rows)
  double inertia = 0;       // Σ squared distance (spherical: Σ (1 − cos))
  int iterations = 0;       // of the winning restart
  // Point–centre distances the iterations evaluated, over all restarts (seeding excluded):
  // Lloyd M·k per assignment; Hamerly fewer.
  std::int64_t distance_evaluations = 0;
};

KMeansResult kmeans(const RowMatrixF& points, const KMeansOptions& options);
KMeansResult kmeans(const RowMatrixD& points, const KMeansOptions& options);

}  // namespace vlc
