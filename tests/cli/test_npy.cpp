// Unit tests of the native CLI's .npy reader/writer and JSON writer (native/npy.hpp, json.hpp).
// Files are built byte by byte here, so the tests need neither NumPy nor the clustering core.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "json.hpp"
#include "npy.hpp"
#include "support.hpp"
#include "vlc/error.hpp"

namespace {

using vlc_cli_test::error_of;
using vlc_cli_test::temp_path;

// A .npy file from a header dict and raw data, format `major`.0.
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1, bool pad = true) {
  std::string h = dict;
  std::size_t prefix = major == 1 ? 10 : 12;
  if (pad) {
    std::size_t total = (prefix + h.size() + 1 + 63) / 64 * 64;
    h.append(total - prefix - h.size() - 1, ' ');
  }
  h += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((h.size() >> (8 * i)) & 0xff);
  return out + h + data;
}

template <class T>
std::string raw(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

std::string write_file(const std::string& name, const std::string& bytes) {
  std::string p = temp_path(name);
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

}  // namespace

using vlc::npy::DType;

TEST_CASE("npy: float32 matrix round trip through the writer and reader") {
  vlc::RowMatrixF m(3, 4);
  for (int i = 0; i < 12; ++i) m.data()[i] = 0.5f * i - 1.25f;
  std::string p = temp_path("m.npy");
  vlc::npy::write_matrix(p, m);
  vlc::RowMatrixF r = vlc::npy::read_matrix(p);
  REQUIRE(r.rows() == 3);
  REQUIRE(r.cols() == 4);
  CHECK(r == m);
  vlc::npy::Array a(p);
  CHECK(a.header().data_offset % 64 == 0);
  CHECK(a.header().major == 1);
  CHECK(a.dtype() == DType::Float32);
}

TEST_CASE("npy: versions 1.0, 2.0 and 3.0 headers are read") {
  std::vector<float> v = {1, 2, 3, 4, 5, 6};
  for (int major : {1, 2, 3}) {
    std::string p = write_file("v" + std::to_string(major) + ".npy",
                               npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", raw(v), major));
    auto m = vlc::npy::read_matrix(p);
    REQUIRE(m.rows() == 2);
    CHECK(m(1, 2) == 6.0f);
  }
}

TEST_CASE("npy: unpadded header with double quotes and odd spacing is read") {
  std::vector<double> v = {1.5, -2.25};
  std::string p = write_file("dq.npy",
                             npy_bytes("{\"shape\":(1,2),\"fortran_order\":False,\"descr\":\"<f8\"}", raw(v), 1, false));
  auto m = vlc::npy::read_matrix(p);
  CHECK(m(0, 0) == 1.5f);
  CHECK(m(0, 1) == -2.25f);
}

TEST_CASE("npy: float16 conversion is exact, including subnormals, infinities and NaN") {
  using vlc::npy::half_to_float;
  CHECK(half_to_float(0x3c00) == 1.0f);
  CHECK(half_to_float(0xc000) == -2.0f);
  CHECK(half_to_float(0x7bff) == 65504.0f);                       // largest half
  CHECK(half_to_float(0x0400) == std::ldexp(1.0f, -14));          // smallest normal
  CHECK(half_to_float(0x0001) == std::ldexp(1.0f, -24));          // smallest subnormal
  CHECK(half_to_float(0x03ff) == std::ldexp(1023.0f, -24));       // largest subnormal
  CHECK(half_to_float(0x8001) == -std::ldexp(1.0f, -24));
  CHECK(half_to_float(0x3555) == 0.333251953125f);
  CHECK(half_to_float(0x0000) == 0.0f);
  CHECK(std::signbit(half_to_float(0x8000)));
  CHECK(std::isinf(half_to_float(0x7c00)));
  CHECK(half_to_float(0xfc00) < 0);
  CHECK(std::isnan(half_to_float(0x7e00)));
  CHECK(std::isnan(half_to_float(0x7c01)));

  std::vector<std::uint16_t> h = {0x3c00, 0x0001, 0xc000, 0x7bff};
  std::string p = write_file("h.npy", npy_bytes("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", raw(h)));
  auto m = vlc::npy::read_matrix(p);
  CHECK(m(0, 0) == 1.0f);
  CHECK(m(0, 1) == std::ldexp(1.0f, -24));
  CHECK(m(1, 0) == -2.0f);
  CHECK(m(1, 1) == 65504.0f);
}

TEST_CASE("npy: 3-D noun file gives B templates, a 2-D one gives one") {
  std::vector<float> v(2 * 3 * 4);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  std::string p = write_file("t.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", raw(v)));
  auto t = vlc::npy::read_templates(p);
  REQUIRE(t.size() == 2);
  CHECK(t[1].rows() == 3);
  CHECK(t[1].cols() == 4);
  CHECK(t[1](0, 0) == 12.0f);
  CHECK(t[1](2, 3) == 23.0f);
  std::string p2 = temp_path("t2.npy");
  vlc::npy::write_templates(p2, t);
  auto t2 = vlc::npy::read_templates(p2);
  REQUIRE(t2.size() == 2);
  CHECK(t2[0] == t[0]);
  CHECK(t2[1] == t[1]);
  auto one = vlc::npy::read_templates(write_file("t1.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }", raw(v))));
  CHECK(one.size() == 1);
}

