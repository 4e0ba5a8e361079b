// The data-parallel group over MPI (distributed.hpp): OpenMPI's C API, MPI_COMM_WORLD.
#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "train/distributed.hpp"

namespace latentlab::native::distributed {

namespace {

bool g_joined = false;  // MPI_Init done by Session
int g_rank = 0, g_size = 1;

// Set by the launchers that start MPI processes: OpenMPI's mpirun, PMIx (srun --mpi=pmix, newer
// mpirun), PMI (MPICH's Hydra, srun --mpi=pmi2). A process started any other way is alone.
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(std::string(call) + " failed on rank " + std::to_string(g_rank) + " (" + text +
                           "): another rank has probably died; the job stops and the last checkpoint is kept");
}

template <class T>
MPI_Datatype mpi_type();
template <>
MPI_Datatype mpi_type<float>() { return MPI_FLOAT; }
template <>
MPI_Datatype mpi_type<double>() { return MPI_DOUBLE; }

// The fixed-order sum of distributed.hpp: reduce-scatter (Alltoallv; rank c adds the N copies
// of chunk c in rank order, in Acc) then all-gather (Allgatherv) of the summed chunks.
template <class T, class Acc>
void fixed_order_sum(T* values, std::size_t n) {
  const int N = g_size;
  if (N == 1 || n == 0) return;
  if (n > static_cast<std::size_t>(INT_MAX)) throw std::length_error("distributed sum of more than INT_MAX values");
  static std::vector<int> counts, displs, recv_counts, recv_displs;
  static std::vector<T> received;
  counts.resize(N);
  displs.resize(N);
  recv_counts.resize(N);
  recv_displs.resize(N);
  const auto start = [&](int c) { return static_cast<int>(n * static_cast<std::size_t>(c) / static_cast<std::size_t>(N)); };
  for (int c = 0; c < N; ++c) {
    displs[c] = start(c);
    counts[c] = start(c + 1) - start(c);
  }
  const int mine = counts[g_rank];
  for (int s = 0; s < N; ++s) {
    recv_counts[s] = mine;
    recv_displs[s] = s * mine;
  }
  received.resize(static_cast<std::size_t>(N) * static_cast<std::size_t>(mine));
  check(MPI_Alltoallv(values, counts.data(), displs.data(), mpi_type<T>(), received.data(), recv_counts.data(),
                      recv_displs.data(), mpi_type<T>(), MPI_COMM_WORLD),
        "MPI_Alltoallv");
  T* out = values + displs[g_rank];
  for (int i = 0; i < mine; ++i) {
    Acc a = received[static_cast<std::size_t>(i)];
    for (int s = 1; s < N; ++s) a += received[static_cast<std::size_t>(s) * mine + i];
    out[i] = static_cast<T>(a);
  }
  check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values, counts.data(), displs.data(), mpi_type<T>(),
                       MPI_COMM_WORLD),
        "MPI_Allgatherv");
}

}  // namespace

Session::Session(int& argc, char**& argv) {
  if (!launched_by_mpi()) return;
  int provided = 0;
  // FUNNELED: the kernels run threads, but only the main thread calls MPI.
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw std::runtime_error("MPI_Init_thread failed");
  g_joined = true;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  if (g_size > 1) set_cross_batch_sum(&batch_group());
}

int Session::finish(int exit_code) {
  if (finished_ || !g_joined) return exit_code;
  finished_ = true;
  set_cross_batch_sum(nullptr);
  // Success (0) and an agreed stop (128 + signal) are reached by every rank; an error may be
  // this rank's alone.
  if (exit_code == 0 || exit_code > 128) {
    MPI_Finalize();
  } else if (g_size > 1) {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
  } else {
    MPI_Finalize();
  }
  return exit_code;
}

Session::~Session() { finish(0); }

bool mpi_available() { return true; }
int rank() { return g_rank; }
int size() { return g_size; }
void sum(float* values, std::size_t n) { fixed_order_sum<float, double>(values, n); }
void sum(double* values, std::size_t n) { fixed_order_sum<double, double>(values, n); }

bool any(bool flag) {
  if (g_size == 1) return flag;
  int local = flag ? 1 : 0, global = 0;
  check(MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD), "MPI_Allreduce");
  return global != 0;
}

}  // namespace latentlab::native::distributed
