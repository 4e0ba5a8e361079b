// Convolution kernels (definitions in conv.hpp), lowered onto kernels::gemm through columns
// (im2col / col2im). With K = Ci·k·k and P = Ho·Wo, for a chunk of nb images:
//   columns  X̃ (K × nb·P),  X̃[(ci·k + kh)·k + kw][n·P + oh·Wo + ow] = x[n,ci, oh·s−p+kh, ow·s−p+kw] (0 in the padding)
//   forward          Y (Co × nb·P) = W (Co × K) · X̃              then Y → y[n,co,·] (nb = 1: Y is y[n])
//   backward_input   X̃' (K × nb·P) = Wᵀ · dY,                     then col2im: dx[n,ci,ih,iw] = Σ of the
//                    X̃' entries that read x[n,ci,ih,iw], in row order (kh, kw)
//   backward_weight  dW (Co × K) (+)= dY (Co × nb·P) · X̃ᵀ,        chunk after chunk
// so the big GEMM dimension is the pixels of several images (N = nb·P), not the channels.
// A layer's backward needs two of these per chunk: conv2d_backward (dW and dX of a Conv2d) reads
// one regrouped dY for both, conv_transpose2d_backward (dW and dX of a ConvTranspose2d) one X̃ of
// the gradient for both, instead of building it once per product.
// Chunks: nb images such that nb·P ≥ kTargetColumns (a wide N for the GEMM's register tile)
// while the columns stay under kMaxColumnFloats (in L2/L3 while the GEMM sweeps them, instead
// of a whole batch's columns: 12.8 MB for DCGAN's 64→128 conv at batch 64). nb depends on the
// shape and batch only.
// Threads: the GEMMs split themselves (same bits for any thread count); im2col, col2im and the
// chunk copies split over disjoint (image, channel) planes, each written by one sequence of
// operations whatever the split. dW sums its chunks in chunk order. So every result is the
// same for any thread count.
#include "latentlab/kernels/conv.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "detail/gemm_internal.hpp"
#include "latentlab/kernels/kernels.hpp"
#include "latentlab/kernels/parallel.hpp"

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

namespace {

constexpr int kTargetColumns = 512;
constexpr std::size_t kMaxColumnFloats = std::size_t{1} << 19;  // 2 MiB

int images_per_chunk(const ConvShape& g, int batch) {
  const std::size_t rows = static_cast<std::size_t>(g.in_channels) * g.kernel * g.kernel;
  const int P = g.out_plane();
  int nb = (kTargetColumns + P - 1) / P;
  const std::size_t fit = kMaxColumnFloats / (rows * P);
  nb = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(nb), std::max<std::size_t>(1, fit)));
  return std::max(1, std::min(nb, batch));
}

