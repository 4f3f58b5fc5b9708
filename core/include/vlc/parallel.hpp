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

// As parallel_for, for a few coarse tasks of uneven cost (one index = one block of work):
// indices are handed out one at a time.
template <class Body>
void parallel_tasks(std::int64_t count, Body&& body) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t t = 0; t < count; ++t) body(t);
#else
  for (std::int64_t t = 0; t < count; ++t) body(t);
#endif
}

// Number of worker threads parallel_for may use (1 without OpenMP).
int max_threads();
// Sets the thread count for later parallel_for calls; ignored without OpenMP.
void set_threads(int n);

}  // namespace vlc
