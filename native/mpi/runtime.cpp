#include "runtime.hpp"
#include <slepcsys.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include "vlc/error.hpp"

namespace vlc::mpi {

Runtime::Runtime(int* argc, char*** argv) {
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  // Errors come back as codes (turned into vlc::Error by the callers), not as PETSc's abort;
  // and PETSc's signal handlers would replace the CLI's plain crash behaviour.
  require(SlepcInitializeNoArguments() == 0, "MPI build: SlepcInitialize failed");
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  PetscPopSignalHandler();
}

Runtime::~Runtime() {
  SlepcFinalize();
  MPI_Finalize();
}

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

namespace {
int real_stderr = STDERR_FILENO;
}

void quiet_rank() {
  real_stderr = dup(STDERR_FILENO);
  if (!std::freopen("/dev/null", "w", stdout) || !std::freopen("/dev/null", "w", stderr)) std::_Exit(1);
}

int fail_job(int code, const char* message, int grace_seconds) {
  const int n = size(), r = rank();
  if (r == 0) {
    std::fprintf(stderr, "vlcluster: %s\n", message);
    std::fflush(stderr);
    if (n > 1) MPI_Abort(MPI_COMM_WORLD, code);
    return code;
  }
  // Rank 0 meets the same error (the same input) within moments and ends the job with one
  // message; only when it does not (it is waiting for this rank) does this rank speak.
  std::this_thread::sleep_for(std::chrono::seconds(grace_seconds));
  if (real_stderr >= 0) {
    const std::string line = "vlcluster: rank " + std::to_string(r) + " of " + std::to_string(n) + ": " + message + "\n";
    if (write(real_stderr, line.data(), line.size()) < 0) {}  // nothing more to do if stderr is gone
  }
  MPI_Abort(MPI_COMM_WORLD, code);
  return code;
}

RowBlock row_block(std::int64_t m, int r, int n) {
  const std::int64_t base = m / n, extra = m % n;
  RowBlock b;
  b.begin = r * base + std::min<std::int64_t>(r, extra);
  b.end = b.begin + base + (r < extra ? 1 : 0);
  return b;
}

std::vector<RowBlock> blocks_by_entries(const int* outer, int rows, int n) {
  std::vector<RowBlock> blocks(static_cast<std::size_t>(n));
  const double total = outer[rows];
  std::int64_t row = 0;
  for (int r = 0; r < n; ++r) {
    blocks[r].begin = row;
    // The first row boundary at or past this rank's share of the entries.
    const double target = total * (r + 1) / n;
    if (r == n - 1) row = rows;
    else
      row = std::lower_bound(outer + row, outer + rows + 1, target, [](int a, double t) { return a < t; }) - outer;
    blocks[r].end = std::min<std::int64_t>(row, rows);
    row = blocks[r].end;
  }
  return blocks;
}

void allgather_blocks(void* data, const std::vector<std::int64_t>& first, MPI_Datatype type, int unit) {
  const int n = static_cast<int>(first.size()) - 1;
  if (n <= 1) return;
  // Counts are int in MPI-3: a contiguous unit of `unit` elements keeps them small (a row of an
  // embedding, a neighbour list); the check names the limit instead of overflowing.
  MPI_Datatype block_type;
  MPI_Type_contiguous(unit, type, &block_type);
  MPI_Type_commit(&block_type);
  std::vector<int> counts(n), displs(n);
  for (int r = 0; r < n; ++r) {
    require(first[r + 1] - first[r] <= INT_MAX && first[r] <= INT_MAX, "MPI build: block of rank ", r,
            " has more than 2^31 units; run with more ranks");
    counts[r] = static_cast<int>(first[r + 1] - first[r]);
    displs[r] = static_cast<int>(first[r]);
  }
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, counts.data(), displs.data(), block_type, MPI_COMM_WORLD);
  MPI_Type_free(&block_type);
}

}  // namespace vlc::mpi
