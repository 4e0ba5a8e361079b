// The projection discriminator's class term, forward and backward side by side (math in
// class_projection.hpp). Plain loops in a fixed order: batch × features multiply-adds, small next
// to the convolutions before it, and the same bits for any thread count.
#include "latentlab/nn/class_projection.hpp"

#include <algorithm>
#include <cstddef>

namespace latentlab {

ClassProjection::ClassProjection(ParameterSet& params, const std::string& name, int features, int classes)
    : params_(&params), features_(features), classes_(classes) {
  offset_ = params.declare(name + ".weight", {classes, features});
}

void ClassProjection::forward(const float* h, const int* labels, int batch, float* out) const {
  const std::size_t f = static_cast<std::size_t>(features_);
  for (int r = 0; r < batch; ++r) {
    const int y = labels[r];
    if (y < 0 || y >= classes_) continue;
    const float* e = weight() + static_cast<std::size_t>(y) * f;
    const float* row = h + static_cast<std::size_t>(r) * f;
    float dot = 0.0f;
    for (std::size_t j = 0; j < f; ++j) dot += e[j] * row[j];  // ⟨E[y], h⟩
    out[r] += dot;
  }
}

void ClassProjection::backward(const float* h, const int* labels, const float* grad_out, int batch, float* grad_h,
                               ParamGrads mode) {
  const std::size_t f = static_cast<std::size_t>(features_);
  if (mode == ParamGrads::Write) std::fill(weight_grad(), weight_grad() + static_cast<std::size_t>(classes_) * f, 0.0f);
  for (int r = 0; r < batch; ++r) {
    const int y = labels[r];
    if (y < 0 || y >= classes_) continue;
    const float g = grad_out[r];
    const std::size_t at = static_cast<std::size_t>(y) * f;
    if (grad_h) {
      float* gh = grad_h + static_cast<std::size_t>(r) * f;
      const float* e = weight() + at;
      for (std::size_t j = 0; j < f; ++j) gh[j] += g * e[j];  // dL/dh_r += g_r E[y_r]
    }
    if (mode != ParamGrads::Skip) {
      float* ge = weight_grad() + at;
      const float* row = h + static_cast<std::size_t>(r) * f;
      for (std::size_t j = 0; j < f; ++j) ge[j] += g * row[j];  // dL/dE[y_r] += g_r h_r
    }
  }
}

}  // namespace latentlab
