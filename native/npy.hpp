// Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0) for the native CLI.
//
// Reading opens the file as a files::InputFile (regular files only, never blocking on a FIFO),
// checks the header and the data size, then reads the data with pread straight into the
// result (float32) or converts it chunk by chunk (float16, float64, labels). Not a memory map:
// a file truncated while it is read would raise SIGBUS there; here it is an error (issue 14).
// Supported dtypes: float32 '<f4', float16 '<f2', float64 '<f8' for embeddings, and
// int32 '<i4' / int64 '<i8' for label files. C order only.
//
// Every problem is reported as a vlc::Error whose message starts with the file name:
// "<file>: <problem>", e.g. "z.npy: truncated file: expected 4096 bytes of data, found 100".
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include "files.hpp"
#include "vlc/types.hpp"

namespace vlc::npy {

enum class DType { Float16, Float32, Float64, Int32, Int64 };

// '<f4' etc.; the NumPy name ("float32") is given by dtype_name.
std::string dtype_descr(DType t);
std::string dtype_name(DType t);
std::size_t dtype_size(DType t);

// The parsed header of a .npy file.
struct Header {
  int major = 1, minor = 0;
  DType dtype = DType::Float32;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
  std::size_t data_offset = 0;   // bytes from the start of the file to the data
  std::size_t data_bytes = 0;    // product(shape) · itemsize
  std::int64_t count() const;    // product(shape)
};

// Parses the header from the first `size` bytes of a file; `file` names it in errors.
// Checks the magic, the version, the dict, the dtype and fortran_order, but not the data size.
Header parse_header(const unsigned char* bytes, std::size_t size, const std::string& file);

// "(3, 4)" — the shape as NumPy prints it.
std::string shape_string(const std::vector<std::int64_t>& shape);

// An opened .npy file: header checked, data size checked against the file size.
class Array {
 public:
  explicit Array(const std::string& path);
  const Header& header() const { return header_; }
  const std::string& path() const { return file_->path(); }
  const std::vector<std::int64_t>& shape() const { return header_.shape; }
  DType dtype() const { return header_.dtype; }

  // Element i converted to float (no bounds check; one pread: for tests, not for loops).
  float float_at(std::int64_t i) const;
  // Elements [begin, begin + n) as int64 (integer dtypes; floats are truncated).
  std::vector<std::int64_t> read_ints(std::int64_t begin, std::int64_t n) const;

  // Copies elements [begin, begin + n) into out as float32. Throws for integer dtypes.
  void copy_floats(std::int64_t begin, std::int64_t n, float* out) const;

  // Requires a float dtype and ndim == `ndim`; `expected` describes the wanted shape in the
  // error message, e.g. "M×d (images × embedding dimension)".
  void require_float(const std::string& what) const;
  void require_ndim(int ndim, const std::string& expected) const;

 private:
  std::shared_ptr<files::InputFile> file_;
  Header header_;
};

// A 2-D float file opened and checked as read_matrix does, before any data is read (the MPI
// build reads its rank's rows of it: native/mpi/read.hpp).
Array open_matrix(const std::string& path, const std::string& expected = "2-D (rows × columns)");

// A 2-D float file as an M×d float32 matrix. `expected` describes the shape for errors.
RowMatrixF read_matrix(const std::string& path, const std::string& expected = "2-D (rows × columns)");

// A 2-D file L×d (one template) or a 3-D file B×L×d (B templates) as B matrices L×d.
std::vector<RowMatrixF> read_templates(const std::string& path);

// A 1-D int32/int64 file (or an (M,1)/(1,M) one) as labels. Values must fit in int.
Labels read_labels(const std::string& path);

// The bytes of a .npy file (format 1.0, or 2.0 when the header needs it).
std::string encode(DType dtype, const std::vector<std::int64_t>& shape, const void* data);
std::string encode_labels(const Labels& labels, DType dtype = DType::Int32);

// Writers: encode, then files::write_atomically. Throw vlc::Error naming the file.
void write(const std::string& path, DType dtype, const std::vector<std::int64_t>& shape, const void* data);
void write_matrix(const std::string& path, const RowMatrixF& m);
void write_templates(const std::string& path, const std::vector<RowMatrixF>& templates);
void write_labels(const std::string& path, const Labels& labels, DType dtype = DType::Int32);

// IEEE half → float, exact for every half value (subnormals, ±inf, NaN with payload).
float half_to_float(std::uint16_t h);

}  // namespace vlc::npy
