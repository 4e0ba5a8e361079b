// Convolution kernels (kernels/conv.hpp) against the scalar references, on many shapes: kernel
// 1–5, stride 1–3, padding 0–2, odd and non-square sizes, batch 1 and > 1, channel counts that
// are not multiples of any SIMD width, and the DCGAN / conv-VAE layers; and the same bits for 1,
// 2 and 3 threads.
//
// Tolerance. The fast kernels sum in fp32 (GEMM order, then col2im's adds, then dW's chunks) while
// the reference sums in double and rounds once; as in test_kernels.cpp, for n summed products
//     |fast − exact| ≤ γ_n · Σ |a·b|,   γ_n ≈ n·u,  u = 2⁻²⁴.
// Σ|a·b| per output element is the reference run on |x|, |w|, |dy|; n is the number of terms of
// the longest sum (Ci·k·k forward, Co·k·k + k² input gradient, batch·Ho·Wo + chunks weight
// gradient). We allow 2·(n + 8)·u·Σ|a·b|. An indexing or padding bug errs by the order of the
// values and fails; outputs start as NaN, so an element not written fails too.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "latentlab/kernels/conv.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::kernels;
using latentlab::test::Lcg;
using latentlab::test::ScopedThreads;

namespace {

constexpr double kUnitRoundoff = 1.0 / (1 << 24);
const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string describe(const ConvShape& g, int batch) {
  std::ostringstream s;
  s << g.in_channels << "x" << g.in_height << "x" << g.in_width << " -> " << g.out_channels << "x" << g.out_height << "x"
    << g.out_width << " k" << g.kernel << " s" << g.stride << " p" << g.padding << " batch " << batch;
  return s.str();
}

std::vector<float> values(std::size_t n, std::uint32_t seed) {
  Lcg rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.next();
  return v;
}

std::vector<float> absolute(std::vector<float> v) {
  for (auto& x : v) x = std::fabs(x);
  return v;
}

// Every element within 2·(terms + 8)·u·magnitude of the reference.
void check_close(const std::vector<float>& fast, const std::vector<float>& expected, const std::vector<float>& magnitude,
                 double terms, const char* what) {
  REQUIRE(fast.size() == expected.size());
  const double gamma = 2.0 * (terms + 8.0) * kUnitRoundoff;
  long bad = 0;
  std::string first;
  for (std::size_t i = 0; i < fast.size(); ++i) {
    const double err = std::fabs(static_cast<double>(fast[i]) - expected[i]);
    if (!(err <= gamma * magnitude[i] + 1e-30)) {
      if (bad++ == 0) {
        std::ostringstream s;
        s << what << "[" << i << "]: " << fast[i] << " vs reference " << expected[i] << " (allowed " << gamma * magnitude[i]
          << ")";
        first = s.str();
      }
    }
  }
  INFO(first);
  CHECK(bad == 0);
}

// Random operands of one shape and batch: x, w, dy and a dW to accumulate onto, from seeds
// seed … seed + 3.
struct Operands {
  std::vector<float> x, w, dy, dw0;
};

Operands operands(const ConvShape& g, int batch, std::uint32_t seed) {
  Operands o;
  o.x = values(static_cast<std::size_t>(batch) * g.in_size(), seed);
  o.w = values(static_cast<std::size_t>(g.weight_size()), seed + 1);
  o.dy = values(static_cast<std::size_t>(batch) * g.out_size(), seed + 2);
  o.dw0 = values(o.w.size(), seed + 3);
  return o;
}

struct Outputs {
  std::vector<float> y, dx, dw, dw_acc;
};

Outputs run_fast(const ConvShape& g, int batch, const std::vector<float>& x, const std::vector<float>& w,
                 const std::vector<float>& dy, const std::vector<float>& dw0) {
  Outputs o;
  ConvScratch scratch;
  o.y.assign(static_cast<std::size_t>(batch) * g.out_size(), kNaN);
  o.dx.assign(x.size(), kNaN);
  o.dw.assign(w.size(), kNaN);
  o.dw_acc = dw0;
  conv2d_forward(g, x.data(), batch, w.data(), o.y.data(), scratch);
  conv2d_backward_input(g, dy.data(), batch, w.data(), o.dx.data(), scratch);
  conv2d_backward_weight(g, x.data(), dy.data(), batch, o.dw.data(), false, scratch);
  conv2d_backward_weight(g, x.data(), dy.data(), batch, o.dw_acc.data(), true, scratch);
  return o;
}

void check_shape(const ConvShape& g, int batch, std::uint32_t seed) {
  INFO(describe(g, batch));
  REQUIRE(g.valid());
  const auto [x, w, dy, dw0] = operands(g, batch, seed);
  const Outputs fast = run_fast(g, batch, x, w, dy, dw0);

  std::vector<float> y(fast.y.size()), dx(x.size()), dw(w.size()), dw_acc = dw0;
  reference::conv2d_forward(g, x.data(), batch, w.data(), y.data());
  reference::conv2d_backward_input(g, dy.data(), batch, w.data(), dx.data());
  reference::conv2d_backward_weight(g, x.data(), dy.data(), batch, dw.data(), false);
  reference::conv2d_backward_weight(g, x.data(), dy.data(), batch, dw_acc.data(), true);
  const std::vector<float> ax = absolute(x), aw = absolute(w), ady = absolute(dy);
  std::vector<float> my(y.size()), mdx(dx.size()), mdw(dw.size()), mdw_acc = absolute(dw0);
  reference::conv2d_forward(g, ax.data(), batch, aw.data(), my.data());
  reference::conv2d_backward_input(g, ady.data(), batch, aw.data(), mdx.data());
  reference::conv2d_backward_weight(g, ax.data(), ady.data(), batch, mdw.data(), false);
  reference::conv2d_backward_weight(g, ax.data(), ady.data(), batch, mdw_acc.data(), true);

  const double k2 = static_cast<double>(g.kernel) * g.kernel;
  check_close(fast.y, y, my, g.in_channels * k2, "y");
  check_close(fast.dx, dx, mdx, g.out_channels * k2 + k2, "dx");
  check_close(fast.dw, dw, mdw, static_cast<double>(batch) * g.out_plane() + batch, "dw");
  check_close(fast.dw_acc, dw_acc, mdw_acc, static_cast<double>(batch) * g.out_plane() + batch + 1, "dw (accumulate)");
}

}  // namespace

