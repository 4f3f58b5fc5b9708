// A small streaming JSON writer for the CLI's result file.
//
//   vlc::json::Writer w;
//   w.begin_object().key("k").value(10).key("beta").begin_array(true);
//   for (double b : beta) w.value(b);
//   w.end_array().end_object();
//   std::string text = w.str();
//
// Strings are escaped per RFC 8259 (quotes, backslash, control characters); bytes that are not
// valid UTF-8 become U+FFFD so the output is always valid JSON. Numbers must be finite: a NaN
// or infinity throws vlc::Error naming where it was (e.g. "eigenvalues[3]"), since JSON has
// no spelling for them. Objects are indented two spaces; an array begun with compact = true
// is written on one line (used for long numeric arrays such as labels).
#pragma once
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include "vlc/error.hpp"

namespace vlc::json {

inline std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            static const char* hex = "0123456789abcdef";
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // multi-byte UTF-8: validate length, continuation bytes, overlongs, surrogates, range
    int len = 0;
    std::uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
    bool ok = len > 0 && i + len <= n;
    for (int j = 1; ok && j < len; ++j) {
      if ((p[i + j] & 0xc0) != 0x80) ok = false;
      else cp = (cp << 6) | (p[i + j] & 0x3f);
    }
    if (ok) {
      if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
          (cp >= 0xd800 && cp <= 0xdfff))
        ok = false;
    }
    if (ok) {
      out.append(reinterpret_cast<const char*>(p + i), static_cast<std::size_t>(len));
      i += static_cast<std::size_t>(len);
    } else {
      out += "\xef\xbf\xbd";  // U+FFFD for one bad byte
      ++i;
    }
  }
  out += '"';
  return out;
}

class Writer {
 public:
  Writer& begin_object() { open('{', false); return *this; }
  Writer& end_object() { close('}'); return *this; }
  Writer& begin_array(bool compact = false) { open('[', compact); return *this; }
  Writer& end_array() { close(']'); return *this; }

  Writer& key(std::string_view k) {
    require(!stack_.empty() && stack_.back().brace == '{' && !pending_key_, "json: key outside an object");
    separator();
    out_ += escape(k);
    out_ += ": ";
    stack_.back().key = std::string(k);
    pending_key_ = true;
    return *this;
  }

  Writer& value(std::nullptr_t) { return raw("null"); }
  Writer& value(bool b) { return raw(b ? "true" : "false"); }
  Writer& value(int v) { return raw(std::to_string(v)); }
  Writer& value(long v) { return raw(std::to_string(v)); }
  Writer& value(long long v) { return raw(std::to_string(v)); }
  Writer& value(unsigned long v) { return raw(std::to_string(v)); }
  Writer& value(unsigned long long v) { return raw(std::to_string(v)); }
  Writer& value(double v) {
    if (!std::isfinite(v)) fail("json: cannot write the non-finite number ", v, " at ", where());
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back exactly
    return raw(std::string(buf, r.ptr));
  }
  Writer& value(float v) { return value(static_cast<double>(v)); }
  Writer& value(std::string_view s) { return raw(escape(s)); }
  Writer& value(const std::string& s) { return raw(escape(s)); }
  Writer& value(const char* s) { return raw(escape(s)); }

  // Convenience: key + value.
  template <class T>
  Writer& field(std::string_view k, const T& v) { key(k); return value(v); }
  // key + compact array of the elements of a container.
  template <class C>
  Writer& array_field(std::string_view k, const C& c) {
    key(k);
    return array_value(c);
  }
  // A compact array of the elements of a container, as a value (e.g. inside another array).
  template <class C>
  Writer& array_value(const C& c) {
    begin_array(true);
    for (const auto& x : c) value(x);
    return end_array();
  }

  // The text so far; complete once every object/array is closed.
  const std::string& str() const { return out_; }
  bool complete() const { return stack_.empty() && !out_.empty(); }

 private:
  struct Level {
    char brace;
    bool compact;
    std::size_t count = 0;
    std::string key;
  };

  // JSON path of the value about to be written, for error messages.
  std::string where() const {
    std::string w;
    for (const auto& l : stack_) {
      if (l.brace == '{') w += (w.empty() ? "" : ".") + l.key;
      else w += "[" + std::to_string(l.count) + "]";
    }
    return w.empty() ? "top level" : w;
  }

  void indent() {
    out_ += '\n';
    out_.append(2 * stack_.size(), ' ');
  }

  // Comma/newline before a new element of the innermost container.
  void separator() {
    if (stack_.empty()) return;
    Level& l = stack_.back();
    if (l.count++ > 0) out_ += ',';
    if (l.compact) {
      if (l.count > 1) out_ += ' ';
    } else {
      indent();
    }
  }

  void before_value() {
    if (pending_key_) { pending_key_ = false; return; }  // the key did the separator
    require(stack_.empty() || stack_.back().brace == '[', "json: value in an object without a key at ", where());
    require(!stack_.empty() || out_.empty(), "json: more than one top-level value");
    separator();
  }

  Writer& raw(const std::string& text) {
    before_value();
    out_ += text;
    return *this;
  }

  void open(char brace, bool compact) {
    before_value();
    out_ += brace;
    bool parent_compact = !stack_.empty() && stack_.back().compact;
    stack_.push_back({brace, compact || parent_compact});
  }

  void close(char brace) {
    require(!stack_.empty() && !pending_key_, "json: unbalanced ", brace);
    Level l = stack_.back();
    require((brace == '}') == (l.brace == '{'), "json: mismatched ", brace);
    stack_.pop_back();
    if (!l.compact && l.count > 0) indent();
    out_ += brace;
  }

  std::string out_;
  std::vector<Level> stack_;
  bool pending_key_ = false;
};

}  // namespace vlc::json
