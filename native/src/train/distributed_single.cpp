// The data-parallel group of a build without MPI (LATENTLAB_MPI off, and always in wasm): this
// process alone, rank 0 of 1, every sum the identity.
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "train/distributed.hpp"

namespace latentlab::native::distributed {

// Started by a launcher as one of several processes, this build would train N independent copies
// writing to the same --out: refuse. (OMPI_COMM_WORLD_SIZE: OpenMPI's mpirun; PMI_SIZE: MPICH's
// Hydra and Slurm's PMI.)
Session::Session(int&, char**&) {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* value = std::getenv(name);
    if (value && std::string(value) != "1")
      throw std::runtime_error(std::string("started as one of ") + value +
                               " MPI processes, but this build has no MPI (CMake option LATENTLAB_MPI OFF): rebuild "
                               "with MPI (apt install openmpi-bin libopenmpi-dev) or run one process");
  }
}
int Session::finish(int exit_code) {
  finished_ = true;
  return exit_code;
}
Session::~Session() = default;

bool mpi_available() { return false; }
int rank() { return 0; }
int size() { return 1; }
void sum(float*, std::size_t) {}
void sum(double*, std::size_t) {}
bool any(bool flag) { return flag; }

}  // namespace latentlab::native::distributed