TEST_CASE("conv kernels match the scalar reference on many shapes", "[conv][kernels]") {
  std::uint32_t seed = 100;
  for (int k = 1; k <= 5; ++k)
    for (int s = 1; s <= 3; ++s)
      for (int p = 0; p <= 2; ++p) {
        if (p >= k) continue;  // a tap that only ever reads padding is legal but not a useful layer
        const int batch = (k + s + p) % 2 == 0 ? 1 : 3;
        const ConvShape g = ConvShape::make(3, 9, 7, 5, k, s, p);
        check_shape(g, batch, seed);
        seed += 10;
      }
  // Wider channels (not multiples of 4, 8 or 16), non-square, and chunks of several images.
  check_shape(ConvShape::make(17, 6, 11, 19, 3, 2, 1), 5, seed += 10);
  check_shape(ConvShape::make(5, 13, 13, 33, 4, 2, 1), 7, seed += 10);
  check_shape(ConvShape::make(2, 1, 1, 3, 1, 1, 0), 4, seed += 10);  // 1×1 images
  check_shape(ConvShape::make(3, 2, 2, 2, 3, 1, 2), 2, seed += 10);  // output larger than input
}

TEST_CASE("conv kernels match the reference on the DCGAN and conv-VAE layers", "[conv][kernels]") {
  // (As convolutions; each ConvTranspose2d is the backward_input of one of these.)
  const ConvShape shapes[] = {
      ConvShape::make(1, 28, 28, 64, 4, 2, 1),   // D conv 1 (and G's last ConvT)
      ConvShape::make(64, 14, 14, 128, 4, 2, 1), // D conv 2 (and G's first ConvT)
      ConvShape::make(1, 28, 28, 32, 4, 2, 1),   // conv-VAE encoder 1 (decoder's last ConvT)
      ConvShape::make(32, 14, 14, 64, 4, 2, 1),  // conv-VAE encoder 2 (decoder's first ConvT)
  };
  std::uint32_t seed = 900;
  for (const ConvShape& g : shapes) check_shape(g, 3, seed += 10);
  check_shape(shapes[1], 12, seed += 10);  // several chunks
}

TEST_CASE("conv kernels give the same bits for 1, 2 and 3 threads", "[conv][kernels][parallel]") {
  const struct {
    ConvShape g;
    int batch;
  } cases[] = {
      {ConvShape::make(64, 14, 14, 128, 4, 2, 1), 16},  // DCGAN D conv 2: big GEMMs, chunks of images
      {ConvShape::make(1, 28, 28, 64, 4, 2, 1), 16},    // K = 16: a thin GEMM, wide im2col
      {ConvShape::make(7, 11, 9, 13, 3, 1, 1), 5},
  };
  for (const auto& c : cases) {
    INFO(describe(c.g, c.batch));
    const auto [x, w, dy, dw0] = operands(c.g, c.batch, 1);
    Outputs one;
    {
      ScopedThreads pool(1);
      one = run_fast(c.g, c.batch, x, w, dy, dw0);
    }
    for (int threads : {2, 3}) {
      ScopedThreads pool(threads);
      const Outputs many = run_fast(c.g, c.batch, x, w, dy, dw0);
      INFO(threads << " threads");
      CHECK(many.y == one.y);
      CHECK(many.dx == one.dx);
      CHECK(many.dw == one.dw);
      CHECK(many.dw_acc == one.dw_acc);
    }
  }
  // channel_sums splits over channels: 128 channels of 7×7 at batch 16 (≈ 100k values, 3 parts).
  const std::vector<float> grad = values(16 * 128 * 49, 5);
  std::vector<float> sums_one(128, 0.5f);
  {
    ScopedThreads pool(1);
    channel_sums(grad.data(), 16, 128, 49, sums_one.data(), true);
  }
  for (int threads : {2, 3}) {
    ScopedThreads pool(threads);
    std::vector<float> sums(128, 0.5f);
    channel_sums(grad.data(), 16, 128, 49, sums.data(), true);
    INFO("channel_sums, " << threads << " threads");
    CHECK(sums == sums_one);
  }
}

