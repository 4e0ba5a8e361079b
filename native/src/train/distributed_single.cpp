// The data-parallel group of a build without MPI (LATENTLAB_MPI off, and always in wasm): this
// process alone, rank 0 of 1, every sum the identity.
#include "train/distributed.hpp"

namespace latentlab::native::distributed {

Session::Session(int&, char**&) {}
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
