// libFuzzer target: the .npy reader of the native CLI (native/npy.cpp). The first byte picks
// the entry point (read_matrix, read_templates, read_labels, parse_header on the bytes); the
// rest is the file. Every outcome must be a value consistent with the header or a vlc::Error.
#include <cstdint>
#include <cstring>

#include "fuzz_support.hpp"
#include "npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int which = data[0] % 4;
  ++data;
  --size;
  static const std::string path = vlc_fuzz::scratch_path("input.npy");
  if (which == 3) {
    vlc_fuzz::expect_ok_or_vlc_error([&] {
      vlc::npy::Header h = vlc::npy::parse_header(data, size, "input.npy");
      if (h.data_offset > size) vlc_fuzz::unexpected("data_offset beyond the header bytes");
      (void)h.count();
    });
    return 0;
  }
  vlc_fuzz::write_file(path, data, size);
  vlc_fuzz::expect_ok_or_vlc_error([&] {
    if (which == 0) {
      vlc::RowMatrixF m = vlc::npy::read_matrix(path);
      if (m.rows() < 1 || m.cols() < 1) vlc_fuzz::unexpected("read_matrix returned an empty matrix");
      volatile float sink = m.sum();  // touch every element
      (void)sink;
    } else if (which == 1) {
      auto t = vlc::npy::read_templates(path);
      if (t.empty()) vlc_fuzz::unexpected("read_templates returned no templates");
      for (const auto& x : t)
        if (x.rows() != t[0].rows() || x.cols() != t[0].cols() || x.size() == 0)
          vlc_fuzz::unexpected("read_templates: templates differ in shape");
    } else {
      vlc::Labels y = vlc::npy::read_labels(path);
      volatile long long sink = 0;
      for (int v : y) sink = sink + v;
      (void)sink;
    }
  });
  return 0;
}
