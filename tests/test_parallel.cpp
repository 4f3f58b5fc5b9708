// parallel_for / parallel_tasks (core/include/vlc/parallel.hpp): an exception thrown by a
// parallel body reaches the caller (issue 14: a std::bad_alloc inside the OpenMP region of
// the sparse NTK search used to call std::terminate, exit 134). Meaningful with OpenMP on,
// as in the native build (the sanitizer and fuzz builds turn it off: then it is a plain loop).
#include <catch2/catch.hpp>

#include <atomic>
#include <new>
#include <stdexcept>

#include "vlc/error.hpp"
#include "vlc/parallel.hpp"

TEST_CASE("parallel_for: an exception in a body arrives at the caller") {
  vlc::set_threads(2);
  std::atomic<int> ran{0};
  auto body = [&ran](std::int64_t i) {
    ++ran;
    if (i == 37) vlc::fail("index ", i, " failed");
  };
  CHECK_THROWS_WITH(vlc::parallel_for(0, 1000, body), "index 37 failed");
  CHECK(ran.load() >= 1);
  // The pool is still usable afterwards.
  std::atomic<long> sum{0};
  vlc::parallel_for(0, 100, [&sum](std::int64_t i) { sum += i; });
  CHECK(sum.load() == 4950);
}

TEST_CASE("parallel_tasks: std::bad_alloc in a task arrives as std::bad_alloc") {
  vlc::set_threads(2);
  CHECK_THROWS_AS(vlc::parallel_tasks(8, [](std::int64_t t) {
                    if (t % 3 == 1) throw std::bad_alloc();
                  }),
                  std::bad_alloc);
}

TEST_CASE("parallel_tasks: an exception from a nested parallel_for arrives once") {
  vlc::set_threads(2);
  CHECK_THROWS_AS(vlc::parallel_tasks(4, [](std::int64_t t) {
                    vlc::parallel_for(0, 64, [t](std::int64_t i) {
                      if (t == 2 && i == 5) throw std::out_of_range("nested");
                    });
                  }),
                  std::out_of_range);
}
