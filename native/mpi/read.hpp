// The MPI build's reading of the image embeddings: each rank reads (pread) only its row block
// of the M×d .npy file, then the blocks are exchanged so that every rank holds Z (the first
// version's design, docs/distributed.md: M·d·4 bytes per rank).
#pragma once
#include <string>
#include "vlc/types.hpp"

namespace vlc::mpi {

// As vlc::npy::read_matrix (same checks and messages), read by row blocks.
RowMatrixF read_matrix_by_blocks(const std::string& path, const std::string& expected);

}  // namespace vlc::mpi
