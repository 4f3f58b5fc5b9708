// Launchers of the CUDA kernels (kernels.cu). Plain C++ declarations on raw device pointers,
// so that cuda_backend.cpp (compiled by the host compiler, with Eigen) never sees CUDA syntax
// and kernels.cu never sees Eigen. Every launcher returns cudaGetLastError() after the launch.
// All matrices are row-major, all sparse matrices CSR with int indices.
#pragma once
#include <cuda_runtime_api.h>

namespace vlc {
namespace cuda {
namespace kernels {

// Largest q the fused top-q kernel supports (per-thread candidate lists live in local memory).
constexpr int kMaxQ = 64;

// logits: m×n, row i = (w_l · z_i)_l; replaced by softmax(logits/τ) row by row (dm::softmax_row).
cudaError_t softmax_rows(float* logits, int m, int n, float inv_tau, cudaStream_t stream);

// One tile of §2: rows r ∈ [0, rows) are images begin+r; gram/overlap are rows×m (row-major)
// Gram and semantic-overlap tiles. Writes the q best j ≠ begin+r of
// K = dm::ntk_value(gram, overlap, inv_tau2) to out_index/out_value + (begin+r)·q, best first.
// One thread block per row; q ≤ kMaxQ.
cudaError_t ntk_topq(const float* gram, const float* overlap, int rows, int m, int begin, int q, float inv_tau2,
                     int* out_index, float* out_value, cudaStream_t stream);

// §3 Â-step product: out[p] = (S X S)[i, p_inner[p]] over the CSR pattern Ω (p_outer, p_inner),
// X given by x over Ω's positions. One warp per row (dm::sandwich_scatter/gather/clear);
// `warps` warps loop over the rows, each owning a zeroed scratch row of m doubles in
// `scratch` (warps·m entries, zero on entry and on return).
cudaError_t masked_sandwich(int m, const int* s_outer, const int* s_inner, const double* s_value, const int* p_outer,
                            const int* p_inner, const double* x, double* out, double* scratch, int warps,
                            cudaStream_t stream);

// §4 Lanczos operator: y = diag(scale) A diag(scale) x, one thread per row (dm::normalized_row).
cudaError_t normalized_matvec(int m, const int* outer, const int* inner, const double* value, const double* scale,
                              const double* x, double* y, cudaStream_t stream);

}  // namespace kernels
}  // namespace cuda
}  // namespace vlc
