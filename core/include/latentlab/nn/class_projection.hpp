// The class term of a projection discriminator (Miyato & Koyama 2018): the inner product of a
// learned class embedding with the features the discriminator's last Linear reads,
//   forward   out_r += ⟨E[y_r], h_r⟩                h: batch × features, y_r ∈ [0, classes)
//   backward  dL/dh_r += g_r · E[y_r]                g_r = dL/dout_r
//             dL/dE[c] (+)= Σ_{r : y_r = c} g_r · h_r
// E is classes × features, named "<name>.weight" (PyTorch's nn.Embedding layout). With the
// Linear ψ(h) beside it the logit is ψ(h) + ⟨E[y], h⟩: the label asks D how well h fits class y
// instead of being one more input it may ignore. A label outside [0, classes) is a caller's bug;
// its row adds nothing (never an out-of-bounds read).
#pragma once

#include <string>

#include "latentlab/nn/parameters.hpp"

namespace latentlab {

class ClassProjection {
 public:
  // Declares "<name>.weight" [classes, features] in `params`.
  ClassProjection(ParameterSet& params, const std::string& name, int features, int classes);

  int features() const { return features_; }
  int classes() const { return classes_; }

  // out (batch) += ⟨E[y_r], h_r⟩ for each row r.
  void forward(const float* h, const int* labels, int batch, float* out) const;
  // grad_h (batch × features, when not null) += g_r E[y_r]; dL/dE per mode (Write: the rows of
  // absent classes are written 0).
  void backward(const float* h, const int* labels, const float* grad_out, int batch, float* grad_h, ParamGrads mode);

  float* weight() { return params_->values() + offset_; }
  const float* weight() const { return params_->values() + offset_; }
  float* weight_grad() { return params_->grads() + offset_; }

 private:
  ParameterSet* params_;
  int features_, classes_;
  std::size_t offset_;
};

}  // namespace latentlab
