// Helpers shared by the native CLI's unit tests: a scratch folder per run and the message of
// the vlc::Error a call throws.
#pragma once
#include <stdlib.h>

#include <functional>
#include <string>

#include "vlc/error.hpp"

namespace vlc_cli_test {

inline const std::string& temp_dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/vlc_native_tests_XXXXXX";
    const char* d = mkdtemp(tmpl);
    return std::string(d ? d : "/tmp");
  }();
  return dir;
}

inline std::string temp_path(const std::string& name) { return temp_dir() + "/" + name; }

// The message of the vlc::Error f throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const vlc::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace vlc_cli_test