TEST_CASE("npy: labels int32/int64 round trip, (M,1) accepted") {
  vlc::Labels y = {0, 3, 2, 2, -1, 7};
  for (auto t : {DType::Int32, DType::Int64}) {
    std::string p = temp_path("y.npy");
    vlc::npy::write_labels(p, y, t);
    CHECK(vlc::npy::read_labels(p) == y);
    CHECK(vlc::npy::Array(p).dtype() == t);
  }
  std::vector<std::int64_t> v = {4, 5, 6};
  std::string p = write_file("y2.npy", npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 1), }", raw(v)));
  CHECK(vlc::npy::read_labels(p) == vlc::Labels{4, 5, 6});
  std::vector<std::int64_t> big = {std::int64_t(1) << 40};
  std::string pb = write_file("ybig.npy", npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", raw(big)));
  CHECK_THAT(error_of([&] { vlc::npy::read_labels(pb); }), Catch::Contains("does not fit"));
}

TEST_CASE("npy: errors name the file and the problem") {
  using Catch::Contains;
  std::vector<float> v(6, 1.0f);

  std::string bad = write_file("bad.npy", "PK\x03\x04 this is a zip file");
  auto e = error_of([&] { vlc::npy::read_matrix(bad); });
  CHECK_THAT(e, Contains(bad) && Contains("bad magic"));

  std::string empty = write_file("empty.npy", "");
  CHECK_THAT(error_of([&] { vlc::npy::read_matrix(empty); }), Contains(empty) && Contains("empty file"));

  std::string missing = temp_path("does-not-exist.npy");
  CHECK_THAT(error_of([&] { vlc::npy::read_matrix(missing); }), Contains(missing) && Contains("No such file or directory"));

  std::string dir = temp_path("");
  CHECK_THAT(error_of([&] { vlc::npy::read_matrix(dir); }), Contains("directory"));

  std::string u8 = write_file("u8.npy", npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (6,), }", std::string(6, '\1')));
  e = error_of([&] { vlc::npy::read_matrix(u8); });
  CHECK_THAT(e, Contains(u8) && Contains("unsupported dtype '|u1'") && Contains("uint8") && Contains("float32 '<f4'"));

  std::string be = write_file("be.npy", npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", raw(v)));
  CHECK_THAT(error_of([&] { vlc::npy::read_matrix(be); }), Contains("big-endian"));

  std::string rec = write_file("rec.npy", npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", raw(v)));
  CHECK_THAT(error_of([&] { vlc::npy::read_matrix(rec); }), Contains("structured"));

  std::string fo = write_file("fo.npy", npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", raw(v)));
  CHECK_THAT(error_of([&] { vlc::npy::read_matrix(fo); }), Contains(fo) && Contains("fortran_order"));

  std::string d3 = write_file("d3.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", raw(v)));
  e = error_of([&] { vlc::npy::read_matrix(d3, "M×d (images × embedding dimension)"); });
  CHECK_THAT(e, Contains(d3) && Contains("(1, 2, 3)") && Contains("expected 2") && Contains("M×d"));

  std::string d1 = write_file("d1.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", raw(v)));
  CHECK_THAT(error_of([&] { vlc::npy::read_templates(d1); }), Contains("(6,)") && Contains("B×L×d"));

  std::string tr = write_file("tr.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }", raw(v)));
  e = error_of([&] { vlc::npy::read_matrix(tr); });
  CHECK_THAT(e, Contains(tr) && Contains("truncated") && Contains("48 bytes") && Contains("found 24"));

  std::string th = write_file("th.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", "").substr(0, 30));
  CHECK_THAT(error_of([&] { vlc::npy::read_matrix(th); }), Contains("truncated"));

  std::string ver = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", raw(v));
  ver[6] = 9;
  std::string pv = write_file("ver.npy", ver);
  CHECK_THAT(error_of([&] { vlc::npy::read_matrix(pv); }), Contains("version 9.0"));

  std::string mal = write_file("mal.npy", npy_bytes("{'descr': '<f4', 'shape': (2, 3), }", raw(v)));
  CHECK_THAT(error_of([&] { vlc::npy::read_matrix(mal); }), Contains("fortran_order"));

  std::string fl = write_file("fl.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", raw(v)));
  CHECK_THAT(error_of([&] { vlc::npy::read_labels(fl); }), Contains(fl) && Contains("float32") && Contains("int32"));

  std::string it = write_file("it.npy", npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", raw(v)));
  CHECK_THAT(error_of([&] { vlc::npy::read_matrix(it); }), Contains("not a float type"));

  std::string z = write_file("z.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", ""));
  CHECK_THAT(error_of([&] { vlc::npy::read_matrix(z); }), Contains("empty array"));
}

