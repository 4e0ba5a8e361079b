// 2-D convolution layer with fused bias and activation, as torch.nn.Conv2d(in, out, k, stride,
// padding) (square kernel, zero padding, no dilation or groups). Images are NCHW rows
// (image_shape.hpp), W is [out, in, k, k] (PyTorch layout), H_out = (H + 2p − k)/s + 1:
//   forward   y[n,o,·] = f(b[o] + Σ_{i,kh,kw} W[o,i,kh,kw] · x[n,i, s·oh−p+kh, s·ow−p+kw])
//   backward  g = dL/dy ⊙ f′(·)                     (in place on dL/dy, from y)
//             dL/dW[o,i,kh,kw] += Σ_{n,oh,ow} g[n,o,oh,ow] · x[n,i, s·oh−p+kh, s·ow−p+kw]
//             dL/db[o] += Σ_{n,oh,ow} g[n,o,oh,ow]
//             dL/dx = the transposed convolution of g with W (each g scatters back through W
//                     to the input pixels that produced it)
// The three products are kernels::conv2d_{forward,backward_weight,backward_input} (conv.hpp).
#pragma once

#include <string>

#include "latentlab/nn/conv2d_base.hpp"

namespace latentlab {

// Shapes, weight(), bias(), their gradients and init(rng) (PyTorch's default U(±1/√fan_in))
// come from ConvLayerBase (conv2d_base.hpp).
class Conv2d : public ConvLayerBase {
 public:
  // Declares "<name>.weight" [out, in, k, k] and "<name>.bias" [out] in params. Throws
  // std::invalid_argument when the sizes give no output pixel (or are not positive).
  Conv2d(ParameterSet& params, const std::string& name, ImageShape input, int out_channels, int kernel, int stride,
         int padding, ActivationSpec activation = {});

  // x: batch × input_shape().size(), y: batch × output_shape().size() (may not alias x).
  void forward(const float* x, int batch, float* y);
  // As Linear::backward: grad_y is overwritten with dL/d(pre-activation); dW, db are added to
  // (ParamGrads::Accumulate), written (Write) or skipped; dL/dx is written when grad_x != nullptr.
  void backward(const float* x, const float* y, float* grad_y, int batch, float* grad_x,
                ParamGrads mode = ParamGrads::Accumulate);

  // Second order (the input-gradient penalty, nn/gradient_penalty.hpp), as Linear's:
  //   tangent_forward   v = W ⋆ t                 the pre-activation's derivative along t (no bias)
  //   weight_gradient   dL/dW (+)= g ⋆ x          (and dL/db (+)= Σ g when with_bias) — the
  //                     parameter half of backward, for a g and an x the caller chooses
  void tangent_forward(const float* t, int batch, float* v);
  void weight_gradient(const float* x, const float* g, int batch, ParamGrads mode, bool with_bias = true);
};

}  // namespace latentlab
