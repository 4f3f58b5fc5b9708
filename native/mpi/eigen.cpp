#include "eigen.hpp"
#include <slepceps.h>
#include <cstdint>
#include "runtime.hpp"
#include "vlc/error.hpp"

namespace vlc::mpi {
namespace {

// PETSc returns error codes (the runtime installs PetscReturnErrorHandler).
#define VLC_PETSC(call)                                                                   \
  do {                                                                                    \
    const PetscErrorCode code_ = (call);                                                  \
    if (code_ != 0) vlc::fail("SLEPc eigensolver: ", #call, " failed with PETSc error ", \
                              static_cast<int>(code_));                                   \
  } while (0)

// What the shell operator needs: S (MPIAIJ, this rank's rows) and the component vectors.
struct Deflation {
  Mat s = nullptr;
  Vec work = nullptr;
  PetscInt row_begin = 0;
  const std::vector<int>* of = nullptr;
  const VectorD* entry = nullptr;
  std::vector<double> dots;  // one per component
};

// out = x − Σ_c (u_c·x) u_c on this rank's rows (the global dots by one Allreduce): the
// arithmetic of spectral.cpp's project_out_components, split by rows.
PetscErrorCode project(Deflation& d, Vec x, Vec out) {
  const PetscScalar* in = nullptr;
  PetscScalar* y = nullptr;
  PetscInt n = 0;
  PetscCall(VecGetLocalSize(x, &n));
  std::fill(d.dots.begin(), d.dots.end(), 0.0);
  PetscCall(VecGetArrayRead(x, &in));
  for (PetscInt r = 0; r < n; ++r) d.dots[(*d.of)[d.row_begin + r]] += (*d.entry)(d.row_begin + r) * in[r];
  MPI_Allreduce(MPI_IN_PLACE, d.dots.data(), static_cast<int>(d.dots.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  PetscCall(VecGetArray(out, &y));
  for (PetscInt r = 0; r < n; ++r) y[r] = in[r] - (*d.entry)(d.row_begin + r) * d.dots[(*d.of)[d.row_begin + r]];
  PetscCall(VecRestoreArray(out, &y));
  PetscCall(VecRestoreArrayRead(x, &in));
  return 0;
}

PetscErrorCode deflated_mult(Mat shell, Vec x, Vec y) {
  Deflation* d = nullptr;
  PetscCall(MatShellGetContext(shell, &d));
  PetscCall(project(*d, x, d->work));
  PetscCall(MatMult(d->s, d->work, y));
  PetscCall(project(*d, y, y));
  return 0;
}

// This rank's rows of diag(scale) A diag(scale) as an MPIAIJ matrix (global column indices).
Mat assemble_rows(const SparseMatrixD& a, const VectorD& scale, const RowBlock& own) {
  const int* outer = a.outerIndexPtr();
  const int* inner = a.innerIndexPtr();
  const double* value = a.valuePtr();
  const std::int64_t first = outer[own.begin], last = outer[own.end];
  std::vector<PetscInt> i(static_cast<std::size_t>(own.end - own.begin) + 1), j(static_cast<std::size_t>(last - first));
  std::vector<PetscScalar> v(j.size());
  for (std::int64_t r = own.begin; r <= own.end; ++r) i[r - own.begin] = static_cast<PetscInt>(outer[r] - first);
  for (std::int64_t r = own.begin; r < own.end; ++r)
    for (std::int64_t p = outer[r]; p < outer[r + 1]; ++p) {
      j[p - first] = inner[p];
      v[p - first] = scale(r) * value[p] * scale(inner[p]);
    }
  const PetscInt local = static_cast<PetscInt>(own.end - own.begin), m = static_cast<PetscInt>(a.rows());
  Mat s = nullptr;
  VLC_PETSC(MatCreateMPIAIJWithArrays(PETSC_COMM_WORLD, local, local, m, m, i.data(), j.data(), v.data(), &s));
  return s;
}

// A start vector that depends only on the global index (so on no rank count): SLEPc's default
// is random. Entries in [0.5, 1.5) from a fixed integer hash.
void fill_start(Vec x, PetscInt row_begin) {
  PetscScalar* y = nullptr;
  PetscInt n = 0;
  VLC_PETSC(VecGetLocalSize(x, &n));
  VLC_PETSC(VecGetArray(x, &y));
  for (PetscInt r = 0; r < n; ++r) {
    std::uint64_t h = static_cast<std::uint64_t>(row_begin + r) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    y[r] = 0.5 + static_cast<double>(h >> 11) / 9007199254740992.0;
  }
  VLC_PETSC(VecRestoreArray(x, &y));
}

}  // namespace

void slepc_deflated_eigenpairs(const SparseMatrixD& a, const VectorD& scale, const std::vector<int>& component_of,
                               int components, const VectorD& component_entry, int nev, int ncv, double tol,
                               int max_iter, Backend::Eigenpairs& out) {
  const std::int64_t m = a.rows();
  require(m <= static_cast<std::int64_t>(PETSC_MAX_INT), "SLEPc eigensolver: M = ", m,
          " exceeds this PETSc's PetscInt (", sizeof(PetscInt) * 8, "-bit); use a PETSc built with 64-bit indices");
  const RowBlock own = row_block(m, rank(), size());
  Deflation d;
  d.s = assemble_rows(a, scale, own);
  d.row_begin = static_cast<PetscInt>(own.begin);
  d.of = &component_of;
  d.entry = &component_entry;
  d.dots.assign(static_cast<std::size_t>(components), 0.0);
  const PetscInt local = static_cast<PetscInt>(own.end - own.begin);
  Mat shell = nullptr;
  VLC_PETSC(MatCreateShell(PETSC_COMM_WORLD, local, local, static_cast<PetscInt>(m), static_cast<PetscInt>(m), &d, &shell));
  VLC_PETSC(MatShellSetOperation(shell, MATOP_MULT, reinterpret_cast<void (*)(void)>(deflated_mult)));
  VLC_PETSC(MatCreateVecs(d.s, &d.work, nullptr));
  Vec start = nullptr;
  VLC_PETSC(VecDuplicate(d.work, &start));
  fill_start(start, d.row_begin);

  EPS eps = nullptr;
  VLC_PETSC(EPSCreate(PETSC_COMM_WORLD, &eps));
  VLC_PETSC(EPSSetOperators(eps, shell, nullptr));
  VLC_PETSC(EPSSetProblemType(eps, EPS_HEP));
  VLC_PETSC(EPSSetType(eps, EPSKRYLOVSCHUR));
  VLC_PETSC(EPSSetWhichEigenpairs(eps, EPS_LARGEST_REAL));
  VLC_PETSC(EPSSetDimensions(eps, nev, ncv, PETSC_DEFAULT));
  // Relative to |λ|, as Spectra's tolerance (spectral.cpp).
  VLC_PETSC(EPSSetConvergenceTest(eps, EPS_CONV_REL));
  VLC_PETSC(EPSSetTolerances(eps, tol, max_iter));
  VLC_PETSC(EPSSetInitialSpace(eps, 1, &start));
  VLC_PETSC(EPSSolve(eps));
  PetscInt converged = 0, iterations = 0;
  VLC_PETSC(EPSGetConverged(eps, &converged));
  VLC_PETSC(EPSGetIterationNumber(eps, &iterations));
  out.iterations = static_cast<int>(iterations);
  out.converged = converged >= nev;
  if (out.converged) {
    out.values.resize(nev);
    out.vectors.resize(m, nev);
    Vec x = nullptr, whole = nullptr;
    VecScatter to_all = nullptr;
    VLC_PETSC(VecDuplicate(d.work, &x));
    VLC_PETSC(VecScatterCreateToAll(x, &to_all, &whole));
    for (int k = 0; k < nev; ++k) {
      PetscScalar value = 0;
      VLC_PETSC(EPSGetEigenpair(eps, k, &value, nullptr, x, nullptr));
      out.values(k) = value;
      VLC_PETSC(VecScatterBegin(to_all, x, whole, INSERT_VALUES, SCATTER_FORWARD));
      VLC_PETSC(VecScatterEnd(to_all, x, whole, INSERT_VALUES, SCATTER_FORWARD));
      const PetscScalar* w = nullptr;
      VLC_PETSC(VecGetArrayRead(whole, &w));
      for (std::int64_t i = 0; i < m; ++i) out.vectors(i, k) = w[i];
      VLC_PETSC(VecRestoreArrayRead(whole, &w));
    }
    VecScatterDestroy(&to_all);
    VecDestroy(&whole);
    VecDestroy(&x);
  }
  EPSDestroy(&eps);
  VecDestroy(&start);
  VecDestroy(&d.work);
  MatDestroy(&shell);
  MatDestroy(&d.s);
}

}  // namespace vlc::mpi
