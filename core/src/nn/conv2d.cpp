// 2-D convolution layer, forward and backward side by side (math in conv2d.hpp).
#include "latentlab/nn/conv2d.hpp"

namespace latentlab {

Conv2d::Conv2d(ParameterSet& params, const std::string& name, ImageShape input, int out_channels, int kernel,
               int stride, int padding, ActivationSpec activation)
    : ConvLayerBase(params, "Conv2d", name, input, out_channels,
                    kernels::ConvShape::make(input.channels, input.height, input.width, out_channels, kernel, stride,
                                             padding),
                    false, activation) {}

void Conv2d::forward(const float* x, int batch, float* y) {
  kernels::conv2d_forward(geometry_, x, batch, weight(), y, scratch_);  // y = W ⋆ x
  bias_activation(y, batch);                                            // y = f(y + b)
}

void Conv2d::tangent_forward(const float* t, int batch, float* v) {
  kernels::conv2d_forward(geometry_, t, batch, weight(), v, scratch_);  // v = W ⋆ t
}

void Conv2d::weight_gradient(const float* x, const float* g, int batch, ParamGrads mode, bool with_bias) {
  if (mode == ParamGrads::Skip) return;
  const bool add = mode == ParamGrads::Accumulate;
  kernels::conv2d_backward_weight(geometry_, x, g, batch, weight_grad(), add, scratch_);  // dW (+)= g ⋆ x
  if (with_bias)
    kernels::channel_sums(g, batch, output_shape().channels, output_shape().height * output_shape().width, bias_grad(),
                          add);  // db (+)= Σ g
}

void Conv2d::backward(const float* x, const float* y, float* grad_y, int batch, float* grad_x, ParamGrads mode) {
  float* g = grad_y;
  activation_bias_backward(y, g, batch, mode);  // g = dL/dy ⊙ f′;  db (+)= Σ g
  // dW (+)= g ⋆ x (unless Skip);  dx = Wᵀ ⋆ g (if asked): one sweep over the chunks
  kernels::conv2d_backward(geometry_, x, g, batch, weight(), mode == ParamGrads::Skip ? nullptr : weight_grad(),
                           mode == ParamGrads::Accumulate, grad_x, scratch_);
}

}  // namespace latentlab
