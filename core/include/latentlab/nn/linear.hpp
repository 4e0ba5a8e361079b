// Fully connected layer with fused bias and activation:
//   forward   y = f(x Wᵀ + b)            x: batch×in, W: out×in (PyTorch layout), y: batch×out
//   backward  g = dL/dy ⊙ f'(·)          (in place on dL/dy, from y)
//             dL/dW += gᵀ x,  dL/db += Σ_rows g,  dL/dx = g W
#pragma once

#include <string>

#include "latentlab/nn/activations.hpp"
#include "latentlab/nn/parameters.hpp"
#include "latentlab/kernels/sparse.hpp"

namespace latentlab {

class Rng;

class Linear {
 public:
  // Declares "<name>.weight" [out, in] and "<name>.bias" [out] in `params`.
  Linear(ParameterSet& params, const std::string& name, int in, int out, ActivationSpec activation);

  int in() const { return in_; }
  int out() const { return out_; }
  const std::string& name() const { return name_; }
  const ActivationSpec& activation() const { return activation_; }

  // PyTorch's default nn.Linear init: W, b ~ U(−1/√in, 1/√in).
  void init(Rng& rng);

  void forward(const float* x, int batch, float* y) const;
  // grad_y (batch×out) is overwritten with dL/d(pre-activation) g. dW, db are added to
  // (ParamGrads::Accumulate), written (Write) or skipped; dL/dx (batch×in) is written when
  // grad_x is not null.
  void backward(const float* x, const float* y, float* grad_y, int batch, float* grad_x,
                ParamGrads mode = ParamGrads::Accumulate);
  // The same on an input given as compressed rows (mostly-zero pixels, see sparse.hpp); the
  // backward computes no dL/dx (a first layer needs none).
  void forward(const kernels::SparseRows& x, float* y) const;
  void backward(const kernels::SparseRows& x, const float* y, float* grad_y, ParamGrads mode = ParamGrads::Accumulate);

  // Second order (the input-gradient penalty, nn/gradient_penalty.hpp):
  //   tangent_forward   v = t Wᵀ            the pre-activation's derivative along t (no bias)
  //   weight_gradient   dL/dW (+)= gᵀ x     (and dL/db (+)= Σ_rows g when with_bias) — the
  //                     parameter half of backward, for a g and an x the caller chooses
  void tangent_forward(const float* t, int batch, float* v) const;
  void weight_gradient(const float* x, const float* g, int batch, ParamGrads mode, bool with_bias = true);

  const float* weight() const { return params_->values() + weight_offset_; }
  const float* bias() const { return params_->values() + bias_offset_; }
  float* weight() { return params_->values() + weight_offset_; }
  float* bias() { return params_->values() + bias_offset_; }
  float* weight_grad() { return params_->grads() + weight_offset_; }
  float* bias_grad() { return params_->grads() + bias_offset_; }

 private:
  ParameterSet* params_;
  std::string name_;
  int in_, out_;
  ActivationSpec activation_;
  std::size_t weight_offset_, bias_offset_;
};

}  // namespace latentlab
