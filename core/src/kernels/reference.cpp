// Scalar reference kernels: the ground truth the SIMD kernels are tested against.
//
// Plain loops straight from the definitions in kernels.hpp, with no blocking or reordering.
// Every sum (gemm dot products, sum, dot, sum_squares, column_sums) is accumulated in double
// and rounded to float once at the end, so the reference is more accurate than any fp32
// ordering and the tests can bound the SIMD error against it.
#include <cmath>
#include <cstddef>

#include "latentlab/kernels/conv.hpp"
#include "latentlab/kernels/kernels.hpp"

namespace latentlab::kernels::reference {

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      double s = 0.0;
      for (int k = 0; k < K; ++k) {
        const float a = trans_a ? A[static_cast<std::ptrdiff_t>(k) * lda + i]
                                : A[static_cast<std::ptrdiff_t>(i) * lda + k];
        const float b = trans_b ? B[static_cast<std::ptrdiff_t>(j) * ldb + k]
                                : B[static_cast<std::ptrdiff_t>(k) * ldb + j];
        s += static_cast<double>(a) * static_cast<double>(b);
      }
      float& c = C[static_cast<std::ptrdiff_t>(i) * ldc + j];
      // As in BLAS: alpha == 0 drops the product term; beta == 0 does not read C.
      double result = (alpha == 0.0f) ? 0.0 : static_cast<double>(alpha) * s;
      if (beta != 0.0f) result += static_cast<double>(beta) * static_cast<double>(c);
      c = static_cast<float>(result);
    }
  }
}

void scale(float* x, std::size_t n, float a) {
  for (std::size_t i = 0; i < n; ++i) x[i] = x[i] * a;
}

void axpy(float* y, const float* x, std::size_t n, float a) {
  for (std::size_t i = 0; i < n; ++i) y[i] = y[i] + a * x[i];
}

void add_row_bias(float* X, const float* bias, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < cols; ++j) X[static_cast<std::ptrdiff_t>(r) * cols + j] += bias[j];
  }
}

float sum(const float* x, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += x[i];
  return static_cast<float>(s);
}

float dot(const float* x, const float* y, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * static_cast<double>(y[i]);
  return static_cast<float>(s);
}

float sum_squares(const float* x, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  return static_cast<float>(s);
}

void column_sums(const float* X, int rows, int cols, float* out, bool accumulate) {
  for (int j = 0; j < cols; ++j) {
    double s = accumulate ? static_cast<double>(out[j]) : 0.0;
    for (int r = 0; r < rows; ++r) s += X[static_cast<std::ptrdiff_t>(r) * cols + j];
    out[j] = static_cast<float>(s);
  }
}

bool all_finite(const float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return false;
  }
  return true;
}

// ---- convolution (conv.hpp) ----

namespace {
// x[n, c, h, w] of an NCHW batch, or 0 in the padding.
double at(const float* x, int n, int c, int h, int w, int channels, int height, int width) {
  if (h < 0 || h >= height || w < 0 || w >= width) return 0.0;
  return x[((static_cast<std::ptrdiff_t>(n) * channels + c) * height + h) * width + w];
}
}  // namespace

void conv2d_forward(const ConvShape& g, const float* x, int batch, const float* w, float* y) {
  const int k = g.kernel;
  for (int n = 0; n < batch; ++n)
    for (int co = 0; co < g.out_channels; ++co)
      for (int oh = 0; oh < g.out_height; ++oh)
        for (int ow = 0; ow < g.out_width; ++ow) {
          double s = 0.0;
          for (int ci = 0; ci < g.in_channels; ++ci)
            for (int kh = 0; kh < k; ++kh)
              for (int kw = 0; kw < k; ++kw)
                s += static_cast<double>(w[((static_cast<std::ptrdiff_t>(co) * g.in_channels + ci) * k + kh) * k + kw]) *
                     at(x, n, ci, oh * g.stride - g.padding + kh, ow * g.stride - g.padding + kw, g.in_channels,
                        g.in_height, g.in_width);
          y[((static_cast<std::ptrdiff_t>(n) * g.out_channels + co) * g.out_height + oh) * g.out_width + ow] =
              static_cast<float>(s);
        }
}

void conv2d_backward_input(const ConvShape& g, const float* dy, int batch, const float* w, float* dx) {
  const int k = g.kernel, s = g.stride;
  for (int n = 0; n < batch; ++n)
    for (int ci = 0; ci < g.in_channels; ++ci)
      for (int ih = 0; ih < g.in_height; ++ih)
        for (int iw = 0; iw < g.in_width; ++iw) {
          double sum = 0.0;
          for (int co = 0; co < g.out_channels; ++co)
            for (int kh = 0; kh < k; ++kh)
              for (int kw = 0; kw < k; ++kw) {
                // ih = oh·s − p + kh  ⇔  oh = (ih + p − kh)/s when that is a whole number
                const int th = ih + g.padding - kh, tw = iw + g.padding - kw;
                if (th < 0 || tw < 0 || th % s != 0 || tw % s != 0) continue;
                const int oh = th / s, ow = tw / s;
                if (oh >= g.out_height || ow >= g.out_width) continue;
                sum += static_cast<double>(w[((static_cast<std::ptrdiff_t>(co) * g.in_channels + ci) * k + kh) * k + kw]) *
                       at(dy, n, co, oh, ow, g.out_channels, g.out_height, g.out_width);
              }
          dx[((static_cast<std::ptrdiff_t>(n) * g.in_channels + ci) * g.in_height + ih) * g.in_width + iw] =
              static_cast<float>(sum);
        }
}

void conv2d_backward_weight(const ConvShape& g, const float* x, const float* dy, int batch, float* dw, bool accumulate) {
  const int k = g.kernel;
  for (int co = 0; co < g.out_channels; ++co)
    for (int ci = 0; ci < g.in_channels; ++ci)
      for (int kh = 0; kh < k; ++kh)
        for (int kw = 0; kw < k; ++kw) {
          float& out = dw[((static_cast<std::ptrdiff_t>(co) * g.in_channels + ci) * k + kh) * k + kw];
          double s = accumulate ? static_cast<double>(out) : 0.0;
          for (int n = 0; n < batch; ++n)
            for (int oh = 0; oh < g.out_height; ++oh)
              for (int ow = 0; ow < g.out_width; ++ow)
                s += at(dy, n, co, oh, ow, g.out_channels, g.out_height, g.out_width) *
                     at(x, n, ci, oh * g.stride - g.padding + kh, ow * g.stride - g.padding + kw, g.in_channels,
                        g.in_height, g.in_width);
          out = static_cast<float>(s);
        }
}

void channel_sums(const float* g, int batch, int channels, int plane, float* out, bool accumulate) {
  for (int c = 0; c < channels; ++c) {
    double s = accumulate ? static_cast<double>(out[c]) : 0.0;
    for (int n = 0; n < batch; ++n)
      for (int p = 0; p < plane; ++p) s += g[(static_cast<std::ptrdiff_t>(n) * channels + c) * plane + p];
    out[c] = static_cast<float>(s);
  }
}

}  // namespace latentlab::kernels::reference
