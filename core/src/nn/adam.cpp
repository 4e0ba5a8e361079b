// Adam / AdamW with PyTorch 1.13 semantics (math in adam.hpp): one SIMD loop over the flat buffer.
#include "latentlab/nn/adam.hpp"

#include <algorithm>
#include <cmath>
#include <xsimd/xsimd.hpp>

#include "latentlab/kernels/parallel.hpp"

namespace latentlab {

Adam::Adam(std::size_t size, const AdamConfig& config) : config_(config), size_(size), m_(size), v_(size) {}

void Adam::step(float* params, const float* grads) {
  ++steps_;
  // PyTorch computes the bias corrections as Python floats (double), then uses them as float scalars.
  const double t = static_cast<double>(steps_);
  const double bias_correction1 = 1.0 - std::pow(static_cast<double>(config_.beta1), t);
  const double bias_correction2 = 1.0 - std::pow(static_cast<double>(config_.beta2), t);
  const float step_size = static_cast<float>(config_.lr / bias_correction1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float b1 = config_.beta1, b2 = config_.beta2, one_minus_b1 = 1.0f - b1, one_minus_b2 = 1.0f - b2;
  const float eps = config_.eps;
  const float decay = 1.0f - config_.lr * config_.weight_decay;  // AdamW: p ← p(1 − lr·wd)
  const bool decoupled = config_.weight_decay != 0.0f;
  float* m = m_.data();
  float* v = v_.data();

  // Each element's update reads and writes only that element: an elementwise pass (ranges of
  // whole 64-float blocks keep m and v aligned), the same result for any split.
  const auto update = [&](std::size_t begin, std::size_t end) {
    using batch = xsimd::batch<float>;
    constexpr std::size_t W = batch::size;
    std::size_t i = begin;
    for (; i + W <= end; i += W) {
      const batch g = batch::load_unaligned(grads + i);
      batch p = batch::load_unaligned(params + i);
      const batch mi = batch(b1) * batch::load_aligned(m + i) + batch(one_minus_b1) * g;
      const batch vi = batch(b2) * batch::load_aligned(v + i) + batch(one_minus_b2) * (g * g);
      mi.store_aligned(m + i);
      vi.store_aligned(v + i);
      if (decoupled) p = p * batch(decay);
      const batch denom = xsimd::sqrt(vi) / batch(bc2_sqrt) + batch(eps);
      p = p - batch(step_size) * (mi / denom);
      p.store_unaligned(params + i);
    }
    for (; i < end; ++i) {
      const float g = grads[i];
      m[i] = b1 * m[i] + one_minus_b1 * g;
      v[i] = b2 * v[i] + one_minus_b2 * (g * g);
      float p = params[i];
      if (decoupled) p *= decay;
      const float denom = std::sqrt(v[i]) / bc2_sqrt + eps;
      params[i] = p - step_size * (m[i] / denom);
    }
  };
  parallel::for_elements(size_, parallel::Cost::Cheap, update);
}

}  // namespace latentlab
