// The MPI build's process-wide pieces (issue 19): MPI and SLEPc/PETSc for the program's
// lifetime, this rank's place, its block of rows, and the one exchange every distributed stage
// ends with (each rank's block of a row-major array to every rank).
#pragma once
#include <mpi.h>
#include <cstdint>
#include <vector>

namespace vlc::mpi {

// MPI (threads: funnelled, OpenMP workers never call MPI) and SLEPc, which initialises PETSc.
// PETSc reads no command-line options here: the CLI's own flags stay the only interface.
class Runtime {
 public:
  Runtime(int* argc, char*** argv);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
};

int rank();
int size();
inline bool is_root() { return rank() == 0; }

// Silences this rank's stdout/stderr (every rank meets the same errors; rank 0 alone speaks),
// keeping the real stderr for fail_job. Call once, on the ranks other than 0.
void quiet_rank();

// Ends the whole job after an error on this rank, so that no rank waits forever in a
// collective for one that failed (an error on one rank only: a node out of memory, a file
// system missing there). Rank 0 prints `message` and aborts the job at once. Another rank first
// waits `grace_seconds` for rank 0 to end the job — rank 0 usually meets the same error and
// reports it once — then prints "rank r of N: message" on its real stderr and aborts.
// With one rank: prints and returns `code` (the caller exits with it).
int fail_job(int code, const char* message, int grace_seconds = 10);

// Rank r's rows [begin, end) of m rows: n nearly equal contiguous blocks, in rank order.
struct RowBlock {
  std::int64_t begin = 0, end = 0;
};
RowBlock row_block(std::int64_t m, int r, int n);

// Rows split so that each rank holds about the same number of stored entries of a CSR matrix
// whose row starts are `outer` (rows + 1 values): the cost of a sparse row product is its entries.
std::vector<RowBlock> blocks_by_entries(const int* outer, int rows, int n);

// Every rank owns elements [first[r], first[r + 1]) of `data` (n + 1 offsets, in units of
// `unit` elements of `type`); after the call every rank holds all of them. In place.
void allgather_blocks(void* data, const std::vector<std::int64_t>& first, MPI_Datatype type, int unit);

// MPI_Datatype of a C++ element type.
template <class T> MPI_Datatype datatype();
template <> inline MPI_Datatype datatype<double>() { return MPI_DOUBLE; }
template <> inline MPI_Datatype datatype<float>() { return MPI_FLOAT; }
template <> inline MPI_Datatype datatype<int>() { return MPI_INT; }
template <> inline MPI_Datatype datatype<std::int64_t>() { return MPI_INT64_T; }

}  // namespace vlc::mpi
