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

#include "latentlab/kernels/conv.hpp"
#include "latentlab/nn/activations.hpp"
#include "latentlab/nn/image_shape.hpp"
#include "latentlab/nn/parameters.hpp"

namespace latentlab {

class Rng;

class ConvTranspose2d {
 public:
  // Declares "<name>.weight" [in, out, k, k] and "<name>.bias" [out] in params. Throws
  // std::invalid_argument when the sizes give no output pixel (or are not positive).
  ConvTranspose2d(ParameterSet& params, const std::string& name, ImageShape input, int out_channels, int kernel,
                  int stride, int padding, ActivationSpec activation = {});

  ImageShape input_shape() const { return input_; }
  ImageShape output_shape() const { return output_; }
  const std::string& name() const { return name_; }
  const ActivationSpec& activation() const { return activation_; }
  int kernel() const { return geometry_.kernel; }
  int stride() const { return geometry_.stride; }
  int padding() const { return geometry_.padding; }

  // PyTorch's default: W, b ~ U(−1/√fan_in, 1/√fan_in) with fan_in as PyTorch computes it for
  // ConvTranspose2d, weight.size(1)·k·k = out·k·k.
  void init(Rng& rng);

  // x: batch × input_shape().size(), y: batch × output_shape().size() (may not alias x).
  void forward(const float* x, int batch, float* y);
  // As Linear::backward: grad_y is overwritten with dL/d(pre-activation); dW, db are added to
  // (ParamGrads::Accumulate), written (Write) or skipped; dL/dx is written when grad_x != nullptr.
  void backward(const float* x, const float* y, float* grad_y, int batch, float* grad_x,
                ParamGrads mode = ParamGrads::Accumulate);

  const float* weight() const { return params_->values() + weight_offset_; }
  const float* bias() const { return params_->values() + bias_offset_; }
  float* weight() { return params_->values() + weight_offset_; }
  float* bias() { return params_->values() + bias_offset_; }
  float* weight_grad() { return params_->grads() + weight_offset_; }
  float* bias_grad() { return params_->grads() + bias_offset_; }

 private:
  ParameterSet* params_;
  std::string name_;
  ImageShape input_, output_;
  kernels::ConvShape geometry_;  // the convolution output → input this layer transposes
  ActivationSpec activation_;
  std::size_t weight_offset_, bias_offset_;
};

}  // namespace latentlab
