// The CUDA kernels of the backend (issue 8). Each kernel is a thin parallel shell around the
// arithmetic of vlc/device_math.hpp, the same functions the CPU backend runs.
#include "kernels.hpp"
#include "vlc/device_math.hpp"

namespace vlc {
namespace cuda {
namespace kernels {
namespace {

constexpr int kTopqThreads = 128;    // threads per row in ntk_topq (power of two)
constexpr int kSandwichThreads = 256;  // 8 warps per block in masked_sandwich
constexpr int kRowThreads = 256;

// ---- §2 Eq. 7: one thread per row ---------------------------------------------------------
__global__ void softmax_kernel(float* logits, int m, int n, float inv_tau) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < m) dm::softmax_row(logits + i * n, n, inv_tau);
}

// ---- §2 Eq. 8 + fused top-q: one block per row ----------------------------------------------
// Each thread keeps the top-q of its strided columns (coalesced reads of both tiles), then
// the block merges the lists pairwise in shared memory. topq_insert's result does not
// depend on the order candidates arrive in, so the merged list is exactly the row's top-q
// under (value desc, index asc) — the CPU's list for the same K values.
__global__ void __launch_bounds__(kTopqThreads)
    ntk_topq_kernel(const float* gram, const float* overlap, int m, int begin, int q, float inv_tau2,
                    int* out_index, float* out_value) {
  __shared__ float shared_value[(kTopqThreads / 2) * kMaxQ];
  __shared__ int shared_index[(kTopqThreads / 2) * kMaxQ];
  __shared__ int shared_count[kTopqThreads / 2];
  const int r = blockIdx.x;
  const int self = begin + r;
  const int t = threadIdx.x;
  const float* g = gram + static_cast<size_t>(r) * m;
  const float* v = overlap + static_cast<size_t>(r) * m;
  float value[kMaxQ];
  int index[kMaxQ];
  int count = 0;
  for (int j = t; j < m; j += kTopqThreads) {
    if (j == self) continue;
    dm::topq_insert(value, index, count, q, dm::ntk_value(g[j], v[j], inv_tau2), j);
  }
  for (int stride = kTopqThreads / 2; stride > 0; stride /= 2) {
    if (t >= stride && t < 2 * stride) {
      const int slot = t - stride;
      for (int c = 0; c < count; ++c) {
        shared_value[slot * kMaxQ + c] = value[c];
        shared_index[slot * kMaxQ + c] = index[c];
      }
      shared_count[slot] = count;
    }
    __syncthreads();
    if (t < stride) {
      const int n = shared_count[t];
      for (int c = 0; c < n; ++c)
        dm::topq_insert(value, index, count, q, shared_value[t * kMaxQ + c], shared_index[t * kMaxQ + c]);
    }
    __syncthreads();
  }
  if (t == 0) {
    const size_t at = static_cast<size_t>(self) * q;
    for (int c = 0; c < q; ++c) {
      out_index[at + c] = c < count ? index[c] : -1;
      out_value[at + c] = c < count ? value[c] : 0.0f;
    }
  }
}

// ---- §3 masked sandwich: one warp per row ---------------------------------------------------
struct WarpSync {
  __device__ void operator()() const { __syncwarp(); }
};

__global__ void __launch_bounds__(kSandwichThreads)
    sandwich_kernel(int m, const int* s_outer, const int* s_inner, const double* s_value, const int* p_outer,
                    const int* p_inner, const double* x, double* out, double* scratch_all) {
  const int lane = threadIdx.x & 31;
  const long long warp = (static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;
  const long long warps = (static_cast<long long>(gridDim.x) * blockDim.x) >> 5;
  double* scratch = scratch_all + warp * static_cast<long long>(m);
  // Row loop, scatter's and clear's k loops are uniform across the warp, so every lane
  // reaches every __syncwarp.
  for (long long row = warp; row < m; row += warps) {
    const int i = static_cast<int>(row);
    dm::sandwich_scatter(i, lane, 32, s_outer, s_inner, s_value, p_outer, p_inner, x, scratch, WarpSync{});
    __syncwarp();
    dm::sandwich_gather(i, lane, 32, s_outer, s_inner, s_value, p_outer, p_inner, scratch, out);
    __syncwarp();
    dm::sandwich_clear(i, lane, 32, s_outer, s_inner, p_outer, p_inner, scratch, WarpSync{});
    __syncwarp();
  }
}

// ---- §4 Lanczos mat-vec: one thread per row -------------------------------------------------
__global__ void matvec_kernel(int m, const int* outer, const int* inner, const double* value, const double* scale,
                              const double* x, double* y) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < m) y[i] = dm::normalized_row(static_cast<int>(i), outer, inner, value, scale, x);
}

unsigned blocks_for(long long n, int threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

}  // namespace

cudaError_t softmax_rows(float* logits, int m, int n, float inv_tau, cudaStream_t stream) {
  if (m <= 0) return cudaSuccess;
  softmax_kernel<<<blocks_for(m, kRowThreads), kRowThreads, 0, stream>>>(logits, m, n, inv_tau);
  return cudaGetLastError();
}

cudaError_t ntk_topq(const float* gram, const float* overlap, int rows, int m, int begin, int q, float inv_tau2,
                     int* out_index, float* out_value, cudaStream_t stream) {
  if (q < 1 || q > kMaxQ) return cudaErrorInvalidValue;
  if (rows <= 0) return cudaSuccess;
  ntk_topq_kernel<<<rows, kTopqThreads, 0, stream>>>(gram, overlap, m, begin, q, inv_tau2, out_index, out_value);
  return cudaGetLastError();
}

cudaError_t masked_sandwich(int m, const int* s_outer, const int* s_inner, const double* s_value, const int* p_outer,
                            const int* p_inner, const double* x, double* out, double* scratch, int warps,
                            cudaStream_t stream) {
  if (m <= 0) return cudaSuccess;
  const int warps_per_block = kSandwichThreads / 32;
  if (warps < warps_per_block || warps % warps_per_block != 0) return cudaErrorInvalidValue;
  sandwich_kernel<<<warps / warps_per_block, kSandwichThreads, 0, stream>>>(m, s_outer, s_inner, s_value, p_outer,
                                                                            p_inner, x, out, scratch);
  return cudaGetLastError();
}

cudaError_t normalized_matvec(int m, const int* outer, const int* inner, const double* value, const double* scale,
                              const double* x, double* y, cudaStream_t stream) {
  if (m <= 0) return cudaSuccess;
  matvec_kernel<<<blocks_for(m, kRowThreads), kRowThreads, 0, stream>>>(m, outer, inner, value, scale, x, y);
  return cudaGetLastError();
}

}  // namespace kernels
}  // namespace cuda
}  // namespace vlc
