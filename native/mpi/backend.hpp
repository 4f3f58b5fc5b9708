// The MPI build's compute backend (issue 19): the vlc::Backend interface of the core
// (core/include/vlc/backend.hpp) with every heavy kernel split by rows over the MPI ranks.
//
//   §2 ntk_neighbours_sparse  rank r: the NTK top-q lists of its row block against all M images
//                             (the core's ε-sparse path, rows [begin, end)); lists allgathered
//   §3 masked_sandwich        rank r: (S X S) on Ω for its rows (equal shares of Ω's entries),
//                             the core's row kernel; values allgathered, lower triangle mirrored
//   §4 deflated_eigenpairs    SLEPc Krylov–Schur on a PETSc MPIAIJ matrix (eigen.cpp)
//
// Every rank runs the same vlc::cluster composition on the same data, so everything between
// the kernels (noun filter, mutual kNN, β-step, k-means, naming) is computed identically on
// every rank: the results of the kernels are bit-identical on all ranks by construction
// (allgather), so the replicated stages agree too. What that costs in memory per rank, and what
// the next version distributes, is in docs/distributed.md.
#pragma once
#include <memory>
#include "vlc/backend.hpp"

namespace vlc::mpi {

// The backend of MPI_COMM_WORLD, CPU arithmetic (device() is Device::Cpu: the core then keeps
// its CPU paths, e.g. the ε-sparse NTK search, and routes them through this backend).
std::shared_ptr<const Backend> make_backend();

}  // namespace vlc::mpi
