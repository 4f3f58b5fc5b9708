// The core's only concurrency: an optional OpenMP parallel-for over independent indices.
// Without OpenMP (e.g. WebAssembly) it is a plain loop, so results never depend on it:
// every parallel body writes only to slots owned by its own index.
#pragma once
#include <cstdint>

namespace vlc {

template <class Body>
void parallel_for(std::int64_t begin, std::int64_t end, Body&& body) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t i = begin; i < end; ++i) body(i);
#else
  for (std::int64_t i = begin; i < end; ++i) body(i);
#endif
}

// Number of worker threads parallel_for may use (1 without OpenMP).
int max_threads();
// Sets the thread count for later parallel_for calls; ignored without OpenMP.
void set_threads(int n);

}  // namespace vlc
