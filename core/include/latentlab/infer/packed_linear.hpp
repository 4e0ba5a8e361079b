// A Linear layer (optionally followed by an eval-mode BatchNorm) frozen for inference:
//   y = f(BN(x Wᵀ + b)),   BN(v)_j = γ_j (v_j − mean_j) · 1/√(var_j + ε) + β_j
// W is packed ONCE, at construction, into the k-major slivers the GEMM micro-kernel reads
// (the order kernels::gemm packs op(B) = Wᵀ into on every call), and the bias, the BatchNorm
// and the activation (σ and tanh included) run as the epilogue of the product, on each block
// of the output right after the micro-kernels wrote it (still in L1): the output is written
// once and no separate pass reads it again.
//
// Same arithmetic as Linear::forward + BatchNorm::forward(eval) + activation_forward: the same
// register tile, the same K blocking (so every dot product is summed in the same order), then
// + b, then γ·(v − mean)·(1/√(var + ε)) + β in that order. In the wasm build (no FMA) the result
// is therefore bit-identical to the unfrozen layers; natively the compiler may contract a
// multiply-add differently (≤ a few ulps). tests/unit/core/infer/test_packed_linear.cpp checks it against
// the scalar reference and the unfrozen Mlp.
//
// The weights are copied: later changes to the model's parameters are not seen (freeze again).
#pragma once

#include "latentlab/nn/activations.hpp"
#include "latentlab/nn/parameters.hpp"

namespace latentlab {

class PackedLinear {
 public:
  // W: out×in (PyTorch layout), b: out.
  PackedLinear(const float* weight, const float* bias, int in, int out, ActivationSpec activation);
  // Adds the eval-mode BatchNorm between the product and the activation.
  void set_batchnorm(const float* gamma, const float* beta, const float* running_mean, const float* running_var,
                     float eps);

  int in() const { return in_; }
  int out() const { return out_; }

  // y (batch×out, row stride ldy ≥ out) = f(BN(x Wᵀ + b)), x: batch×in (row stride in).
  // y may not alias x. No allocation after the first call at the largest batch (per thread).
  void forward(const float* x, int batch, float* y, int ldy) const;

 private:
  int in_, out_;
  ActivationSpec activation_;
  bool batchnorm_ = false;
  AlignedBuffer packed_;  // Wᵀ in K blocks × column slivers (see packed_linear.cpp)
  // Per output column, padded with zeros to a whole number of SIMD batches.
  AlignedBuffer bias_, gamma_, mean_, inv_std_, beta_;
};

}  // namespace latentlab
