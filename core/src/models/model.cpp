// The parts of the model interface that are the same for every kind (model.hpp).
#include "latentlab/models/model.hpp"

#include <cstdlib>

namespace latentlab {

PixelMap pixel_map(PixelRange range) {
  return range == PixelRange::MinusOneOne ? PixelMap{2.0f, -1.0f} : PixelMap{1.0f, 0.0f};
}

const char* pixel_range_name(PixelRange range) { return range == PixelRange::MinusOneOne ? "-1,1" : "0,1"; }

void pixels_to_unit(PixelRange range, float* pixels, std::size_t count) {
  if (range == PixelRange::ZeroOne) return;
  for (std::size_t i = 0; i < count; ++i) pixels[i] = (pixels[i] + 1.0f) * 0.5f;
}

std::size_t Model::parameter_count() const {
  std::size_t n = 0;
  for (const TensorGroup& g : tensor_groups())
    if (g.trained) n += g.set->count();
  return n;
}

void Model::add_group(const char* name, ParameterSet& set, bool trained, bool needed_to_generate) {
  if (count_ == kMaxGroups) std::abort();  // a kind with more groups: raise kMaxGroups
  groups_[count_++] = {name, &set, trained, needed_to_generate};
}

}  // namespace latentlab