float* grow(std::vector<float>& buffer, std::size_t n) {
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

// body(begin, end) over `planes` (image, channel) planes, split across threads in whole planes.
template <class Body>
void for_planes(std::size_t planes, std::size_t work_per_plane, Body&& body) {
  const int parts = static_cast<int>(std::min<std::size_t>(
      planes, static_cast<std::size_t>(parallel::parts_for(planes * work_per_plane,
                                                           parallel::min_elements_per_part(parallel::Cost::Cheap)))));
  parallel::for_ranges(planes, parts, 1, body);
}

// The padded plane: (H + 2p) × (W + 2p), the image at (p, p), zeros around it. Reading taps
// from it needs no bounds tests.
int padded_width(const ConvShape& g) { return g.in_width + 2 * g.padding; }
int padded_plane(const ConvShape& g) { return (g.in_height + 2 * g.padding) * padded_width(g); }

// taps[(kh·k + kw)·P + oh·Wo + ow] = the padded-plane offset that output pixel (oh, ow) reads
// through tap (kh, kw): (oh·s + kh)·(W + 2p) + ow·s + kw.
const int* tap_offsets(const ConvShape& g, std::vector<int>& taps) {
  const int k = g.kernel, P = g.out_plane(), pw = padded_width(g);
  taps.resize(static_cast<std::size_t>(k) * k * P);
  for (int kh = 0; kh < k; ++kh)
    for (int kw = 0; kw < k; ++kw)
      for (int oh = 0; oh < g.out_height; ++oh)
        for (int ow = 0; ow < g.out_width; ++ow)
          taps[static_cast<std::size_t>(kh * k + kw) * P + oh * g.out_width + ow] =
              (oh * g.stride + kh) * pw + ow * g.stride + kw;
  return taps.data();
}

// dst[p] = src[index[p]] and dst[index[p]] += src[p] for p < n, the inner loops of im2col and
// col2im, as functions of their own with restrict pointers: inlined into the loops over planes and
// taps, the compiler kept reloading the plane pointer and the bound from the stack on every element
// (the stores might alias them) and ran ≈ 3 times slower.
void gather(float* __restrict dst, const float* __restrict src, const int* __restrict index, int n) {
  for (int p = 0; p < n; ++p) dst[p] = src[index[p]];
}
void scatter_add(float* __restrict dst, const float* __restrict src, const int* __restrict index, int n) {
  for (int p = 0; p < n; ++p) dst[index[p]] += src[p];  // the indices of one tap are distinct
}

// columns (K × ld) ← im2col of images x[0 … nb) (each in_size floats), at column n·P: each
// (image, channel) plane is copied into a zero-padded plane, then every row of its k² rows is a
// gather through the tap offsets.
void im2col(const ConvShape& g, const float* x, int nb, float* columns, int ld, const int* taps) {
  const int k = g.kernel, P = g.out_plane(), pw = padded_width(g), pad = g.padding;
  const std::size_t planes = static_cast<std::size_t>(nb) * g.in_channels;
  for_planes(planes, static_cast<std::size_t>(k) * k * P, [&](std::size_t begin, std::size_t end) {
    std::vector<float> padded_plane_buffer(static_cast<std::size_t>(padded_plane(g)), 0.0f);  // borders stay 0
    float* padded = padded_plane_buffer.data();
    for (std::size_t u = begin; u < end; ++u) {
      const int n = static_cast<int>(u / g.in_channels), ci = static_cast<int>(u % g.in_channels);
      const float* plane = x + static_cast<std::ptrdiff_t>(u) * g.in_plane();
      for (int ih = 0; ih < g.in_height; ++ih)
        std::memcpy(padded + (ih + pad) * pw + pad, plane + ih * g.in_width, sizeof(float) * g.in_width);
      for (int r = 0; r < k * k; ++r) {
        const int* tap = taps + static_cast<std::ptrdiff_t>(r) * P;
        float* dst = columns + static_cast<std::ptrdiff_t>(ci * k * k + r) * ld + static_cast<std::ptrdiff_t>(n) * P;
        gather(dst, padded, tap, P);
      }
    }
  });
}

// dx[0 … nb) (each in_size floats) ← col2im of columns (K × ld): every input pixel is the sum of
// the column entries that read it, added in row order (kh, kw) into a zeroed padded plane whose
// interior is then the result.
void col2im(const ConvShape& g, const float* columns, int ld, int nb, float* dx, const int* taps) {
  const int k = g.kernel, P = g.out_plane(), pw = padded_width(g), pad = g.padding;
  const std::size_t planes = static_cast<std::size_t>(nb) * g.in_channels;
  for_planes(planes, static_cast<std::size_t>(k) * k * P, [&](std::size_t begin, std::size_t end) {
    std::vector<float> padded_plane_buffer(static_cast<std::size_t>(padded_plane(g)));
    float* padded = padded_plane_buffer.data();
    const std::size_t padded_floats = padded_plane_buffer.size();
    for (std::size_t u = begin; u < end; ++u) {
      const int n = static_cast<int>(u / g.in_channels), ci = static_cast<int>(u % g.in_channels);
      std::fill(padded, padded + padded_floats, 0.0f);
      for (int r = 0; r < k * k; ++r) {
        const int* tap = taps + static_cast<std::ptrdiff_t>(r) * P;
        const float* src = columns + static_cast<std::ptrdiff_t>(ci * k * k + r) * ld + static_cast<std::ptrdiff_t>(n) * P;
        scatter_add(padded, src, tap, P);
      }
      float* plane = dx + static_cast<std::ptrdiff_t>(u) * g.in_plane();
      for (int ih = 0; ih < g.in_height; ++ih)
        std::memcpy(plane + ih * g.in_width, padded + (ih + pad) * pw + pad, sizeof(float) * g.in_width);
    }
  });
}

// Channel-major copy of nb images: to[c][n·plane + p] = from[n][c][p] (to_images = false) or back.
void regroup(const float* from, float* to, int nb, int channels, int plane, bool to_images) {
  const std::size_t bytes = sizeof(float) * static_cast<std::size_t>(plane);
  for_planes(static_cast<std::size_t>(nb) * channels, static_cast<std::size_t>(plane), [&](std::size_t begin, std::size_t end) {
    for (std::size_t u = begin; u < end; ++u) {
      const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(u / channels), c = static_cast<std::ptrdiff_t>(u % channels);
      const std::ptrdiff_t image = static_cast<std::ptrdiff_t>(u) * plane, grouped = (c * nb + n) * plane;
      if (to_images) {
        std::memcpy(to + image, from + grouped, bytes);
      } else {
        std::memcpy(to + grouped, from + image, bytes);
      }
    }
  });
}

// A chunk of nb output-shaped images (dY) as the channel-major Co × nb·P matrix the GEMMs read:
// the images themselves when nb = 1, else a regrouped copy in scratch.images.
const float* grouped_outputs(const ConvShape& g, const float* images, int nb, ConvScratch& scratch) {
  if (nb == 1) return images;
  float* grouped = grow(scratch.images, static_cast<std::size_t>(g.out_size()) * nb);
  regroup(images, grouped, nb, g.out_channels, g.out_plane(), false);
  return grouped;
}

// The products with the weights as the left operand (forward: W, backward_input: Wᵀ) are the
// same op(A) for every chunk, so op(A) is packed once per call (scratch.weights) instead of
// once per chunk; a chunk whose shape kernels::gemm sends down another path (a last, narrower
// chunk) calls gemm itself. Same bits either way (gemm_internal.hpp).
struct WeightOperand {
  bool trans;
  int M, K;
  const float* w;
  int ldw;
  const float* packed = nullptr;  // set on the first chunk that takes the packed path

  void multiply(int N, const float* B, int ldb, float* C, int ldc, ConvScratch& scratch) {
#if defined(__wasm__)
    // The page module packs per chunk (kernels::gemm): the prepacked path is native-only, it
    // grew latentlab_core.wasm by 1.7 KB gzipped (docs/benchmarks.md, "Whole-step profile and fixes").
    (void)scratch;
    gemm(trans, false, M, N, K, 1.0f, w, ldw, B, ldb, 0.0f, C, ldc);
#else
    if (!detail::gemm_takes_packed_path(trans, false, M, N, K)) {
      gemm(trans, false, M, N, K, 1.0f, w, ldw, B, ldb, 0.0f, C, ldc);
      return;
    }
    if (packed == nullptr) {
      float* buffer = grow(scratch.weights, detail::packed_a_floats(M, K));
      detail::pack_a_whole(trans, M, K, w, ldw, buffer);
      packed = buffer;
    }
    detail::gemm_packed_prepacked_a(M, N, K, 1.0f, packed, false, B, ldb, 0.0f, C, ldc);
#endif
  }
};

// out (nb output-shaped images) = weights · columns (its K × nb·P columns): the GEMM writes the
// channel-major Co × nb·P matrix, which is the image itself when nb = 1, else a copy in
// scratch.images regrouped into images.
void multiply_into_images(const ConvShape& g, WeightOperand& weights, const float* columns, int nb, float* out,
                          ConvScratch& scratch) {
  const int P = g.out_plane(), cols = nb * P;
  float* grouped = nb == 1 ? out : grow(scratch.images, static_cast<std::size_t>(g.out_channels) * cols);
  weights.multiply(cols, columns, cols, grouped, cols, scratch);
  if (nb > 1) regroup(grouped, out, nb, g.out_channels, P, true);
}

}  // namespace

