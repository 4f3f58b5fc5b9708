// The CUDA backend (issue 8): device memory, cuBLAS and the kernels of kernels.cu behind
// vlc::Backend. Compiled by the host compiler (it sees Eigen, the kernels do not).
//
// Errors from the CUDA runtime or cuBLAS become vlc::Error naming the call and the runtime's
// own message (cudaGetErrorString / cublasGetStatusString).
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include "kernels.hpp"
#include "vlc/backend.hpp"
#include "vlc/error.hpp"

namespace vlc {
namespace cuda {
namespace {

void check(cudaError_t status, const char* call) {
  if (status != cudaSuccess) fail("CUDA: ", call, " failed: ", cudaGetErrorString(status));
}
void check(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) fail("cuBLAS: ", call, " failed: ", cublasGetStatusString(status));
}
#define VLC_CUDA_CHECK(call) check((call), #call)

// Device buffers per tile and per scratch are bounded so that M = 10^6 fits a 40 GB GPU:
// each of the two NTK tiles holds at most kTileElements floats (256 MiB), the sandwich
// scratch at most kScratchElements doubles (1 GiB).
constexpr std::int64_t kTileElements = std::int64_t(1) << 26;
constexpr std::int64_t kScratchElements = std::int64_t(1) << 27;

template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t n = 0) : n_(n) {
    if (n_ > 0) VLC_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&p_), n_ * sizeof(T)));
  }
  ~DeviceBuffer() {
    if (p_) cudaFree(p_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return p_; }
  std::size_t size() const { return n_; }
  void upload(const T* host, std::size_t n) {
    if (n > 0) VLC_CUDA_CHECK(cudaMemcpy(p_, host, n * sizeof(T), cudaMemcpyHostToDevice));
  }
  void download(T* host, std::size_t n) const {
    if (n > 0) VLC_CUDA_CHECK(cudaMemcpy(host, p_, n * sizeof(T), cudaMemcpyDeviceToHost));
  }
  void zero() {
    if (n_ > 0) VLC_CUDA_CHECK(cudaMemset(p_, 0, n_ * sizeof(T)));
  }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

class CublasHandle {
 public:
  CublasHandle() { VLC_CUDA_CHECK(cublasCreate(&h_)); }
  ~CublasHandle() { cublasDestroy(h_); }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return h_; }

 private:
  cublasHandle_t h_ = nullptr;
};

// A CSR matrix on the device (values optional).
struct DeviceCsr {
  DeviceBuffer<int> outer, inner;
  DeviceBuffer<double> value;
  DeviceCsr(const SparseMatrixD& a, bool with_values)
      : outer(static_cast<std::size_t>(a.rows()) + 1), inner(static_cast<std::size_t>(a.nonZeros())),
        value(with_values ? static_cast<std::size_t>(a.nonZeros()) : 0) {
    require(a.isCompressed(), "CUDA backend: sparse matrices must be compressed (makeCompressed())");
    outer.upload(a.outerIndexPtr(), outer.size());
    inner.upload(a.innerIndexPtr(), inner.size());
    if (with_values) value.upload(a.valuePtr(), value.size());
  }
};

SparseMatrixD compressed(const SparseMatrixD& a) {
  SparseMatrixD c = a;
  c.makeCompressed();
  return c;
}

class CudaSandwich final : public SandwichOperator {
 public:
  CudaSandwich(int ordinal, const SparseMatrixD& s, const SparseMatrixD& pattern)
      : ordinal_(ordinal), m_(static_cast<int>(s.rows())), nnz_(static_cast<std::size_t>(pattern.nonZeros())),
        s_((VLC_CUDA_CHECK(cudaSetDevice(ordinal)), compressed(s)), true), p_(compressed(pattern), false),
        x_(nnz_), out_(nnz_), warps_(scratch_warps(m_)),
        scratch_(static_cast<std::size_t>(warps_) * static_cast<std::size_t>(std::max(m_, 1))) {
    scratch_.zero();  // the kernel keeps it zero between rows and calls
  }
  void apply(const double* x, double* out) override {
    VLC_CUDA_CHECK(cudaSetDevice(ordinal_));
    x_.upload(x, nnz_);
    VLC_CUDA_CHECK(kernels::masked_sandwich(m_, s_.outer.get(), s_.inner.get(), s_.value.get(), p_.outer.get(),
                                            p_.inner.get(), x_.get(), out_.get(), scratch_.get(), warps_, nullptr));
    out_.download(out, nnz_);  // synchronous: also surfaces kernel faults
  }

