// Size limits of vlc::cluster per target, stated and enforced (issue 9).
//
// Working memory of one cluster() call (the default method ntk-rad, the largest; 4-byte
// floats, 8-byte doubles, 12 bytes per sparse entry: a double and a 32-bit index), with
// P = min(L, k̃·5) kept nouns, k̃ = min(M, max(⌈M/300⌉, 3K)), Ω = diag ∪ the B kNN patterns
// (N = nnz(Ω) ≤ min(M², M·(1 + B·(q + 2))): a mutual-kNN row keeps at most q entries, the
// isolated-node rule adds at most 2 per node), ncv = max(2K+1, 20) Lanczos vectors:
//   images, copied and normalised          8·M·d
//   templates ×2, ensemble, kept rows      4·L·d·(3B + 1)
//   §1 centre × noun scores                8·k̃·L
//   §2 semantic rows, NTK tiles, top-q     4·M·P + 8·256·M + 8·M·q + 32·M·q (triplets)
//   B mutual-kNN graphs and their S_b      24·B·M·(q + 2)
//   RAD on Ω (Ω, Â, gradient, B sandwiches, symmetrised result)   N·(12 + 8B + 24 + 36)
//   §4 cleaned affinity, Lanczos, eigenvectors, k-means            24·N + 8·M·(ncv + 3K)
// Methods without a graph (kmeans, cmatrix; q = 0 here) need the first three lines plus
// 8·M·(k̃·θ + 3K) for C = Z Uᵀ(UUᵀ + γI)⁻¹.
//
// Limits:
//  - every target: M, L ≤ 2^31 − 1 (labels and node indices are int), and N < 2^31: Eigen's
//    sparse matrices here use 32-bit indices (SparseMatrixD), so Ω must hold fewer than 2^31
//    entries — with B = 7, q = 30 that is M ≤ 9.5 million images; lower q or use fewer templates;
//  - WebAssembly (__EMSCRIPTEN__): the estimate must fit in 3.5 GiB of the 4 GiB wasm32 address
//    space (the rest: code, stack, the JavaScript side's copies, allocator slack). With d = 512,
//    B = 7, L = 1000, q = 30, K = 10 that is about M ≤ 72 000 images (≈ 52 KB per image, most of
//    it RAD on Ω; the bound on nnz(Ω) is what real graphs approach when few edges are mutual).
//    The estimate is an upper bound (every kNN edge mutual, the B graphs disjoint); measured with
//    the native CLI on the synthetic generator (q = 30, B = 7, L = 1000, K = 10, one thread):
//    M = 5000, d = 512: 75 MB peak RSS (estimate 285 MB); M = 10000, d = 128: 59 MB (estimate
//    461 MB) — real NTK graphs keep ~4 mutual edges per node. So the WASM limit is conservative
//    (by up to ~8x on such data) but never lets a call run out of memory.
//  - native: no memory cap (the machine's RAM decides; std::bad_alloc is reported by the CLI
//    as "out of memory"), only the index limits.
// The errors say which limit, the estimate, and what to do ("use the native CLI", "lower q").
#pragma once
#include <cstdint>
#include <string>

namespace vlc {

struct ProblemSize {
  std::int64_t m = 0;  // images
  std::int64_t d = 0;  // embedding dimension
  std::int64_t b = 1;  // templates
  std::int64_t l = 0;  // nouns per template
  int q = 30;          // neighbours; 0 = a method without a graph (kmeans, cmatrix)
  int k = 2;           // clusters (0 = automatic: counted as 50, the largest default candidate)
};

// Upper estimate of nnz(Ω) (see above).
std::int64_t omega_nonzeros_bound(const ProblemSize& s);

// Upper estimate of cluster()'s working memory in bytes, by the formula above.
double estimate_memory_bytes(const ProblemSize& s);

// The memory budget of this target in bytes: 3.5 GiB under Emscripten, 0 (none) natively.
double memory_budget_bytes();

// "webassembly" or "native".
std::string target_name();

// Throws vlc::Error when s exceeds a limit of this target, naming the limit, the estimate
// and what to do.
void check_limits(const ProblemSize& s);

}  // namespace vlc
