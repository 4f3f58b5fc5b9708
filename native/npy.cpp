#include "npy.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <sstream>

#include "vlc/error.hpp"

namespace vlc::npy {
namespace {

constexpr unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr const char* kSupported =
    "supported: float32 '<f4', float16 '<f2', float64 '<f8' (embeddings), int32 '<i4', int64 '<i8' (labels)";

// A tiny parser for the Python dict literal of a .npy header.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& file) : s_(text), file_(file) {}

  void parse(Header& h) {
    bool have_descr = false, have_order = false, have_shape = false;
    ws();
    expect('{');
    for (;;) {
      ws();
      if (peek() == '}') { ++i_; break; }
      std::string key = string_literal();
      ws();
      expect(':');
      ws();
      if (key == "descr") {
        if (peek() == '[') bad("structured (record) dtypes are not supported; " + std::string(kSupported));
        h.dtype = dtype_from(string_literal());
        have_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = boolean();
        have_order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        have_shape = true;
      } else {
        skip_value();
      }
      ws();
      if (peek() == ',') { ++i_; continue; }
      if (peek() == '}') { ++i_; break; }
      bad("malformed header: expected ',' or '}' at position " + std::to_string(i_));
    }
    if (!have_descr) bad("malformed header: no 'descr' key");
    if (!have_order) bad("malformed header: no 'fortran_order' key");
    if (!have_shape) bad("malformed header: no 'shape' key");
  }

 private:
  [[noreturn]] void bad(const std::string& what) const { fail(file_, ": ", what); }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  void expect(char c) {
    if (peek() != c) bad(std::string("malformed header: expected '") + c + "' at position " + std::to_string(i_));
    ++i_;
  }
  std::string string_literal() {
    char q = peek();
    if (q != '\'' && q != '"') bad("malformed header: expected a quoted string at position " + std::to_string(i_));
    ++i_;
    std::string out;
    while (i_ < s_.size() && s_[i_] != q) {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      out += s_[i_++];
    }
    expect(q);
    return out;
  }
  bool boolean() {
    if (s_.compare(i_, 4, "True") == 0) { i_ += 4; return true; }
    if (s_.compare(i_, 5, "False") == 0) { i_ += 5; return false; }
    bad("malformed header: fortran_order is neither True nor False");
  }
  std::vector<std::int64_t> tuple() {
    std::vector<std::int64_t> out;
    char close = peek() == '(' ? ')' : peek() == '[' ? ']' : '\0';
    if (!close) bad("malformed header: shape is not a tuple");
    ++i_;
    for (;;) {
      ws();
      if (peek() == close) { ++i_; break; }
      if (!std::isdigit(static_cast<unsigned char>(peek())))
        bad("malformed header: shape entry at position " + std::to_string(i_) + " is not a non-negative integer");
      std::int64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        int digit = peek() - '0';
        if (v > (std::numeric_limits<std::int64_t>::max() - digit) / 10) bad("malformed header: shape entry too large");
        v = v * 10 + digit;
        ++i_;
      }
      if (peek() == 'L') ++i_;  // Python 2 long
      out.push_back(v);
      ws();
      if (peek() == ',') { ++i_; continue; }
      if (peek() == close) { ++i_; break; }
      bad("malformed header: bad shape tuple at position " + std::to_string(i_));
    }
    return out;
  }
  void skip_value() {  // an unknown key's value: skip a string, a bracketed group or a word
    char c = peek();
    if (c == '\'' || c == '"') { string_literal(); return; }
    if (c == '(' || c == '[' || c == '{') {
      int depth = 0;
      while (i_ < s_.size()) {
        char x = s_[i_++];
        if (x == '(' || x == '[' || x == '{') ++depth;
        if (x == ')' || x == ']' || x == '}') { if (--depth == 0) return; }
      }
      bad("malformed header: unbalanced brackets");
    }
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}') ++i_;
  }
  DType dtype_from(const std::string& d) const {
    std::string body = d;
    char order = '<';
    if (!body.empty() && (body[0] == '<' || body[0] == '>' || body[0] == '=' || body[0] == '|')) {
      order = body[0];
      body = body.substr(1);
    }
    DType t;
    std::string name;
    if (body == "f4") t = DType::Float32;
    else if (body == "f2") t = DType::Float16;
    else if (body == "f8") t = DType::Float64;
    else if (body == "i4") t = DType::Int32;
    else if (body == "i8") t = DType::Int64;
    else {
      static const char* names[][2] = {{"u1", "uint8"}, {"i1", "int8"}, {"b1", "bool"}, {"u2", "uint16"},
                                       {"i2", "int16"}, {"u4", "uint32"}, {"u8", "uint64"},
                                       {"c8", "complex64"}, {"c16", "complex128"}, {"f16", "float128"},
                                       {"O", "object"}};
      for (auto& n : names)
        if (body == n[0]) name = std::string(" (") + n[1] + ")";
      if (name.empty() && !body.empty() && (body[0] == 'U' || body[0] == 'S')) name = " (string)";
      bad("unsupported dtype '" + files::printable(d) + "'" + name + "; " + kSupported);
    }
    if (order == '>') bad("unsupported dtype '" + files::printable(d) + "' (big-endian " + dtype_name(t) + "); " + kSupported +
                          " — convert with x.astype('" + dtype_descr(t) + "')");
    return t;
  }

  const std::string& s_;
  const std::string& file_;
  std::size_t i_ = 0;
};

