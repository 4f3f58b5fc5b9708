// Random symmetric sparse test matrices, shared by the core suite and the CUDA comparison tests.
#pragma once
#include <cstdint>
#include "vlc/types.hpp"

namespace vlc {
namespace test {

// M×M, symmetric: per_row random off-diagonal positions per row (and their mirrors) with values
// in [0.05, 1); with `diagonal` also a random diagonal. std::mt19937 with the given seed, so the
// same matrix on every run (tests only: std distributions may differ between standard libraries).
SparseMatrixD random_symmetric(int m, int per_row, std::uint32_t seed, bool diagonal = false);

}  // namespace test
}  // namespace vlc
