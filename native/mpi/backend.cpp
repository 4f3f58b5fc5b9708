#include "backend.hpp"
#include <cstdlib>
#include <string>
#include "eigen.hpp"
#include "runtime.hpp"
#include "vlc/error.hpp"
#include "vlc/rad.hpp"

namespace vlc::mpi {

namespace {

// Fault injection for tests (scripts/test.d/mpi.sh): VLC_TEST_FAIL_RANK=r makes rank r alone
// fail at `stage` while the others go on to the exchange that needs it — the case that used to
// hang every other rank. Not an option: nothing but the test sets it.
void fail_if_asked(const char* stage) {
  const char* r = std::getenv("VLC_TEST_FAIL_RANK");
  if (r && std::atoi(r) == rank()) fail("injected failure in ", stage, " (VLC_TEST_FAIL_RANK=", r, ")");
}

// Offsets of each rank's block in units: first[r] = blocks[r].begin mapped through `at`.
template <class At>
std::vector<std::int64_t> block_offsets(const std::vector<RowBlock>& blocks, At at) {
  std::vector<std::int64_t> first(blocks.size() + 1, 0);
  for (std::size_t r = 0; r < blocks.size(); ++r) first[r + 1] = at(blocks[r].end);
  return first;
}

// §3 split by rows: each rank computes its rows' positions of S X S with the core's row kernel
// (masked_sandwich_values / _upper_values), then the values of all positions are exchanged.
class MpiSandwich final : public SandwichOperator {
 public:
  MpiSandwich(const SparseMatrixD& s, const SparseMatrixD& pattern)
      : s_(s), pattern_(pattern), blocks_(blocks_by_entries(pattern.outerIndexPtr(), static_cast<int>(pattern.rows()), size())),
        first_(block_offsets(blocks_, [&](std::int64_t row) { return pattern.outerIndexPtr()[row]; })),
        own_(blocks_[rank()]) {}

  void apply(const double* x, double* out) override {
    masked_sandwich_values(s_, pattern_, x, out, static_cast<int>(own_.begin), static_cast<int>(own_.end));
    allgather_blocks(out, first_, MPI_DOUBLE, 1);
  }

  // As CpuSandwich::apply_symmetric: the rows' upper triangles, then every lower entry is its
  // mirror, so the values are bit-identical to the single-process build's.
  void apply_symmetric(const double* x, double* out) override {
    if (mirror_.empty()) mirror_ = transpose_positions(pattern_);
    masked_sandwich_upper_values(s_, pattern_, x, out, static_cast<int>(own_.begin), static_cast<int>(own_.end));
    allgather_blocks(out, first_, MPI_DOUBLE, 1);
    copy_lower_from_mirror(pattern_, mirror_, out);
  }

 private:
  const SparseMatrixD& s_;
  const SparseMatrixD& pattern_;
  std::vector<RowBlock> blocks_;
  std::vector<std::int64_t> first_;
  RowBlock own_;
  std::vector<int> mirror_;
};

class MpiBackend final : public Backend {
 public:
  Device device() const override { return Device::Cpu; }
  std::string name() const override { return "mpi:" + std::to_string(size()) + " ranks (cpu)"; }

  Neighbours ntk_neighbours(const RowMatrixF& images, const RowMatrixF& nouns, const NtkOptions& o) const override {
    return cpu_backend().ntk_neighbours(images, nouns, o);  // the dense path: tests only, never on the CLI's path
  }

  std::vector<Neighbours> ntk_neighbours_sparse(const RowMatrixF& images, const std::vector<RowMatrixF>& nouns,
                                                const SparseNtkOptions& options,
                                                std::vector<SparseNtkStats>* stats) const override {
    const int n = size();
    const std::int64_t m = images.rows();
    SparseNtkOptions own = options;
    const RowBlock block = row_block(m, rank(), n);
    own.row_begin = static_cast<int>(block.begin);
    own.row_end = static_cast<int>(block.end);
    std::vector<SparseNtkStats> local;
    fail_if_asked("the NTK search");
    std::vector<Neighbours> lists = vlc::ntk_neighbours_sparse(images, nouns, own, &local);
    std::vector<std::int64_t> first(static_cast<std::size_t>(n) + 1, 0);
    for (int r = 0; r < n; ++r) first[r + 1] = row_block(m, r, n).end;
    for (Neighbours& l : lists) {
      allgather_blocks(l.index.data(), first, MPI_INT, l.q);
      allgather_blocks(l.value.data(), first, MPI_FLOAT, l.q);
    }
    if (stats) {
      // Counts are sums over the ranks' rows; the per-template ε statistics are global already.
      for (SparseNtkStats& st : local) {
        std::int64_t counts[3] = {st.candidate_pairs, st.full_values, st.fallback_rows};
        MPI_Allreduce(MPI_IN_PLACE, counts, 3, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
        st.candidate_pairs = counts[0];
        st.full_values = counts[1];
        st.fallback_rows = counts[2];
      }
      *stats = std::move(local);
    }
    return lists;
  }

  std::unique_ptr<SandwichOperator> masked_sandwich(const SparseMatrixD& s, const SparseMatrixD& pattern) const override {
    require(s.rows() == pattern.rows() && s.cols() == pattern.cols() && s.rows() == s.cols(),
            "masked product: S is ", s.rows(), "×", s.cols(), " but the pattern is ", pattern.rows(), "×",
            pattern.cols());
    return std::make_unique<MpiSandwich>(s, pattern);
  }

  std::unique_ptr<MatVecOperator> normalized_matvec(const SparseMatrixD& a, const VectorD& scale) const override {
    // Only reached when deflated_eigenpairs declines, which it never does here (SLEPc runs §4).
    return cpu_backend().normalized_matvec(a, scale);
  }

  bool deflated_eigenpairs(const SparseMatrixD& a, const VectorD& scale, const std::vector<int>& component_of,
                           int components, const VectorD& component_entry, int nev, int ncv, double tol, int max_iter,
                           Eigenpairs& out) const override {
    slepc_deflated_eigenpairs(a, scale, component_of, components, component_entry, nev, ncv, tol, max_iter, out);
    return true;
  }
};

}  // namespace

std::shared_ptr<const Backend> make_backend() { return std::make_shared<MpiBackend>(); }

}  // namespace vlc::mpi
