// The one exception type the core throws. Every message names what is wrong and,
// where it helps, what to do about it.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace vlc {

class Error : public std::invalid_argument {
 public:
  explicit Error(const std::string& what) : std::invalid_argument(what) {}
};

// Builds a message from streamable parts: fail("row ", i, " of images is zero").
template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  throw Error(out.str());
}

template <class... Parts>
void require(bool ok, const Parts&... parts) {
  if (!ok) fail(parts...);
}

}  // namespace vlc
