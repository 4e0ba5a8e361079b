// 2-D transposed convolution with fused bias and activation, as torch.nn.ConvTranspose2d(in,
// out, k, stride, padding) (square kernel, no output_padding, dilation or groups). Images are
// NCHW rows (image_shape.hpp), W is [in, out, k, k] (PyTorch layout), H_out = (H − 1)·s − 2p + k.
// It is the input gradient of the convolution Conv2d(out → in, k, s, p) whose weight is W:
//   forward   y[n,o,·] = f(b[o] + Σ_{i,kh,kw : oh = s·ih−p+kh, ow = s·iw−p+kw} W[i,o,kh,kw] · x[n,i,ih,iw])
//             (each input pixel scatters W[i,·,·,·]·x into a k×k window of the output)
//   backward  g = dL/dy ⊙ f′(·)                     (in place on dL/dy, from y)
//             dL/dx[n,i,ih,iw] = Σ_{o,kh,kw} W[i,o,kh,kw] · g[n,o, s·ih−p+kh, s·iw−p+kw]
//                                (the forward convolution of g with W)
//             dL/dW[i,o,kh,kw] += Σ_{n,ih,iw} x[n,i,ih,iw] · g[n,o, s·ih−p+kh, s·iw−p+kw]
//             dL/db[o] += Σ_{n,oh,ow} g[n,o,oh,ow]
// so forward = kernels::conv2d_backward_input, dL/dx = kernels::conv2d_forward and dL/dW =
// kernels::conv2d_backward_weight with x and g swapped, all on that convolution's geometry.
#pragma once

#include <string>

#include "latentlab/nn/conv2d_base.hpp"

namespace latentlab {

// Shapes, weight(), bias(), their gradients and init(rng) (PyTorch's default U(±1/√fan_in))
// come from ConvLayerBase (conv2d_base.hpp).
class ConvTranspose2d : public ConvLayerBase {
 public:
  // Declares "<name>.weight" [in, out, k, k] and "<name>.bias" [out] in params. Throws
  // std::invalid_argument when the sizes give no output pixel (or are not positive).
  ConvTranspose2d(ParameterSet& params, const std::string& name, ImageShape input, int out_channels, int kernel,
                  int stride, int padding, ActivationSpec activation = {});

  // x: batch × input_shape().size(), y: batch × output_shape().size() (may not alias x).
  void forward(const float* x, int batch, float* y);
  // As Linear::backward: grad_y is overwritten with dL/d(pre-activation); dW, db are added to
  // (ParamGrads::Accumulate), written (Write) or skipped; dL/dx is written when grad_x != nullptr.
  void backward(const float* x, const float* y, float* grad_y, int batch, float* grad_x,
                ParamGrads mode = ParamGrads::Accumulate);
};

}  // namespace latentlab