 private:
  // Warps resident at once, each with a scratch row of M doubles: as many as fit
  // kScratchElements (at most one per row, at least one block of 8), a multiple of 8.
  static int scratch_warps(int m) {
    const std::int64_t fit = kScratchElements / std::max<std::int64_t>(m, 1);
    std::int64_t w = std::min<std::int64_t>({fit, std::max(m, 1), 65536});
    w = std::max<std::int64_t>(8, (w + 7) / 8 * 8);
    return static_cast<int>(w);
  }
  int ordinal_, m_;
  std::size_t nnz_;
  DeviceCsr s_, p_;
  DeviceBuffer<double> x_, out_;
  int warps_;
  DeviceBuffer<double> scratch_;
};

class CudaMatVec final : public MatVecOperator {
 public:
  CudaMatVec(int ordinal, const SparseMatrixD& a, const VectorD& scale)
      : ordinal_(ordinal), m_(static_cast<int>(a.rows())),
        a_((VLC_CUDA_CHECK(cudaSetDevice(ordinal)), compressed(a)), true), scale_(scale.size()), x_(m_), y_(m_) {
    scale_.upload(scale.data(), scale_.size());
  }
  void apply(const double* x, double* y) override {
    VLC_CUDA_CHECK(cudaSetDevice(ordinal_));
    x_.upload(x, static_cast<std::size_t>(m_));
    VLC_CUDA_CHECK(kernels::normalized_matvec(m_, a_.outer.get(), a_.inner.get(), a_.value.get(), scale_.get(),
                                              x_.get(), y_.get(), nullptr));
    y_.download(y, static_cast<std::size_t>(m_));
  }

 private:
  int ordinal_, m_;
  DeviceCsr a_;
  DeviceBuffer<double> scale_, x_, y_;
};

class CudaBackend final : public Backend {
 public:
  CudaBackend(int ordinal, std::string name) : ordinal_(ordinal), name_(std::move(name)) {}
  Device device() const override { return Device::Cuda; }
  std::string name() const override { return name_; }

