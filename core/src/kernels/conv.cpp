// Convolution kernels (definitions in conv.hpp).
#include "latentlab/kernels/conv.hpp"

#include <cstddef>

namespace latentlab::kernels {

ConvShape ConvShape::make(int in_channels, int in_height, int in_width, int out_channels, int kernel, int stride,
                          int padding) {
  ConvShape g{in_channels, in_height, in_width, out_channels, 0, 0, kernel, stride, padding};
  if (stride <= 0) return g;  // invalid: no output pixel (valid() is false)
  g.out_height = (in_height + 2 * padding - kernel) / stride + 1;
  g.out_width = (in_width + 2 * padding - kernel) / stride + 1;
  return g;
}

bool ConvShape::valid() const {
  return in_channels > 0 && in_height > 0 && in_width > 0 && out_channels > 0 && kernel > 0 && stride > 0 &&
         padding >= 0 && in_height + 2 * padding >= kernel && in_width + 2 * padding >= kernel && out_height > 0 &&
         out_width > 0;
}

double ConvShape::flops(int batch) const {
  return 2.0 * batch * out_channels * out_plane() * in_channels * kernel * kernel;
}

// First version: the scalar references (correct, slow); the GEMM lowering replaces them.
void conv2d_forward(const ConvShape& g, const float* x, int batch, const float* w, float* y) {
  reference::conv2d_forward(g, x, batch, w, y);
}

void conv2d_backward_input(const ConvShape& g, const float* dy, int batch, const float* w, float* dx) {
  reference::conv2d_backward_input(g, dy, batch, w, dx);
}

void conv2d_backward_weight(const ConvShape& g, const float* x, const float* dy, int batch, float* dw, bool accumulate) {
  reference::conv2d_backward_weight(g, x, dy, batch, dw, accumulate);
}

void add_channel_bias(float* y, const float* bias, int batch, int channels, int plane) {
  for (int n = 0; n < batch; ++n)
    for (int c = 0; c < channels; ++c) {
      float* row = y + (static_cast<std::ptrdiff_t>(n) * channels + c) * plane;
      const float b = bias[c];
      for (int p = 0; p < plane; ++p) row[p] += b;
    }
}

void channel_sums(const float* g, int batch, int channels, int plane, float* out, bool accumulate) {
  reference::channel_sums(g, batch, channels, plane, out, accumulate);
}

}  // namespace latentlab::kernels
