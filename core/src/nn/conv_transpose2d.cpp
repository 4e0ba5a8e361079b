// 2-D transposed convolution layer, forward and backward side by side (math in conv_transpose2d.hpp).
#include "latentlab/nn/conv_transpose2d.hpp"

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
    : ConvLayerBase(params, "ConvTranspose2d", name, input, out_channels,
                    transposed_geometry(input, out_channels, kernel, stride, padding), true, activation) {}

void ConvTranspose2d::forward(const float* x, int batch, float* y) {
  kernels::conv2d_backward_input(geometry_, x, batch, weight(), y, scratch_);  // y = W scattered by x
  bias_activation(y, batch);                                                   // y = f(y + b)
}

void ConvTranspose2d::backward(const float* x, const float* y, float* grad_y, int batch, float* grad_x,
                               ParamGrads mode) {
  float* g = grad_y;
  activation_bias_backward(y, g, batch, mode);  // g = dL/dy ⊙ f′;  db (+)= Σ g
  // dW (+)= x ⋆ g (unless Skip);  dx = W ⋆ g (if asked): g's columns built once for both
  kernels::conv_transpose2d_backward(geometry_, x, g, batch, weight(),
                                     mode == ParamGrads::Skip ? nullptr : weight_grad(),
                                     mode == ParamGrads::Accumulate, grad_x, scratch_);
}

}  // namespace latentlab