std::uint32_t read_le(const unsigned char* p, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::string dtype_descr(DType t) {
  switch (t) {
    case DType::Float16: return "<f2";
    case DType::Float32: return "<f4";
    case DType::Float64: return "<f8";
    case DType::Int32: return "<i4";
    case DType::Int64: return "<i8";
  }
  return "?";
}

std::string dtype_name(DType t) {
  switch (t) {
    case DType::Float16: return "float16";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
  }
  return "?";
}

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::Float16: return 2;
    case DType::Float32: case DType::Int32: return 4;
    case DType::Float64: case DType::Int64: return 8;
  }
  return 0;
}

std::int64_t Header::count() const {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::ostringstream o;
  o << '(';
  for (std::size_t i = 0; i < shape.size(); ++i) o << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) o << ',';
  o << ')';
  return o.str();
}

Header parse_header(const unsigned char* bytes, std::size_t size, const std::string& file) {
  if (size < 6 || std::memcmp(bytes, kMagic, 6) != 0)
    fail(file, ": not a .npy file (bad magic: the file does not start with \\x93NUMPY)");
  if (size < 10) fail(file, ": truncated file: the .npy header is incomplete (", size, " bytes)");
  Header h;
  h.major = bytes[6];
  h.minor = bytes[7];
  std::size_t len_bytes;
  if (h.major == 1) len_bytes = 2;
  else if (h.major == 2 || h.major == 3) len_bytes = 4;
  else fail(file, ": unsupported .npy format version ", h.major, ".", h.minor, " (supported: 1.0, 2.0, 3.0)");
  if (size < 8 + len_bytes) fail(file, ": truncated file: the .npy header is incomplete (", size, " bytes)");
  std::size_t header_len = read_le(bytes + 8, static_cast<int>(len_bytes));
  std::size_t start = 8 + len_bytes;
  if (size - start < header_len)
    fail(file, ": truncated file: the .npy header says ", header_len, " bytes but only ", size - start,
         " follow");
  std::string text(reinterpret_cast<const char*>(bytes + start), header_len);
  HeaderParser(text, file).parse(h);
  if (h.fortran_order)
    fail(file, ": fortran_order is True (column-major data); only C-order arrays are supported — "
         "save with np.save(f, np.ascontiguousarray(x))");
  h.data_offset = start + header_len;
  // product(shape) · itemsize without overflow
  const std::size_t limit = std::numeric_limits<std::size_t>::max();
  std::size_t bytes_needed = dtype_size(h.dtype);
  for (auto s : h.shape) {
    if (s != 0 && bytes_needed > limit / static_cast<std::size_t>(s))
      fail(file, ": shape ", shape_string(h.shape), " is too large to address");
    bytes_needed *= static_cast<std::size_t>(s);
  }
  h.data_bytes = bytes_needed;
  return h;
}