void conv2d_forward(const ConvShape& g, const float* x, int batch, const float* w, float* y, ConvScratch& scratch) {
  const int K = g.in_channels * g.kernel * g.kernel, P = g.out_plane(), chunk = images_per_chunk(g, batch);
  const int* taps = tap_offsets(g, scratch.taps);
  WeightOperand weights{false, g.out_channels, K, w, K};
  for (int n0 = 0; n0 < batch; n0 += chunk) {
    const int nb = std::min(chunk, batch - n0), cols = nb * P;
    float* columns = grow(scratch.columns, static_cast<std::size_t>(K) * cols);
    im2col(g, x + static_cast<std::ptrdiff_t>(n0) * g.in_size(), nb, columns, cols, taps);
    multiply_into_images(g, weights, columns, nb, y + static_cast<std::ptrdiff_t>(n0) * g.out_size(), scratch);  // Y = W·X̃
  }
}

// The two gradients alone: conv2d_backward with the other one null (the same operations, so the
// same bits as the fused call).
void conv2d_backward_input(const ConvShape& g, const float* dy, int batch, const float* w, float* dx,
                           ConvScratch& scratch) {
  conv2d_backward(g, nullptr, dy, batch, w, nullptr, false, dx, scratch);
}

void conv2d_backward_weight(const ConvShape& g, const float* x, const float* dy, int batch, float* dw, bool accumulate,
                            ConvScratch& scratch) {
  conv2d_backward(g, x, dy, batch, nullptr, dw, accumulate, nullptr, scratch);
}

