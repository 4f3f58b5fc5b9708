// The arithmetic of every compute kernel, written once for both backends (issue 8).
//
// Each function here is the inner arithmetic of one step of §2–§4 of docs/method.md. The CPU
// code (ntk.cpp, knn_graph.cpp, rad.cpp, spectral.cpp) calls these functions, and the CUDA
// kernels in native/cuda/ call the very same ones (VLC_HOST_DEVICE is __host__ __device__
// under nvcc), so the native and WebAssembly test suites exercise the GPU's arithmetic on
// every machine, with or without a GPU. Plain C++17: no Eigen, no standard containers, no
// exceptions (all of which device code lacks).
//
// What can still differ between backends is only the order of floating-point reductions
// that are NOT in this file (cuBLAS vs Eigen GEMM for the Gram and overlap tiles) and FMA
// contraction (nvcc fuses a*b+c by default); both are rounding-level.
#pragma once
#include <cmath>

#if defined(__CUDACC__)
#define VLC_HOST_DEVICE __host__ __device__
#else
#define VLC_HOST_DEVICE
#endif

namespace vlc {
namespace dm {

VLC_HOST_DEVICE inline float exp_f(float x) {
#if defined(__CUDA_ARCH__)
  return expf(x);  // full-precision expf (not the __expf intrinsic)
#else
  return std::exp(x);
#endif
}

// ---- §2, Eq. 7: s = softmax(logits / τ) of one row, in place -------------------------------
// `row` holds the n dot products w_l · z_i. The row maximum is subtracted first (at τ = 0.04
// logits reach ±25 and exp would overflow otherwise); then exp, then division by the sum.
VLC_HOST_DEVICE inline void softmax_row(float* row, int n, float inv_tau) {
  float top = row[0];
  for (int l = 1; l < n; ++l) top = row[l] > top ? row[l] : top;
  float sum = 0.0f;
  for (int l = 0; l < n; ++l) {
    const float e = exp_f((row[l] - top) * inv_tau);
    row[l] = e;
    sum += e;
  }
  for (int l = 0; l < n; ++l) row[l] /= sum;
}

// ---- §2, Eq. 8: K(i,j) = (1/τ²) · (z_i·z_j) · (s_i·s_j) --------------------------------------
// gram = z_i·z_j (visual proximity U), overlap = s_i·s_j (semantic overlap V),
// inv_tau2 = 1/τ² rounded to float once by the caller.
VLC_HOST_DEVICE inline float ntk_value(float gram, float overlap, float inv_tau2) {
  return gram * (overlap * inv_tau2);
}

// ---- §2: running top-q with the (value desc, index asc) rule -------------------------------
// "(va, ia) is a better neighbour than (vb, ib)": larger value first, ties to the smaller index.
VLC_HOST_DEVICE inline bool topq_better(float va, int ia, float vb, int ib) {
  return va != vb ? va > vb : ia < ib;
}

// values/index: a list of `count` ≤ q candidates sorted best first. Offers (v, j): it is
// inserted in order when the list is not full or it beats the worst kept entry (which then
// drops out). The result after offering any set of candidates, in any order, is exactly the q
// best of that set under topq_better — so per-thread lists can be merged in any order.
// Cost O(1) for a rejected candidate, O(q) for an inserted one.
VLC_HOST_DEVICE inline void topq_insert(float* values, int* index, int& count, int q, float v, int j) {
  int pos;
  if (count < q) {
    pos = count++;
  } else {
    // Fast path first: most candidates are plainly below the worst kept value (also rejects NaN).
    if (!(v >= values[q - 1])) return;
    if (!topq_better(v, j, values[q - 1], index[q - 1])) return;
    pos = q - 1;
  }
  while (pos > 0 && topq_better(v, j, values[pos - 1], index[pos - 1])) {
    values[pos] = values[pos - 1];
    index[pos] = index[pos - 1];
    --pos;
  }
  values[pos] = v;
  index[pos] = j;
}

// ---- §3: one row of the masked sandwich (S X S)[i, Ω_i] -------------------------------------
// CSR arrays: S (s_outer, s_inner, s_value; symmetric) and the pattern Ω (p_outer, p_inner),
// X given by its values x over Ω's stored positions. Row i is computed in three phases over a
// dense scratch row of M entries that is zero before and after:
//   scatter: scratch = S[i,:] X        (u_l = Σ_k S_ik X_kl, over k ∈ S_i, l ∈ Ω_k)
//   gather:  out[p] = u · S[:, j] = Σ_l u_l S_lj for every p ∈ Ω_i, j = p_inner[p]
//   clear:   scratch back to zero, touching only the entries scatter touched.
// Cost O(|S_i|·|Ω_k| + |Ω_i|·|S_j|) per row. `lane`/`width` split the inner loops among
// `width` cooperating threads (the CPU passes 0/1, a CUDA warp passes lane/32); `sync` is
// called after each k of scatter/clear so that cooperating threads never update one scratch
// entry at the same time (a no-op on the CPU, __syncwarp on the GPU). Each scratch entry and
// each output is accumulated in the same order for every width, so the CPU and the GPU add
// the same terms in the same order.
struct NoSync {
  VLC_HOST_DEVICE void operator()() const {}
};

template <class Real, class Sync>
VLC_HOST_DEVICE inline void sandwich_scatter(int i, int lane, int width, const int* s_outer, const int* s_inner,
                                             const Real* s_value, const int* p_outer, const int* p_inner,
                                             const Real* x, Real* scratch, Sync sync) {
  for (int a = s_outer[i]; a < s_outer[i + 1]; ++a) {
    const int k = s_inner[a];
    const Real w = s_value[a];
    for (int p = p_outer[k] + lane; p < p_outer[k + 1]; p += width) scratch[p_inner[p]] += w * x[p];
    sync();
  }
}

// Gather for the positions [begin, end) of one row only (sandwich_row_from).
template <class Real>
VLC_HOST_DEVICE inline void sandwich_gather_range(int begin, int end, int lane, int width, const int* s_outer,
                                                  const int* s_inner, const Real* s_value, const int* p_inner,
                                                  const Real* scratch, Real* out) {
  for (int p = begin + lane; p < end; p += width) {
    const int j = p_inner[p];
    Real acc = 0;
    for (int b = s_outer[j]; b < s_outer[j + 1]; ++b) acc += scratch[s_inner[b]] * s_value[b];
    out[p] = acc;
  }
}

template <class Real>
VLC_HOST_DEVICE inline void sandwich_gather(int i, int lane, int width, const int* s_outer, const int* s_inner,
                                            const Real* s_value, const int* p_outer, const int* p_inner,
                                            const Real* scratch, Real* out) {
  sandwich_gather_range(p_outer[i], p_outer[i + 1], lane, width, s_outer, s_inner, s_value, p_inner, scratch, out);
}

template <class Real, class Sync>
VLC_HOST_DEVICE inline void sandwich_clear(int i, int lane, int width, const int* s_outer, const int* s_inner,
                                           const int* p_outer, const int* p_inner, Real* scratch, Sync sync) {
  for (int a = s_outer[i]; a < s_outer[i + 1]; ++a) {
    const int k = s_inner[a];
    for (int p = p_outer[k] + lane; p < p_outer[k + 1]; p += width) scratch[p_inner[p]] = 0;
    sync();
  }
}

// Row i by one thread, for the positions from `first` to the row's end only (the CPU's
// symmetric variant passes the diagonal's position): out[p] = (S X S)[i, p_inner[p]].
template <class Real>
VLC_HOST_DEVICE inline void sandwich_row_from(int i, int first, const int* s_outer, const int* s_inner,
                                              const Real* s_value, const int* p_outer, const int* p_inner,
                                              const Real* x, Real* scratch, Real* out) {
  sandwich_scatter(i, 0, 1, s_outer, s_inner, s_value, p_outer, p_inner, x, scratch, NoSync{});
  sandwich_gather_range(first, p_outer[i + 1], 0, 1, s_outer, s_inner, s_value, p_inner, scratch, out);
  sandwich_clear(i, 0, 1, s_outer, s_inner, p_outer, p_inner, scratch, NoSync{});
}

// The whole row by one thread: out[p] = (S X S)[i, p_inner[p]] for p ∈ [p_outer[i], p_outer[i+1]).
template <class Real>
VLC_HOST_DEVICE inline void sandwich_row(int i, const int* s_outer, const int* s_inner, const Real* s_value,
                                         const int* p_outer, const int* p_inner, const Real* x, Real* scratch,
                                         Real* out) {
  sandwich_row_from(i, p_outer[i], s_outer, s_inner, s_value, p_outer, p_inner, x, scratch, out);
}

// ---- §4: one row of y = D^{-1/2} A D^{-1/2} x (the Lanczos operator) ------------------------
// scale = D^{-1/2} (isolated nodes: 1). Returns y_i = scale_i Σ_p a_p scale_j x_j, j = inner[p].
template <class Real>
VLC_HOST_DEVICE inline Real normalized_row(int i, const int* outer, const int* inner, const Real* value,
                                           const Real* scale, const Real* x) {
  Real acc = 0;
  for (int p = outer[i]; p < outer[i + 1]; ++p) acc += value[p] * scale[inner[p]] * x[inner[p]];
  return scale[i] * acc;
}

}  // namespace dm
}  // namespace vlc
