// §4 of docs/method.md on SLEPc: the deflated top-nev eigenproblem of the normalised affinity
// (Backend::deflated_eigenpairs, core/include/vlc/backend.hpp) with Krylov–Schur on a PETSc
// MPIAIJ matrix, each rank owning a block of rows.
#pragma once
#include <vector>
#include "vlc/backend.hpp"

namespace vlc::mpi {

// Same contract as Backend::deflated_eigenpairs. `a` (CSR, zero diagonal) is given whole on
// every rank; each rank assembles only its rows of diag(scale) A diag(scale). The operator
// given to SLEPc is the shell x ↦ P S P x (P: the component projection, one Allreduce of
// `components` values per application). The eigenvectors come back whole on every rank.
// Throws vlc::Error naming the PETSc/SLEPc call that failed.
void slepc_deflated_eigenpairs(const SparseMatrixD& a, const VectorD& scale, const std::vector<int>& component_of,
                               int components, const VectorD& component_entry, int nev, int ncv, double tol,
                               int max_iter, Backend::Eigenpairs& out);

}  // namespace vlc::mpi
