// Compute backends (issue 8): the three heavy kernels of the pipeline behind one interface,
// implemented by the CPU code of the core and, when built with -DVLC_USE_CUDA=ON, by
// native/cuda/ (VLC_HAVE_CUDA is then defined for every user of vlc_core).
//
//   ntk_neighbours     §2: softmax, tiled Gram ⊙ overlap, fused top-q per row
//   masked_sandwich    §3: (S X S) on the fixed pattern Ω, the Â-step of RAD
//   normalized_matvec  §4: y = D^{-1/2} A D^{-1/2} x, the Lanczos operator
//
// Both backends run the per-element arithmetic of vlc/device_math.hpp, so they agree up to
// the order of the Gram/overlap reductions (cuBLAS vs Eigen) and FMA contraction.
#pragma once
#include <memory>
#include <string>
#include <vector>
#include "vlc/knn_graph.hpp"
#include "vlc/ntk.hpp"
#include "vlc/ntk_sparse.hpp"
#include "vlc/types.hpp"

namespace vlc {

enum class Device { Cpu, Cuda, Auto };

// "cpu", "cuda", "auto" → Device; anything else throws vlc::Error listing the three.
Device parse_device(const std::string& name);
std::string device_name(Device d);  // "cpu", "cuda", "auto"

// True when this build has the CUDA backend (VLC_HAVE_CUDA) and cudaGetDeviceCount reports at
// least one device. `why`, when given, receives the reason when false ("built without CUDA",
// "no CUDA device found (cudaGetDeviceCount: ...)").
bool cuda_available(std::string* why = nullptr);
bool cuda_compiled();  // VLC_HAVE_CUDA

// out = (S X S) restricted to a fixed CSR pattern, X given by its values over that pattern.
// Prepared once per (S, Ω) so that a GPU uploads the matrices once for all RAD steps. The
// matrices given to Backend::masked_sandwich must outlive the operator.
class SandwichOperator {
 public:
  virtual ~SandwichOperator() = default;
  // x, out: pattern.nonZeros() values in the pattern's CSR order.
  virtual void apply(const double* x, double* out) = 0;
  // The same for an x that is symmetric on a symmetric pattern (RAD's Â), where S X S is
  // symmetric too: a backend may compute one triangle and mirror it (the CPU does: ~1/4 less
  // work). Equal to apply() up to summation order.
  virtual void apply_symmetric(const double* x, double* out) { apply(x, out); }
};

// y = diag(scale) A diag(scale) x for a CSR matrix A; prepared once for all Lanczos steps.
class MatVecOperator {
 public:
  virtual ~MatVecOperator() = default;
  virtual void apply(const double* x, double* y) = 0;  // M values each
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  // "cpu" or "cuda:<ordinal> (<device name>)".
  virtual std::string name() const = 0;
  // Top-q NTK neighbours of unit image rows under one template's unit noun rows (§2).
  virtual Neighbours ntk_neighbours(const RowMatrixF& images, const RowMatrixF& nouns,
                                    const NtkOptions& options) const = 0;
  // s: symmetric CSR M×M; pattern: CSR M×M (values ignored).
  virtual std::unique_ptr<SandwichOperator> masked_sandwich(const SparseMatrixD& s,
                                                            const SparseMatrixD& pattern) const = 0;
  // a: CSR M×M; scale: M values (D^{-1/2}).
  virtual std::unique_ptr<MatVecOperator> normalized_matvec(const SparseMatrixD& a, const VectorD& scale) const = 0;

  // §2 for all B templates at once: the call the pipeline makes (ntk_affinities). This default
  // is the CPU's ε-sparse exact path (vlc::ntk_neighbours_sparse); the distributed backend
  // (native/mpi/) runs it on its rank's rows and exchanges the lists, so every rank returns all
  // M lists; the CUDA backend runs its dense tiles per template.
  virtual std::vector<Neighbours> ntk_neighbours_sparse(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                                        const SparseNtkOptions& options,
                                                        std::vector<SparseNtkStats>* stats) const;

  // §4's deflated eigenproblem: the nev largest eigenpairs of P diag(scale) A diag(scale) P,
  // where P projects out the component vectors (node i's entry component_entry[i] in the unit
  // vector of its component component_of[i], `components` of them, disjoint supports). ncv,
  // tol and max_iter are the Lanczos settings spectral.cpp uses. values: nev descending;
  // vectors: M×nev (valid when `converged`; `iterations`: the solver's restarts). Returns false
  // when the backend has no eigensolver of its own (this default): the core then runs Spectra
  // on normalized_matvec. The MPI backend runs SLEPc here.
  struct Eigenpairs {
    VectorD values;
    RowMatrixD vectors;
    int iterations = 0;
    bool converged = false;
  };
  virtual bool deflated_eigenpairs(const SparseMatrixD& a, const VectorD& scale, const std::vector<int>& component_of,
                                   int components, const VectorD& component_entry, int nev, int ncv, double tol,
                                   int max_iter, Eigenpairs& out) const {
    (void)a, (void)scale, (void)component_of, (void)components, (void)component_entry, (void)nev, (void)ncv;
    (void)tol, (void)max_iter, (void)out;
    return false;
  }
};

// mirror[p] = the stored position of (j, i) for the entry p = (i, j) of a symmetric CSR
// pattern (throws vlc::Error naming an entry without a mirror). For apply_symmetric.
std::vector<int> transpose_positions(const SparseMatrixD& pattern);
// out[p] = out[mirror[p]] for every stored position below the diagonal: the lower triangle of
// a symmetric result whose upper triangle is computed (CPU and MPI apply_symmetric).
void copy_lower_from_mirror(const SparseMatrixD& pattern, const std::vector<int>& mirror, double* out);


// The CPU backend (OpenMP when available); lives for the whole program.
const Backend& cpu_backend();

// Device::Cpu → the CPU backend. Device::Cuda → the CUDA backend, or vlc::Error saying why it
// is unavailable. Device::Auto → CUDA when compiled in and a device is present, else CPU.
// The returned backend's device()/name() report which one was chosen.
std::shared_ptr<const Backend> select_backend(Device requested);

#if defined(VLC_HAVE_CUDA)
// Implemented in native/cuda/ (library vlc_cuda).
namespace cuda {
// Number of CUDA devices; 0 with `error` set to cudaGetErrorString when the query fails
// (e.g. no driver on a machine without a GPU).
int device_count(std::string* error);
// The CUDA backend on device `ordinal`; throws vlc::Error naming the failing CUDA call.
std::shared_ptr<const Backend> make_backend(int ordinal = 0);
}  // namespace cuda
#endif

}  // namespace vlc
