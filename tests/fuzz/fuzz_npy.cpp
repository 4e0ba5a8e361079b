// libFuzzer target: see entry_points.hpp for what is checked.
#include "entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  latentlab::fuzz::npy_one_input(data, size);
  return 0;
}