void conv2d_backward(const ConvShape& g, const float* x, const float* dy, int batch, const float* w, float* dw,
                     bool accumulate, float* dx, ConvScratch& scratch) {
  const int K = g.in_channels * g.kernel * g.kernel, P = g.out_plane(), chunk = images_per_chunk(g, batch);
  const int* taps = tap_offsets(g, scratch.taps);
  WeightOperand weights_t{true, K, g.out_channels, w, K};
  for (int n0 = 0; n0 < batch; n0 += chunk) {
    const int nb = std::min(chunk, batch - n0), cols = nb * P;
    const float* grouped = grouped_outputs(g, dy + static_cast<std::ptrdiff_t>(n0) * g.out_size(), nb, scratch);
    float* columns = grow(scratch.columns, static_cast<std::size_t>(K) * cols);
    if (dw != nullptr) {
      im2col(g, x + static_cast<std::ptrdiff_t>(n0) * g.in_size(), nb, columns, cols, taps);
      const float beta = (n0 == 0 && !accumulate) ? 0.0f : 1.0f;
      gemm(false, true, g.out_channels, K, cols, 1.0f, grouped, cols, columns, cols, beta, dw, K);  // dW (+)= dY·X̃ᵀ
    }
    if (dx != nullptr) {
      weights_t.multiply(cols, grouped, cols, columns, cols, scratch);  // X̃' = Wᵀ·dY
      col2im(g, columns, cols, nb, dx + static_cast<std::ptrdiff_t>(n0) * g.in_size(), taps);
    }
  }
}

void conv_transpose2d_backward(const ConvShape& g, const float* t, const float* u, int batch, const float* w,
                               float* dw, bool accumulate, float* dt, ConvScratch& scratch) {
  const int K = g.in_channels * g.kernel * g.kernel, P = g.out_plane(), chunk = images_per_chunk(g, batch);
  const int* taps = tap_offsets(g, scratch.taps);
  WeightOperand weights{false, g.out_channels, K, w, K};
  for (int n0 = 0; n0 < batch; n0 += chunk) {
    const int nb = std::min(chunk, batch - n0), cols = nb * P;
    float* columns = grow(scratch.columns, static_cast<std::size_t>(K) * cols);
    im2col(g, u + static_cast<std::ptrdiff_t>(n0) * g.in_size(), nb, columns, cols, taps);  // Ũ
    if (dw != nullptr) {
      const float* grouped = grouped_outputs(g, t + static_cast<std::ptrdiff_t>(n0) * g.out_size(), nb, scratch);
      const float beta = (n0 == 0 && !accumulate) ? 0.0f : 1.0f;
      gemm(false, true, g.out_channels, K, cols, 1.0f, grouped, cols, columns, cols, beta, dw, K);  // dW (+)= T·Ũᵀ
    }
    if (dt != nullptr)
      multiply_into_images(g, weights, columns, nb, dt + static_cast<std::ptrdiff_t>(n0) * g.out_size(), scratch);  // dT = W·Ũ
  }
}

void channel_sums(const float* g, int batch, int channels, int plane, float* out, bool accumulate) {
  // Per channel: each image's plane summed in 8 interleaved float partial sums (lane j takes
  // pixels j, j+8, …; the compiler keeps them in one vector), the partial sums and the images
  // then added in order in double. Threads split over whole channels: same bits for any split.
  constexpr int L = 8;
  parallel::for_rows(static_cast<std::size_t>(channels), static_cast<std::size_t>(batch) * plane,
                     parallel::Cost::Cheap, [&](std::size_t c0, std::size_t c1) {
                       for (std::size_t c = c0; c < c1; ++c) {
                         double s = accumulate ? static_cast<double>(out[c]) : 0.0;
                         for (int n = 0; n < batch; ++n) {
                           const float* row =
                               g + (static_cast<std::ptrdiff_t>(n) * channels + static_cast<std::ptrdiff_t>(c)) * plane;
                           float lanes[L] = {};
                           int p = 0;
                           for (; p + L <= plane; p += L)
                             for (int j = 0; j < L; ++j) lanes[j] += row[p + j];
                           for (int j = 0; p < plane; ++p, ++j) lanes[j] += row[p];
                           for (int j = 0; j < L; ++j) s += lanes[j];
                         }
                         out[c] = static_cast<float>(s);
                       }
                     });
}

}  // namespace latentlab::kernels