TEST_CASE("the fused backward passes give the bits of the separate kernels", "[conv][kernels]") {
  // conv2d_backward = conv2d_backward_weight + conv2d_backward_input; conv_transpose2d_backward =
  // conv2d_backward_weight(u, t) + conv2d_forward(u); either gradient alone with a null other.
  const struct {
    ConvShape g;
    int batch;
  } cases[] = {
      {ConvShape::make(64, 14, 14, 128, 4, 2, 1), 24},  // chunks of 11 images, the last narrower
      {ConvShape::make(1, 28, 28, 64, 4, 2, 1), 3},     // one image per chunk (P ≥ 512 columns)
      {ConvShape::make(7, 11, 9, 13, 3, 1, 1), 5},
  };
  for (const auto& c : cases) {
    INFO(describe(c.g, c.batch));
    const auto [x, w, dy, dw0] = operands(c.g, c.batch, 1);
    for (bool accumulate : {false, true}) {
      ConvScratch scratch;
      std::vector<float> dw_apart = dw0, dx_apart(x.size(), kNaN), dy_apart(dy.size(), kNaN);
      std::vector<float> dw_fused = dw0, dx_fused(x.size(), kNaN), dy_fused(dy.size(), kNaN);
      conv2d_backward_weight(c.g, x.data(), dy.data(), c.batch, dw_apart.data(), accumulate, scratch);
      conv2d_backward_input(c.g, dy.data(), c.batch, w.data(), dx_apart.data(), scratch);
      conv2d_backward(c.g, x.data(), dy.data(), c.batch, w.data(), dw_fused.data(), accumulate, dx_fused.data(), scratch);
      CHECK(dw_fused == dw_apart);
      CHECK(dx_fused == dx_apart);
      std::vector<float> dw_only = dw0, dx_only(x.size(), kNaN);
      conv2d_backward(c.g, x.data(), dy.data(), c.batch, w.data(), dw_only.data(), accumulate, nullptr, scratch);
      conv2d_backward(c.g, x.data(), dy.data(), c.batch, w.data(), nullptr, accumulate, dx_only.data(), scratch);
      CHECK(dw_only == dw_apart);
      CHECK(dx_only == dx_apart);

      // The transposed layer: t (output side of g) = dy, u (input side) = x.
      dw_apart = dw0;
      dw_fused = dw0;
      conv2d_backward_weight(c.g, x.data(), dy.data(), c.batch, dw_apart.data(), accumulate, scratch);
      conv2d_forward(c.g, x.data(), c.batch, w.data(), dy_apart.data(), scratch);
      conv_transpose2d_backward(c.g, dy.data(), x.data(), c.batch, w.data(), dw_fused.data(), accumulate,
                                dy_fused.data(), scratch);
      CHECK(dw_fused == dw_apart);
      CHECK(dy_fused == dy_apart);
      std::vector<float> dw_t_only = dw0, dy_only(dy.size(), kNaN);
      conv_transpose2d_backward(c.g, dy.data(), x.data(), c.batch, w.data(), dw_t_only.data(), accumulate, nullptr,
                                scratch);
      conv_transpose2d_backward(c.g, dy.data(), x.data(), c.batch, w.data(), nullptr, accumulate, dy_only.data(),
                                scratch);
      CHECK(dw_t_only == dw_apart);
      CHECK(dy_only == dy_apart);
    }
  }
}

TEST_CASE("channel_sums matches the reference", "[conv][kernels]") {
  for (int plane : {1, 7, 8, 49, 196}) {
    INFO("plane " << plane);
    const int batch = 3, channels = 5;
    const std::vector<float> g = values(static_cast<std::size_t>(batch) * channels * plane, 7);
    const std::vector<float> start = values(channels, 8);
    for (bool accumulate : {false, true}) {
      std::vector<float> fast = start, expected = start;
      channel_sums(g.data(), batch, channels, plane, fast.data(), accumulate);
      reference::channel_sums(g.data(), batch, channels, plane, expected.data(), accumulate);
      for (int c = 0; c < channels; ++c) CHECK(fast[c] == Approx(expected[c]).margin(1e-5));
    }
  }
}
