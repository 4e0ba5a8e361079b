// What Conv2d (conv2d.hpp) and ConvTranspose2d (conv_transpose2d.hpp) share: parameters, shapes,
// init, and the bias + activation around their products. Both are built on one convolution
// geometry (kernels::ConvShape): Conv2d's own, or for ConvTranspose2d the convolution from its
// output back to its input, whose weight [co, ci, k, k] is PyTorch's ConvTranspose2d layout
// [in, out, k, k]. In both cases fan_in = ci·k·k (Conv2d: in·k·k; ConvTranspose2d: out·k·k, as
// PyTorch computes it from weight.size(1)).
#pragma once

#include <string>

#include "latentlab/kernels/conv.hpp"
#include "latentlab/nn/activations.hpp"
#include "latentlab/nn/image_shape.hpp"
#include "latentlab/nn/parameters.hpp"

namespace latentlab {

class Rng;

class ConvLayerBase {
 public:
  ImageShape input_shape() const { return input_; }
  ImageShape output_shape() const { return output_; }
  const std::string& name() const { return name_; }
  const ActivationSpec& activation() const { return activation_; }
  int kernel() const { return geometry_.kernel; }
  int stride() const { return geometry_.stride; }
  int padding() const { return geometry_.padding; }

  // PyTorch's default: W, b ~ U(−1/√fan_in, 1/√fan_in).
  void init(Rng& rng);

  const float* weight() const { return params_->values() + weight_offset_; }
  const float* bias() const { return params_->values() + bias_offset_; }
  float* weight() { return params_->values() + weight_offset_; }
  float* bias() { return params_->values() + bias_offset_; }
  float* weight_grad() { return params_->grads() + weight_offset_; }
  float* bias_grad() { return params_->grads() + bias_offset_; }

 protected:
  // Declares "<name>.weight" [geometry.out_channels, geometry.in_channels, k, k] and "<name>.bias"
  // [out_channels]. `transposed`: the layer maps the geometry's output to its input. Throws
  // std::invalid_argument (naming `kind`) when the sizes give no output pixel or are not positive.
  ConvLayerBase(ParameterSet& params, const char* kind, const std::string& name, ImageShape input, int out_channels,
                kernels::ConvShape geometry, bool transposed, ActivationSpec activation);

  // y = f(y + b) over the batch's output.
  void bias_activation(float* y, int batch);
  // g = dL/dy ⊙ f′ (in place, from y); then db (+)= Σ g as `mode` says.
  void activation_bias_backward(const float* y, float* g, int batch, ParamGrads mode);

  ParameterSet* params_;
  std::string name_;
  ImageShape input_, output_;
  kernels::ConvShape geometry_;
  ActivationSpec activation_;
  std::size_t weight_offset_ = 0, bias_offset_ = 0;
  kernels::ConvScratch scratch_;
};

}  // namespace latentlab
