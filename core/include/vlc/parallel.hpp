// The core's only concurrency: an optional OpenMP parallel-for over independent indices.
// Without OpenMP (e.g. WebAssembly) it is a plain loop, so results never depend on it:
// every parallel body writes only to slots owned by its own index.
//
// An exception must not leave an OpenMP region (that calls std::terminate: a std::bad_alloc
// in a worker would abort the program). So each body runs under FirstException, which keeps
// the first exception thrown by any index, skips the indices not yet started, and rethrows
// it on the calling thread after the region: the caller sees the same exception as in the
// serial loop.
#pragma once
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>

namespace vlc {

namespace detail {

class FirstException {
 public:
  template <class Body>
  void run(Body&& body, std::int64_t i) noexcept {
    if (failed_.load(std::memory_order_relaxed)) return;
    try {
      body(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!first_) first_ = std::current_exception();
      failed_.store(true, std::memory_order_relaxed);
    }
  }
  void rethrow() const {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::exception_ptr first_;
};

}  // namespace detail

template <class Body>
void parallel_for(std::int64_t begin, std::int64_t end, Body&& body) {
#if defined(_OPENMP)
  detail::FirstException first;
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t i = begin; i < end; ++i) first.run(body, i);
  first.rethrow();
#else
  for (std::int64_t i = begin; i < end; ++i) body(i);
#endif
}

// As parallel_for, for a few coarse tasks of uneven cost (one index = one block of work):
// indices are handed out one at a time.
template <class Body>
void parallel_tasks(std::int64_t count, Body&& body) {
#if defined(_OPENMP)
  detail::FirstException first;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t t = 0; t < count; ++t) first.run(body, t);
  first.rethrow();
#else
  for (std::int64_t t = 0; t < count; ++t) body(t);
#endif
}

// Number of worker threads parallel_for may use (1 without OpenMP).
int max_threads();
// Sets the thread count for later parallel_for calls; ignored without OpenMP.
void set_threads(int n);

}  // namespace vlc
