// Adam with PyTorch semantics (torch.optim.Adam / AdamW), one loop over a flat buffer:
//   m ← β1 m + (1−β1) g
//   v ← β2 v + (1−β2) g²
//   p ← p − lr·wd·p                                   (decoupled weight decay, AdamW; off when wd = 0)
//   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)  (bias corrections in double, as PyTorch does)
#pragma once

#include <cstddef>
#include <cstdint>

#include "latentlab/nn/parameters.hpp"

namespace latentlab {

struct AdamConfig {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;  // decoupled (AdamW)
};

class Adam {
 public:
  Adam(std::size_t size, const AdamConfig& config);
  void step(float* params, const float* grads);

  const AdamConfig& config() const { return config_; }
  std::int64_t steps() const { return steps_; }
  void set_steps(std::int64_t t) { steps_ = t; }
  std::size_t size() const { return size_; }
  float* first_moment() { return m_.data(); }
  float* second_moment() { return v_.data(); }
  const float* first_moment() const { return m_.data(); }
  const float* second_moment() const { return v_.data(); }

 private:
  AdamConfig config_;
  std::size_t size_;
  std::int64_t steps_ = 0;
  AlignedBuffer m_, v_;
};

}  // namespace latentlab
