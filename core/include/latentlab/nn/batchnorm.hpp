// Batch normalisation over the batch dimension (Ioffe & Szegedy 2015), as torch.nn.BatchNorm1d:
//   training  μ_j = mean_i x_ij,  σ²_j = mean_i (x_ij − μ_j)²  (biased),  x̂ = (x − μ)/√(σ² + ε),
//             y = γ x̂ + β;  running_mean ← (1−m)·running_mean + m·μ,
//             running_var ← (1−m)·running_var + m·σ²·B/(B−1)  (unbiased, as PyTorch)
//   eval      y = γ (x − running_mean)/√(running_var + ε) + β
//   backward  dγ = Σ_i g x̂,  dβ = Σ_i g,
//             dx = γ/(B√(σ²+ε)) · (B·g − Σ_i g − x̂ Σ_i g x̂)     (per feature j; training mode)
// The math is BatchNorm2d's (batchnorm2d.hpp) with one value per feature and image (H = W = 1),
// including synchronised BatchNorm for data-parallel training (CrossBatchSum, set_cross_batch_sum).
#pragma once

#include <string>

#include "latentlab/nn/batchnorm2d.hpp"
#include "latentlab/nn/parameters.hpp"

namespace latentlab {

class BatchNorm : public BatchNorm2d {
 public:
  // Declares "<name>.weight" (γ, init 1) and "<name>.bias" (β, init 0) in params and
  // "<name>.running_mean" (0), "<name>.running_var" (1) in buffers (saved, not trained).
  BatchNorm(ParameterSet& params, ParameterSet& buffers, const std::string& name, int features, float eps,
            float momentum = 0.1f)
      : BatchNorm2d(params, buffers, name, features, 1, eps, momentum) {}

  int features() const { return channels(); }
  // forward(x, batch, y, training) and backward(grad, batch, mode) on batch×features rows: y may
  // not alias x; training mode normalises with the batch statistics (batch ≥ 2) and updates the
  // running statistics, eval mode uses the running statistics; grad is dL/dy on entry and dL/dx
  // on return (training-mode forward only), dγ, dβ added to / written / skipped per ParamGrads.
};

}  // namespace latentlab
