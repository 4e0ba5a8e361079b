// The label input: concatenation with a one-hot code (of vectors or of planes), and its backward
// (math in label_input.hpp).
#include "latentlab/nn/label_input.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace latentlab {

void LabelInput::forward(const float* x, const int* labels, int batch, float* out) const {
  const std::size_t f = static_cast<std::size_t>(features_), w = static_cast<std::size_t>(width());
  for (int r = 0; r < batch; ++r) {
    float* row = out + static_cast<std::size_t>(r) * w;
    std::memcpy(row, x + static_cast<std::size_t>(r) * f, f * sizeof(float));
    float* code = row + f;  // classes × plane values: plane y is 1, the others 0
    const std::size_t plane = static_cast<std::size_t>(plane_);
    std::fill(code, code + static_cast<std::size_t>(classes_) * plane, 0.0f);
    const int y = labels[r];
    if (y >= 0 && y < classes_) {
      float* ones = code + static_cast<std::size_t>(y) * plane;
      std::fill(ones, ones + plane, 1.0f);
    }
  }
}

void LabelInput::backward(const float* grad_out, int batch, float* grad_x) const {
  const std::size_t f = static_cast<std::size_t>(features_), w = static_cast<std::size_t>(width());
  for (int r = 0; r < batch; ++r)
    std::memcpy(grad_x + static_cast<std::size_t>(r) * f, grad_out + static_cast<std::size_t>(r) * w, f * sizeof(float));
}

bool labels_in_range(const int* labels, int n, int classes) {
  for (int i = 0; i < n; ++i)
    if (labels[i] < 0 || labels[i] >= classes) return false;
  return true;
}

}  // namespace latentlab
