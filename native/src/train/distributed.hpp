// The data-parallel group of a training run (docs/distributed.md): under `mpirun -np N` every
// process is one rank of N, each computing the gradients of its slice of the global batch; the
// sums below make the ranks' results one. Without MPI (the build option LATENTLAB_MPI off, or a
// process not started by mpirun) the group is this process alone: rank 0 of 1, and every sum is
// the identity — so trainers call these unconditionally.
//
// Every call below except rank(), size() and mpi_available() is collective: all ranks must make
// it, in the same order, with the same n.
//
// The sums have a FIXED order, so that a run is bit-identical when repeated with the same N
// (MPI_Allreduce's order, and so its rounding, is implementation-defined and may depend on the
// message size and the process placement). They are a reduce-scatter and an all-gather written
// with MPI_Alltoallv / MPI_Allgatherv: rank c receives every rank's copy of chunk c of the
// buffer (n/N elements), adds them in rank order 0, 1, …, N−1, and all ranks then gather the
// summed chunks. Each element is thus the same left-to-right sum on every rank whatever the
// chunking, and every rank sends and receives 2·(N−1)/N·n elements, as a ring all-reduce does.
#pragma once

#include <cstddef>

#include "latentlab/nn/batchnorm.hpp"

namespace latentlab::native::distributed {

// Joins the MPI job if this process was started by an MPI launcher (mpirun, or srun with PMI/PMIx:
// their environment variables say so), with MPI errors returned (a failed call throws
// std::runtime_error) rather than fatal. One per program, in main.
class Session {
 public:
  Session(int& argc, char**& argv);
  // Leaves the job at the program's end with its exit code: MPI_Finalize after success or an
  // agreed stop (every rank gets there), MPI_Abort after an error (which may be this rank's
  // alone: the others would wait forever in their next collective call). Returns exit_code.
  int finish(int exit_code);
  ~Session();  // finish(0) if finish was not called
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  bool finished_ = false;
};

// true if this build has MPI (the CMake option LATENTLAB_MPI).
bool mpi_available();
int rank();
int size();
// This process's rows of a global batch of `count` rows: [offset, offset + count) split into
// size() contiguous slices, rank r taking rows ⌊count·r/N⌋ … ⌊count·(r+1)/N⌋ − 1.
struct Slice {
  std::size_t offset = 0;
  int count = 0;
};
Slice slice(int count);

// values[0…n) ← their sums over the ranks (fixed order, see above). float sums are accumulated
// in double and rounded once.
void sum(float* values, std::size_t n);
void sum(double* values, std::size_t n);
// true on every rank if `flag` is true on any rank.
bool any(bool flag);

// The CrossBatchSum of a synchronised BatchNorm (sum above).
const CrossBatchSum& batch_group();

}  // namespace latentlab::native::distributed
