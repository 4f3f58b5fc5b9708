// A random source that gives the same numbers on every target.
// std::uniform_*_distribution differ between libstdc++ (native) and libc++ (Emscripten),
// so the core draws only from mt19937_64's raw bits, which the standard fixes exactly.
#pragma once
#include <cstdint>
#include <random>

namespace vlc {

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n); n > 0. Modulo bias is below 2^-40 for n < 2^24.
  std::int64_t below(std::int64_t n) { return static_cast<std::int64_t>(engine_() % static_cast<std::uint64_t>(n)); }
  // Standard normal by Box-Muller on uniform(), so it too is target-independent.
  double normal();
  std::uint64_t bits() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace vlc
