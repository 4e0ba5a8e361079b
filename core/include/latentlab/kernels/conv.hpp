// 2-D convolution kernels (cross-correlation, as PyTorch), NCHW, square kernels.
//
// One geometry describes a convolution x (batch × Ci × H × W) → y (batch × Co × Ho × Wo) with a
// k×k kernel, stride s and zero padding p, Ho = (H + 2p − k)/s + 1 (likewise Wo), and weights
// w[co][ci][kh][kw] (PyTorch's Conv2d layout):
//   forward         y[n,co,oh,ow]  = Σ_{ci,kh,kw} w[co,ci,kh,kw] · x[n,ci, oh·s−p+kh, ow·s−p+kw]
//   backward_input  dx[n,ci,ih,iw] = Σ_{co,kh,kw : ih = oh·s−p+kh, iw = ow·s−p+kw} w[co,ci,kh,kw] · dy[n,co,oh,ow]
//   backward_weight dw[co,ci,kh,kw] (+)= Σ_{n,oh,ow} dy[n,co,oh,ow] · x[n,ci, oh·s−p+kh, ow·s−p+kw]
// (taps that fall in the padding read zero). A transposed convolution ConvTranspose2d(A → B) is
// the backward_input of the convolution B → A with the same k, s, p, and its weight layout
// [A, B, k, k] is exactly that convolution's [co, ci, k, k]: the conv layers share these three.
// The bias and activation are applied by the layers (conv2d_base.cpp; channel_sums below).
#pragma once

#include <vector>

namespace latentlab::kernels {

struct ConvShape {
  int in_channels, in_height, in_width;
  int out_channels, out_height, out_width;
  int kernel, stride, padding;
  // Fills out_height/out_width from the input size, kernel, stride and padding.
  static ConvShape make(int in_channels, int in_height, int in_width, int out_channels, int kernel, int stride,
                        int padding);
  // Every size positive (padding ≥ 0) and at least one output pixel.
  bool valid() const;
  int in_plane() const { return in_height * in_width; }
  int out_plane() const { return out_height * out_width; }
  int in_size() const { return in_channels * in_plane(); }
  int out_size() const { return out_channels * out_plane(); }
  int weight_size() const { return out_channels * in_channels * kernel * kernel; }
  // 2·batch·Co·Ho·Wo·Ci·k·k: the multiply-adds of any one of the three products, as flops.
  double flops(int batch) const;
};

// Working memory of the fast kernels (the lowered image columns, a channel-major copy of a chunk
// of images, the weights packed for the GEMM, the tap offsets); owned by the caller (one per
// layer), it only grows.
struct ConvScratch {
  std::vector<float> columns, images, weights;
  std::vector<int> taps;
};

// The fast kernels: the products are lowered onto kernels::gemm (conv.cpp describes how), and
// give the same bits for any thread count.
// y (batch × out_size) = conv(x); y is written without being read.
void conv2d_forward(const ConvShape& g, const float* x, int batch, const float* w, float* y, ConvScratch& scratch);
// dx (batch × in_size) = convᵀ(dy); dx is written without being read.
void conv2d_backward_input(const ConvShape& g, const float* dy, int batch, const float* w, float* dx,
                           ConvScratch& scratch);
// dw (weight_size) = (accumulate ? dw : 0) + Σ over the batch.
void conv2d_backward_weight(const ConvShape& g, const float* x, const float* dy, int batch, float* dw, bool accumulate,
                            ConvScratch& scratch);

// Both gradients of a layer in one sweep over the chunks of images, each with the same bits as
// the separate calls (same chunks, same products in the same order); a null dw or dx skips it.
// Conv2d: dw (+)= conv2d_backward_weight(x, dy), dx = conv2d_backward_input(dy): dY is
// regrouped once per chunk for both products instead of once for each.
void conv2d_backward(const ConvShape& g, const float* x, const float* dy, int batch, const float* w, float* dw,
                     bool accumulate, float* dx, ConvScratch& scratch);
// ConvTranspose2d (the layer is the input gradient of the conv `g`; its input t is g's output
// side, its output gradient u g's input side): dw (+)= conv2d_backward_weight(u, t),
// dt = conv2d_forward(u): u's columns (im2col) are built once per chunk for both products.
void conv_transpose2d_backward(const ConvShape& g, const float* t, const float* u, int batch, const float* w,
                               float* dw, bool accumulate, float* dt, ConvScratch& scratch);

// out[c] (+)= Σ_{n,p} g[n,c,p]: the bias gradient of a conv layer.
void channel_sums(const float* g, int batch, int channels, int plane, float* out, bool accumulate);

// Scalar loops straight from the definitions above, accumulated in double: the ground truth the
// fast kernels are tested against (implemented in reference.cpp beside the other references).
namespace reference {
void conv2d_forward(const ConvShape& g, const float* x, int batch, const float* w, float* y);
void conv2d_backward_input(const ConvShape& g, const float* dy, int batch, const float* w, float* dx);
void conv2d_backward_weight(const ConvShape& g, const float* x, const float* dy, int batch, float* dw, bool accumulate);
void channel_sums(const float* g, int batch, int channels, int plane, float* out, bool accumulate);
}  // namespace reference

}  // namespace latentlab::kernels
