// The one exception type the core throws. Every message names what is wrong and,
// where it helps, what to do about it.
//
// An error about one of the caller's inputs also carries which one (Error::input): the images,
// template b, the template-averaged vocabulary, or an option, with the row when one row is at
// fault. A front end maps that to its own names — the CLI to the file the input came from, the
// npm package to its argument — without checking the inputs a second time.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace vlc {

struct InputRef {
  enum class Kind { None, Images, Template, Nouns, Option };
  Kind kind = Kind::None;
  int index = -1;      // Template: which one (b); otherwise −1
  long long row = -1;  // the row at fault, when one is; otherwise −1
  std::string option;  // Option: its C++/CLI name ("k", "q", …)

  static InputRef of_images(long long row = -1) { return {Kind::Images, -1, row, {}}; }
  static InputRef of_template(int b, long long row = -1) { return {Kind::Template, b, row, {}}; }
  static InputRef of_nouns(long long row = -1) { return {Kind::Nouns, -1, row, {}}; }
  static InputRef of_option(const std::string& name) { return {Kind::Option, -1, -1, name}; }
  InputRef at_row(long long r) const {
    InputRef out = *this;
    out.row = r;
    return out;
  }
  // How messages name it: "images", "template 3", "nouns", "option k".
  std::string name() const {
    switch (kind) {
      case Kind::Images: return "images";
      case Kind::Template: return "template " + std::to_string(index);
      case Kind::Nouns: return "nouns";
      case Kind::Option: return "option " + option;
      case Kind::None: break;
    }
    return "input";
  }
};

class Error : public std::invalid_argument {
 public:
  explicit Error(const std::string& what, InputRef input = {}) : std::invalid_argument(what), input_(std::move(input)) {}
  // Which input the error concerns (Kind::None when it is not about one input).
  const InputRef& input() const { return input_; }

 private:
  InputRef input_;
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

// The same, for an error about one input: fail_input(InputRef::of_images(17), "images row 17 is all zeros").
template <class... Parts>
[[noreturn]] void fail_input(const InputRef& input, const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  throw Error(out.str(), input);
}

template <class... Parts>
void require_input(bool ok, const InputRef& input, const Parts&... parts) {
  if (!ok) fail_input(input, parts...);
}

}  // namespace vlc