  Neighbours ntk_neighbours(const RowMatrixF& images, const RowMatrixF& nouns, const NtkOptions& o) const override {
    require(o.tau > 0, "NTK: temperature tau must be positive, got ", o.tau);
    require(images.cols() == nouns.cols(), "NTK: images have dimension ", images.cols(), " but nouns have ",
            nouns.cols());
    require(nouns.rows() >= 1, "NTK: no nouns to anchor the affinity (empty positive set)");
    const int m = static_cast<int>(images.rows()), d = static_cast<int>(images.cols());
    const int n = static_cast<int>(nouns.rows()), q = o.q;
    require(q >= 1, "neighbours: q = ", q, " must be at least 1");
    require(q < m, "neighbours: q = ", q, " must be smaller than the number of images M = ", m,
            " (a node has only M−1 possible neighbours); lower q");
    require(q <= kernels::kMaxQ, "CUDA backend: q = ", q, " is larger than the ", kernels::kMaxQ,
            " neighbours its top-q kernel keeps; use --device cpu or a smaller q");
    VLC_CUDA_CHECK(cudaSetDevice(ordinal_));
    CublasHandle blas;
    const float one = 1.0f, zero = 0.0f;

    DeviceBuffer<float> z(static_cast<std::size_t>(m) * d), w(static_cast<std::size_t>(n) * d);
    DeviceBuffer<float> soft(static_cast<std::size_t>(m) * n);
    z.upload(images.data(), z.size());
    w.upload(nouns.data(), w.size());
    // Row-major soft (M×N) = Z Wᵀ is column-major N×M = W·Zᵀ with W, Z seen column-major d×·.
    VLC_CUDA_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_T, CUBLAS_OP_N, n, m, d, &one, w.get(), d, z.get(), d, &zero,
                               soft.get(), n));
    VLC_CUDA_CHECK(kernels::softmax_rows(soft.get(), m, n, static_cast<float>(1.0 / o.tau), nullptr));

    const std::int64_t tile = std::max<std::int64_t>(1, std::min<std::int64_t>(m, kTileElements / m));
    DeviceBuffer<float> gram(static_cast<std::size_t>(tile) * m), overlap(static_cast<std::size_t>(tile) * m);
    DeviceBuffer<int> index(static_cast<std::size_t>(m) * q);
    DeviceBuffer<float> value(static_cast<std::size_t>(m) * q);
    const float inv_tau2 = static_cast<float>(1.0 / (o.tau * o.tau));  // as the CPU's ntk_tile
    for (int begin = 0; begin < m; begin += static_cast<int>(tile)) {
      const int rows = static_cast<int>(std::min<std::int64_t>(tile, m - begin));
      // Row-major tile (rows×M) = Z[begin:] Zᵀ is column-major M×rows = Z · Z[begin:]ᵀ.
      VLC_CUDA_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_T, CUBLAS_OP_N, m, rows, d, &one, z.get(), d,
                                 z.get() + static_cast<std::size_t>(begin) * d, d, &zero, gram.get(), m));
      VLC_CUDA_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_T, CUBLAS_OP_N, m, rows, n, &one, soft.get(), n,
                                 soft.get() + static_cast<std::size_t>(begin) * n, n, &zero, overlap.get(), m));
      VLC_CUDA_CHECK(kernels::ntk_topq(gram.get(), overlap.get(), rows, m, begin, q, inv_tau2, index.get(),
                                       value.get(), nullptr));
    }
    Neighbours nbrs;
    nbrs.rows = m;
    nbrs.q = q;
    nbrs.index.resize(static_cast<std::size_t>(m) * q);
    nbrs.value.resize(static_cast<std::size_t>(m) * q);
    index.download(nbrs.index.data(), nbrs.index.size());
    value.download(nbrs.value.data(), nbrs.value.size());
    return nbrs;
  }

  // §2 for all B templates, the call the pipeline makes (Backend is its only dispatch): the dense
  // tiles per template — on a GPU the Gram and overlap GEMMs are cheap enough that the CPU's
  // candidate search would not pay. The stats say so: every pair evaluated, every row dense.
  std::vector<Neighbours> ntk_neighbours_sparse(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                                const SparseNtkOptions& so,
                                                std::vector<SparseNtkStats>* stats) const override {
    const long long m = images.rows();
    require(so.row_begin == 0 && (so.row_end < 0 || so.row_end == m),
            "CUDA backend: computes the lists of all M rows (rows ", so.row_begin, "..", so.row_end, " asked)");
    NtkOptions o;
    o.tau = so.tau;
    o.q = so.q;
    std::vector<Neighbours> out;
    out.reserve(nouns.size());
    for (const auto& w : nouns) out.push_back(ntk_neighbours(images, w, o));
    if (stats) {
      stats->assign(nouns.size(), SparseNtkStats{});
      for (std::size_t b = 0; b < nouns.size(); ++b) {
        SparseNtkStats& st = (*stats)[b];
        st.candidate_pairs = st.full_values = m * (m - 1);
        st.fallback_rows = m;
        st.mean_candidate_nouns = st.mean_value_nouns = static_cast<double>(nouns[b].rows());
      }
    }
    return out;
  }

  std::unique_ptr<SandwichOperator> masked_sandwich(const SparseMatrixD& s, const SparseMatrixD& pattern) const override {
    require(s.rows() == pattern.rows() && s.cols() == pattern.cols() && s.rows() == s.cols(),
            "masked product: S is ", s.rows(), "×", s.cols(), " but the pattern is ", pattern.rows(), "×",
            pattern.cols());
    return std::make_unique<CudaSandwich>(ordinal_, s, pattern);
  }

  std::unique_ptr<MatVecOperator> normalized_matvec(const SparseMatrixD& a, const VectorD& scale) const override {
    require(a.rows() == a.cols() && scale.size() == a.rows(), "mat-vec: A is ", a.rows(), "×", a.cols(),
            " with ", scale.size(), " scale entries");
    return std::make_unique<CudaMatVec>(ordinal_, a, scale);
  }

 private:
  int ordinal_;
  std::string name_;
};

}  // namespace

int device_count(std::string* error) {
  int n = 0;
  const cudaError_t status = cudaGetDeviceCount(&n);
  if (status != cudaSuccess) {
    if (error) *error = cudaGetErrorString(status);
    cudaGetLastError();  // clear the sticky-free error so later queries start clean
    return 0;
  }
  if (n == 0 && error) *error = "cudaGetDeviceCount returned 0 devices";
  return n;
}

std::shared_ptr<const Backend> make_backend(int ordinal) {
  std::string error;
  const int n = device_count(&error);
  require(n > 0, "CUDA backend: no CUDA device found (", error, ")");
  require(ordinal >= 0 && ordinal < n, "CUDA backend: device ", ordinal, " requested but only ", n, " present");
  VLC_CUDA_CHECK(cudaSetDevice(ordinal));
  cudaDeviceProp prop{};
  VLC_CUDA_CHECK(cudaGetDeviceProperties(&prop, ordinal));
  return std::make_shared<CudaBackend>(ordinal, "cuda:" + std::to_string(ordinal) + " (" + prop.name + ")");
}

}  // namespace cuda
}  // namespace vlc
