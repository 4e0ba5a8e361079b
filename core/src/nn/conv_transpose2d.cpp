// 2-D transposed convolution layer, forward and backward side by side (math in conv_transpose2d.hpp).
#include "latentlab/nn/conv_transpose2d.hpp"

#include <cmath>
#include <stdexcept>

#include "latentlab/rng.hpp"

namespace latentlab {

namespace {
// The convolution output → input (k, s, p) whose input gradient this layer is.
kernels::ConvShape transposed_geometry(ImageShape input, int out_channels, int kernel, int stride, int padding) {
  const int height = (input.height - 1) * stride - 2 * padding + kernel;
  const int width = (input.width - 1) * stride - 2 * padding + kernel;
  return kernels::ConvShape::make(out_channels, height, width, input.channels, kernel, stride, padding);
}
}  // namespace

ConvTranspose2d::ConvTranspose2d(ParameterSet& params, const std::string& name, ImageShape input, int out_channels,
                                 int kernel, int stride, int padding, ActivationSpec activation)
    : params_(&params),
      name_(name),
      input_(input),
      geometry_(transposed_geometry(input, out_channels, kernel, stride, padding)),
      activation_(activation) {
  const kernels::ConvShape& g = geometry_;
  if (input.channels <= 0 || input.height <= 0 || input.width <= 0 || !g.valid() || g.out_height != input.height ||
      g.out_width != input.width)
    throw std::invalid_argument("ConvTranspose2d " + name + ": input " + std::to_string(input.channels) + "x" +
                                std::to_string(input.height) + "x" + std::to_string(input.width) + ", " +
                                std::to_string(out_channels) + " output channels, kernel " + std::to_string(kernel) +
                                ", stride " + std::to_string(stride) + ", padding " + std::to_string(padding) +
                                " give no valid output");
  output_ = {out_channels, g.in_height, g.in_width};
  weight_offset_ = params.declare(name + ".weight", {input.channels, out_channels, kernel, kernel});
  bias_offset_ = params.declare(name + ".bias", {out_channels});
}

void ConvTranspose2d::init(Rng& rng) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(output_.channels * geometry_.kernel * geometry_.kernel));
  rng.fill_uniform(weight(), static_cast<std::size_t>(geometry_.weight_size()), -bound, bound);
  rng.fill_uniform(bias(), static_cast<std::size_t>(output_.channels), -bound, bound);
}

void ConvTranspose2d::forward(const float* x, int batch, float* y) {
  kernels::conv2d_backward_input(geometry_, x, batch, weight(), y);                  // y = W scattered by x
  kernels::add_channel_bias(y, bias(), batch, output_.channels, output_.plane());    // y += b
  activation_forward(activation_, y, static_cast<std::size_t>(batch) * output_.size());  // y = f(y)
}

void ConvTranspose2d::backward(const float* x, const float* y, float* grad_y, int batch, float* grad_x,
                               ParamGrads mode) {
  float* g = grad_y;
  activation_backward(activation_, y, g, static_cast<std::size_t>(batch) * output_.size());  // g = dL/dy ⊙ f′
  if (mode != ParamGrads::Skip) {
    const bool add = mode == ParamGrads::Accumulate;
    kernels::conv2d_backward_weight(geometry_, g, x, batch, weight_grad(), add);           // dW (+)= x ⋆ g
    kernels::channel_sums(g, batch, output_.channels, output_.plane(), bias_grad(), add);  // db (+)= Σ g
  }
  if (grad_x != nullptr) kernels::conv2d_forward(geometry_, g, batch, weight(), grad_x);  // dx = W ⋆ g
}

}  // namespace latentlab