TEST_CASE("npy: writer switches to format 2.0 for huge headers") {
  std::vector<std::int64_t> shape(25000, 1);
  float x = 3.0f;
  std::string p = temp_path("big_header.npy");
  vlc::npy::write(p, DType::Float32, shape, &x);
  vlc::npy::Array a(p);
  CHECK(a.header().major == 2);
  CHECK(a.shape().size() == 25000);
  CHECK(a.float_at(0) == 3.0f);
}

TEST_CASE("json: escaping, nesting, compact arrays, non-finite numbers rejected") {
  using vlc::json::escape;
  CHECK(escape("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(escape("line\nnext\ttab\x01") == "\"line\\nnext\\ttab\\u0001\"");
  CHECK(escape("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  CHECK(escape("bad\xff") == "\"bad\xef\xbf\xbd\"");
  CHECK(escape("\xed\xa0\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // surrogate

  vlc::json::Writer w;
  w.begin_object();
  w.field("k", 3).field("name", "x\"y").array_field("v", std::vector<int>{1, 2, 3});
  w.key("e").begin_array(true).end_array();
  w.key("o").begin_object().field("a", 0.1).field("b", true).key("c").value(nullptr).end_object();
  w.end_object();
  CHECK(w.complete());
  CHECK(w.str() ==
        "{\n  \"k\": 3,\n  \"name\": \"x\\\"y\",\n  \"v\": [1, 2, 3],\n  \"e\": [],\n"
        "  \"o\": {\n    \"a\": 0.1,\n    \"b\": true,\n    \"c\": null\n  }\n}");

  vlc::json::Writer bad;
  bad.begin_object().key("eigenvalues").begin_array(true).value(1.0);
  CHECK_THAT(error_of([&] { bad.value(std::numeric_limits<double>::quiet_NaN()); }), Catch::Contains("eigenvalues[1]"));
  vlc::json::Writer inf;
  inf.begin_object();
  CHECK_THAT(error_of([&] { inf.field("x", std::numeric_limits<double>::infinity()); }), Catch::Contains("non-finite"));
}

TEST_CASE("npy: a file truncated while it is read is an error, not SIGBUS (issue 14)") {
  // The reader used to memory-map the file: reading a page the file no longer has raised
  // SIGBUS (exit 135, no message). Deterministically: open, truncate, then read the data.
  std::vector<float> v(64 * 256, 0.5f);
  std::string p = write_file("shrinks.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (64, 256), }", raw(v)));
  vlc::npy::Array a(p);
  REQUIRE(truncate(p.c_str(), 200) == 0);
  std::vector<float> out(v.size());
  CHECK_THAT(error_of([&] { a.copy_floats(0, static_cast<std::int64_t>(v.size()), out.data()); }),
             Catch::Contains(p) && Catch::Contains("shrank while being read"));
  std::vector<double> w(64 * 256, 0.25);
  std::string q = write_file("shrinks8.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (64, 256), }", raw(w)));
  vlc::npy::Array b(q);
  REQUIRE(truncate(q.c_str(), 200) == 0);
  CHECK_THAT(error_of([&] { b.copy_floats(0, static_cast<std::int64_t>(w.size()), out.data()); }),
             Catch::Contains("shrank while being read"));
}

TEST_CASE("npy: header bytes echoed in a message are escaped (NUL, terminal escapes)") {
  std::vector<float> v(6, 1.0f);
  static const char literal[] = "{'descr': '<f\0\x1b[31m', 'fortran_order': False, 'shape': (6,), }";
  const std::string dict(literal, sizeof literal - 1);
  std::string p = write_file("nul.npy", npy_bytes(dict, raw(v)));
  const std::string e = error_of([&] { vlc::npy::read_matrix(p); });
  CHECK_THAT(e, Catch::Contains("unsupported dtype '<f\\x00\\x1b[31m'") && Catch::Contains("float32 '<f4'"));
  CHECK(e.find('\x1b') == std::string::npos);
}

TEST_CASE("npy: encode gives the bytes write puts in the file") {
  vlc::Labels y = {0, 2, 1};
  std::string p = temp_path("enc.npy");
  vlc::npy::write_labels(p, y);
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(bytes == vlc::npy::encode_labels(y));
  CHECK(vlc::npy::read_labels(p) == y);
}
