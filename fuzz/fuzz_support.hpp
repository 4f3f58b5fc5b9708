// Helpers shared by the libFuzzer targets: a per-process scratch file that the readers
// (which take a path, as the CLI does) open, and a crash-on-unexpected-exception wrapper.
#pragma once
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "vlc/error.hpp"

namespace vlc_fuzz {

// /dev/shm when it exists (no disk writes), else /tmp; one file per process and name.
inline std::string scratch_path(const char* name) {
  const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return std::string(dir) + "/vlc_fuzz_" + std::to_string(getpid()) + "_" + name;
}

inline void write_file(const std::string& path, const unsigned char* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

[[noreturn]] inline void unexpected(const char* what) {
  std::fprintf(stderr, "fuzz: unexpected outcome: %s\n", what);
  std::abort();
}

// Runs f; a vlc::Error is an accepted outcome, any other exception is a finding.
template <class F>
void expect_ok_or_vlc_error(F&& f) {
  try {
    f();
  } catch (const vlc::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: unexpected exception (not vlc::Error): %s\n", e.what());
    std::abort();
  } catch (...) {
    unexpected("unknown exception");
  }
}

}  // namespace vlc_fuzz