// ---------------------------------------------------------------------------------------------

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h >> 15) & 1u;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  const std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0) {
    // zero or subnormal: mant · 2^-24, exact in float
    float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  } else if (exp == 31) {
    bits = (sign << 31) | 0x7f800000u | (mant << 13);  // inf, or NaN keeping its payload
  } else {
    bits = (sign << 31) | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

namespace {
// How many leading bytes hold the magic, the version, the length and the header dict; the
// whole prefix when it cannot tell (parse_header then reports what is wrong).
std::size_t header_extent(const unsigned char* p, std::size_t n) {
  if (n < 12 || std::memcmp(p, kMagic, 6) != 0 || p[6] < 1 || p[6] > 3) return n;
  const std::size_t len_bytes = p[6] == 1 ? 2 : 4;
  return 8 + len_bytes + read_le(p + 8, static_cast<int>(len_bytes));
}

float decode_float(DType t, const unsigned char* p) {
  switch (t) {
    case DType::Float16: { std::uint16_t h; std::memcpy(&h, p, 2); return half_to_float(h); }
    case DType::Float32: { float f; std::memcpy(&f, p, 4); return f; }
    case DType::Float64: { double d; std::memcpy(&d, p, 8); return static_cast<float>(d); }
    case DType::Int32: { std::int32_t v; std::memcpy(&v, p, 4); return static_cast<float>(v); }
    case DType::Int64: { std::int64_t v; std::memcpy(&v, p, 8); return static_cast<float>(v); }
  }
  return 0;
}

std::int64_t decode_int(DType t, const unsigned char* p) {
  switch (t) {
    case DType::Int32: { std::int32_t v; std::memcpy(&v, p, 4); return v; }
    case DType::Int64: { std::int64_t v; std::memcpy(&v, p, 8); return v; }
    default: return static_cast<std::int64_t>(decode_float(t, p));
  }
}

constexpr std::int64_t kChunk = 1 << 16;  // elements converted per pread
}  // namespace

Array::Array(const std::string& path) : file_(std::make_shared<files::InputFile>(path)) {
  const std::size_t size = file_->size();
  if (size == 0) fail(path, ": empty file (0 bytes), not a .npy file");
  std::vector<unsigned char> head(std::min<std::size_t>(size, 12));
  file_->read_at(0, head.size(), head.data());
  head.resize(std::min(size, std::max(head.size(), header_extent(head.data(), head.size()))));
  file_->read_at(0, head.size(), head.data());
  header_ = parse_header(head.data(), head.size(), path);
  std::size_t found = size - header_.data_offset;
  if (found < header_.data_bytes)
    fail(path, ": truncated file: shape ", shape_string(header_.shape), " of ", dtype_name(header_.dtype),
         " needs ", header_.data_bytes, " bytes of data, found ", found);
}

float Array::float_at(std::int64_t i) const {
  const std::size_t size = dtype_size(header_.dtype);
  unsigned char buf[8];
  file_->read_at(header_.data_offset + static_cast<std::size_t>(i) * size, size, buf);
  return decode_float(header_.dtype, buf);
}

std::vector<std::int64_t> Array::read_ints(std::int64_t begin, std::int64_t n) const {
  const std::size_t size = dtype_size(header_.dtype);
  std::vector<unsigned char> bytes(static_cast<std::size_t>(n) * size);
  file_->read_at(header_.data_offset + static_cast<std::size_t>(begin) * size, bytes.size(), bytes.data());
  std::vector<std::int64_t> out(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = decode_int(header_.dtype, bytes.data() + i * size);
  return out;
}

void Array::copy_floats(std::int64_t begin, std::int64_t n, float* out) const {
  require_float("embeddings");
  const std::size_t size = dtype_size(header_.dtype);
  const std::size_t offset = header_.data_offset + static_cast<std::size_t>(begin) * size;
  if (header_.dtype == DType::Float32) {  // straight into the result
    file_->read_at(offset, static_cast<std::size_t>(n) * 4, out);
    return;
  }
  std::vector<unsigned char> chunk(static_cast<std::size_t>(std::min(n, kChunk)) * size);
  for (std::int64_t done = 0; done < n; done += kChunk) {
    const std::int64_t count = std::min(kChunk, n - done);
    file_->read_at(offset + static_cast<std::size_t>(done) * size, static_cast<std::size_t>(count) * size, chunk.data());
    for (std::int64_t i = 0; i < count; ++i)
      out[done + i] = decode_float(header_.dtype, chunk.data() + static_cast<std::size_t>(i) * size);
  }
}

void Array::require_float(const std::string& what) const {
  if (header_.dtype == DType::Int32 || header_.dtype == DType::Int64)
    fail(path(), ": dtype ", dtype_name(header_.dtype), " '", dtype_descr(header_.dtype), "' is not a float type; ",
         what, " must be float32 '<f4', float16 '<f2' or float64 '<f8'");
}

void Array::require_ndim(int ndim, const std::string& expected) const {
  if (static_cast<int>(header_.shape.size()) != ndim)
    fail(path(), ": wrong number of dimensions: shape ", shape_string(header_.shape), " has ",
         header_.shape.size(), ", expected ", ndim, ": ", expected);
}

// ---------------------------------------------------------------------------------------------

namespace {
void require_int_range(const Array& a) {
  for (auto s : a.shape())
    if (s > std::numeric_limits<int>::max())
      fail(a.path(), ": shape ", shape_string(a.shape()), " has a dimension too large for this program");
}
void require_nonempty(const Array& a) {
  for (auto s : a.shape())
    if (s == 0) fail(a.path(), ": empty array: shape ", shape_string(a.shape()));
}
}  // namespace

Array open_matrix(const std::string& path, const std::string& expected) {
  Array a(path);
  a.require_float("embeddings");
  a.require_ndim(2, expected);
  require_nonempty(a);
  require_int_range(a);
  return a;
}

RowMatrixF read_matrix(const std::string& path, const std::string& expected) {
  const Array a = open_matrix(path, expected);
  RowMatrixF m(a.shape()[0], a.shape()[1]);
  a.copy_floats(0, a.header().count(), m.data());
  return m;
}

std::vector<RowMatrixF> read_templates(const std::string& path) {
  Array a(path);
  a.require_float("noun embeddings");
  const auto& s = a.shape();
  if (s.size() != 2 && s.size() != 3)
    fail(path, ": wrong number of dimensions: shape ", shape_string(s), " has ", s.size(),
         ", expected 3: B×L×d (templates × nouns × embedding dimension), or 2: L×d for one template");
  require_nonempty(a);
  require_int_range(a);
  std::int64_t b = s.size() == 3 ? s[0] : 1, l = s[s.size() - 2], d = s[s.size() - 1];
  std::vector<RowMatrixF> out;
  out.reserve(static_cast<std::size_t>(b));
  for (std::int64_t t = 0; t < b; ++t) {
    out.emplace_back(l, d);
    a.copy_floats(t * l * d, l * d, out.back().data());
  }
  return out;
}

Labels read_labels(const std::string& path) {
  Array a(path);
  if (a.dtype() != DType::Int32 && a.dtype() != DType::Int64)
    fail(path, ": unsupported dtype ", dtype_name(a.dtype()), " '", dtype_descr(a.dtype()),
         "' for labels; supported: int32 '<i4', int64 '<i8'");
  const auto& s = a.shape();
  bool ok = s.size() == 1 || (s.size() == 2 && (s[0] == 1 || s[1] == 1));
  if (!ok)
    fail(path, ": wrong number of dimensions: shape ", shape_string(s), " has ", s.size(),
         ", expected 1: M (one integer label per image)");
  std::int64_t n = a.header().count();
  if (n > std::numeric_limits<int>::max()) fail(path, ": too many labels (", n, ")");
  const std::vector<std::int64_t> values = a.read_ints(0, n);
  Labels out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t v = values[static_cast<std::size_t>(i)];
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
      fail(path, ": label ", v, " at index ", i, " does not fit in a 32-bit integer");
    out[static_cast<std::size_t>(i)] = static_cast<int>(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

std::string encode(DType dtype, const std::vector<std::int64_t>& shape, const void* data) {
  std::string dict = "{'descr': '" + dtype_descr(dtype) + "', 'fortran_order': False, 'shape': " +
                     shape_string(shape) + ", }";
  // magic(6) + version(2) + length(2 or 4) + dict + padding + '\n' is a multiple of 64.
  int major = 1;
  std::size_t prefix = 10;
  std::size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  if (total - prefix > 65535) {
    major = 2;
    prefix = 12;
    total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  }
  std::size_t header_len = total - prefix;
  std::string header(reinterpret_cast<const char*>(kMagic), 6);
  header += static_cast<char>(major);
  header += '\0';
  for (std::size_t i = 0; i < prefix - 8; ++i) header += static_cast<char>((header_len >> (8 * i)) & 0xff);
  header += dict;
  header.append(total - header.size() - 1, ' ');
  header += '\n';

  std::size_t count = 1;
  for (auto s : shape) count *= static_cast<std::size_t>(s);
  const std::size_t bytes = count * dtype_size(dtype);

  if (bytes) header.append(static_cast<const char*>(data), bytes);
  return header;
}

void write(const std::string& path, DType dtype, const std::vector<std::int64_t>& shape, const void* data) {
  files::write_atomically(path, encode(dtype, shape, data));
}

void write_matrix(const std::string& path, const RowMatrixF& m) {
  write(path, DType::Float32, {m.rows(), m.cols()}, m.data());
}

void write_templates(const std::string& path, const std::vector<RowMatrixF>& templates) {
  require(!templates.empty(), path, ": no templates to write");
  const auto l = templates[0].rows(), d = templates[0].cols();
  std::vector<float> all;
  all.reserve(templates.size() * static_cast<std::size_t>(l * d));
  for (const auto& t : templates) {
    require(t.rows() == l && t.cols() == d, path, ": templates differ in shape");
    all.insert(all.end(), t.data(), t.data() + t.size());
  }
  write(path, DType::Float32, {static_cast<std::int64_t>(templates.size()), l, d}, all.data());
}

std::string encode_labels(const Labels& labels, DType dtype) {
  const std::vector<std::int64_t> shape = {static_cast<std::int64_t>(labels.size())};
  if (dtype == DType::Int32) {
    std::vector<std::int32_t> v(labels.begin(), labels.end());
    return encode(dtype, shape, v.data());
  }
  if (dtype == DType::Int64) {
    std::vector<std::int64_t> v(labels.begin(), labels.end());
    return encode(dtype, shape, v.data());
  }
  fail("labels are written as int32 or int64, not ", dtype_name(dtype));
}

void write_labels(const std::string& path, const Labels& labels, DType dtype) {
  files::write_atomically(path, encode_labels(labels, dtype));
}

}  // namespace vlc::npy
