#include "vlc/backend.hpp"
#include <algorithm>
#include <vector>
#include "vlc/device_math.hpp"
#include "vlc/error.hpp"
#include "vlc/parallel.hpp"
#include "vlc/rad.hpp"

namespace vlc {

std::vector<int> transpose_positions(const SparseMatrixD& pattern) {
  const int* outer = pattern.outerIndexPtr();
  const int* inner = pattern.innerIndexPtr();
  std::vector<int> mirror(pattern.nonZeros());
  for (int i = 0; i < pattern.rows(); ++i)
    for (int p = outer[i]; p < outer[i + 1]; ++p) {
      const int j = inner[p];
      const int* at = std::lower_bound(inner + outer[j], inner + outer[j + 1], i);
      require(at != inner + outer[j + 1] && *at == i, "masked product: the pattern is not symmetric (entry ", i,
              ",", j, " has no mirror)");
      mirror[p] = static_cast<int>(at - inner);
    }
  return mirror;
}

std::vector<Neighbours> Backend::ntk_neighbours_sparse(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                                       const SparseNtkOptions& options,
                                                       std::vector<SparseNtkStats>* stats) const {
  return vlc::ntk_neighbours_sparse(images, nouns, options, stats);
}

void copy_lower_from_mirror(const SparseMatrixD& pattern, const std::vector<int>& mirror, double* out) {
  const int* po = pattern.outerIndexPtr();
  const int* pi = pattern.innerIndexPtr();
  parallel_for(0, pattern.rows(), [&](std::int64_t row) {
    const int i = static_cast<int>(row);
    for (int p = po[i]; p < po[i + 1] && pi[p] < i; ++p) out[p] = out[mirror[p]];
  });
}

namespace {

class CpuSandwich final : public SandwichOperator {
 public:
  CpuSandwich(const SparseMatrixD& s, const SparseMatrixD& pattern) : s_(s), pattern_(pattern) {}
  void apply(const double* x, double* out) override { masked_sandwich_values(s_, pattern_, x, out); }

  // Rows compute only their entries j ≥ i (the scatter is still whole), then the lower
  // triangle copies its mirror: the gather, half of the row's work, is halved.
  void apply_symmetric(const double* x, double* out) override {
    if (mirror_.empty()) mirror_ = transpose_positions(pattern_);
    masked_sandwich_upper_values(s_, pattern_, x, out);
    copy_lower_from_mirror(pattern_, mirror_, out);
  }

 private:
  const SparseMatrixD& s_;
  const SparseMatrixD& pattern_;
  std::vector<int> mirror_;
};

class CpuMatVec final : public MatVecOperator {
 public:
  CpuMatVec(const SparseMatrixD& a, const VectorD& scale) : a_(a), scale_(scale) {}
  void apply(const double* x, double* y) override {
    const int* outer = a_.outerIndexPtr();
    const int* inner = a_.innerIndexPtr();
    const double* value = a_.valuePtr();
    const double* scale = scale_.data();
    parallel_for(0, a_.rows(), [&](std::int64_t i) {
      y[i] = dm::normalized_row(static_cast<int>(i), outer, inner, value, scale, x);
    });
  }

 private:
  const SparseMatrixD& a_;
  const VectorD& scale_;
};

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::Cpu; }
  std::string name() const override { return "cpu"; }
  Neighbours ntk_neighbours(const RowMatrixF& images, const RowMatrixF& nouns, const NtkOptions& o) const override {
    NtkOptions cpu = o;
    cpu.backend = nullptr;
    return vlc::ntk_neighbours(images, nouns, cpu);
  }
  std::unique_ptr<SandwichOperator> masked_sandwich(const SparseMatrixD& s, const SparseMatrixD& pattern) const override {
    require(s.rows() == pattern.rows() && s.cols() == pattern.cols() && s.rows() == s.cols(),
            "masked product: S is ", s.rows(), "×", s.cols(), " but the pattern is ", pattern.rows(), "×",
            pattern.cols());
    return std::make_unique<CpuSandwich>(s, pattern);
  }
  std::unique_ptr<MatVecOperator> normalized_matvec(const SparseMatrixD& a, const VectorD& scale) const override {
    require(a.rows() == a.cols() && scale.size() == a.rows(), "mat-vec: A is ", a.rows(), "×", a.cols(),
            " with ", scale.size(), " scale entries");
    return std::make_unique<CpuMatVec>(a, scale);
  }
};

}  // namespace

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::Cpu;
  if (name == "cuda") return Device::Cuda;
  if (name == "auto") return Device::Auto;
  fail("unknown device '", name, "': expected cpu, cuda or auto");
}

std::string device_name(Device d) {
  switch (d) {
    case Device::Cpu: return "cpu";
    case Device::Cuda: return "cuda";
    case Device::Auto: return "auto";
  }
  return "auto";
}

bool cuda_compiled() {
#if defined(VLC_HAVE_CUDA)
  return true;
#else
  return false;
#endif
}

bool cuda_available(std::string* why) {
#if defined(VLC_HAVE_CUDA)
  std::string error;
  const int n = cuda::device_count(&error);
  if (n > 0) return true;
  if (why) *why = "no CUDA device found (cudaGetDeviceCount: " + (error.empty() ? std::string("0 devices") : error) + ")";
  return false;
#else
  if (why) *why = "this build has no CUDA backend (configure with -DVLC_USE_CUDA=ON)";
  return false;
#endif
}

const Backend& cpu_backend() {
  static const CpuBackend backend;
  return backend;
}

std::shared_ptr<const Backend> select_backend(Device requested) {
  const std::shared_ptr<const Backend> cpu(&cpu_backend(), [](const Backend*) {});
  if (requested == Device::Cpu) return cpu;
  std::string why;
  const bool available = cuda_available(&why);
  if (requested == Device::Cuda) require(available, "device cuda requested but ", why);
  if (!available) return cpu;
#if defined(VLC_HAVE_CUDA)
  return cuda::make_backend(0);
#else
  return cpu;
#endif
}

}  // namespace vlc
