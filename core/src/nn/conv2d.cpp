// 2-D convolution layer, forward and backward side by side (math in conv2d.hpp).
#include "latentlab/nn/conv2d.hpp"

#include <cmath>
#include <stdexcept>

#include "latentlab/rng.hpp"

namespace latentlab {

Conv2d::Conv2d(ParameterSet& params, const std::string& name, ImageShape input, int out_channels, int kernel,
               int stride, int padding, ActivationSpec activation)
    : params_(&params),
      name_(name),
      input_(input),
      geometry_(kernels::ConvShape::make(input.channels, input.height, input.width, out_channels, kernel, stride,
                                         padding)),
      activation_(activation) {
  if (!geometry_.valid())
    throw std::invalid_argument("Conv2d " + name + ": input " + std::to_string(input.channels) + "x" +
                                std::to_string(input.height) + "x" + std::to_string(input.width) + ", " +
                                std::to_string(out_channels) + " output channels, kernel " + std::to_string(kernel) +
                                ", stride " + std::to_string(stride) + ", padding " + std::to_string(padding) +
                                " give no valid output");
  output_ = {out_channels, geometry_.out_height, geometry_.out_width};
  weight_offset_ = params.declare(name + ".weight", {out_channels, input.channels, kernel, kernel});
  bias_offset_ = params.declare(name + ".bias", {out_channels});
}

void Conv2d::init(Rng& rng) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(input_.channels * geometry_.kernel * geometry_.kernel));
  rng.fill_uniform(weight(), static_cast<std::size_t>(geometry_.weight_size()), -bound, bound);
  rng.fill_uniform(bias(), static_cast<std::size_t>(output_.channels), -bound, bound);
}

void Conv2d::forward(const float* x, int batch, float* y) {
  kernels::conv2d_forward(geometry_, x, batch, weight(), y);                         // y = W ⋆ x
  kernels::add_channel_bias(y, bias(), batch, output_.channels, output_.plane());    // y += b
  activation_forward(activation_, y, static_cast<std::size_t>(batch) * output_.size());  // y = f(y)
}

void Conv2d::backward(const float* x, const float* y, float* grad_y, int batch, float* grad_x, ParamGrads mode) {
  float* g = grad_y;
  activation_backward(activation_, y, g, static_cast<std::size_t>(batch) * output_.size());  // g = dL/dy ⊙ f′
  if (mode != ParamGrads::Skip) {
    const bool add = mode == ParamGrads::Accumulate;
    kernels::conv2d_backward_weight(geometry_, x, g, batch, weight_grad(), add);          // dW (+)= g ⋆ x
    kernels::channel_sums(g, batch, output_.channels, output_.plane(), bias_grad(), add);  // db (+)= Σ g
  }
  if (grad_x != nullptr) kernels::conv2d_backward_input(geometry_, g, batch, weight(), grad_x);  // dx = Wᵀ ⋆ g
}

}  // namespace latentlab
