// Conv2d, ConvTranspose2d, BatchNorm2d: finite-difference gradient checks of every gradient
// (support/gradcheck.hpp) on several shapes (incl. DCGAN's k4 s2 p1, with fused activations),
// a hand-computed example of each convolution, the layers' shapes and their refusal of sizes that
// give no output, BatchNorm2d's running statistics and eval mode, and the same bits for any
// thread count through both conv layers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "latentlab/nn/batchnorm2d.hpp"
#include "latentlab/nn/conv2d.hpp"
#include "latentlab/nn/conv_transpose2d.hpp"
#include "latentlab/nn/parameters.hpp"
#include "latentlab/rng.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;
using latentlab::test::ScopedThreads;

namespace {

struct ConvCase {
  ImageShape input;
  int out_channels, kernel, stride, padding;
  ActivationSpec activation;
  int batch;
};

std::string describe(const ConvCase& k) {
  return std::to_string(k.input.channels) + "x" + std::to_string(k.input.height) + "x" + std::to_string(k.input.width) +
         "->" + std::to_string(k.out_channels) + " k" + std::to_string(k.kernel) + " s" + std::to_string(k.stride) + " p" +
         std::to_string(k.padding) + " " + activation_name(k.activation.kind) + " batch " + std::to_string(k.batch);
}

// L = Σ r ⊙ layer(x): checks dL/dx, dL/dW, dL/db against central differences.
template <class Layer>
void check_layer_gradients(const ConvCase& k, std::uint32_t seed) {
  MtRandom rng(seed);
  ParameterSet params;
  Layer layer(params, "conv", k.input, k.out_channels, k.kernel, k.stride, k.padding, k.activation);
  params.allocate();
  const std::vector<float> w = uniform(rng, params.tensors()[0].size, -0.5f, 0.5f);
  const std::vector<float> b = uniform(rng, params.tensors()[1].size, -0.3f, 0.3f);
  std::copy(w.begin(), w.end(), layer.weight());
  std::copy(b.begin(), b.end(), layer.bias());
  const std::size_t in_n = static_cast<std::size_t>(k.batch) * k.input.size();
  const std::size_t out_n = static_cast<std::size_t>(k.batch) * layer.output_shape().size();
  std::vector<float> x = uniform(rng, in_n, -1.0f, 1.0f);
  const std::vector<float> r = uniform(rng, out_n, -1.0f, 1.0f);
  std::vector<float> y(out_n), last(out_n), grad_x(in_n, 0.0f);

  GradCase c{describe(k)};
  c.objective = [&] {
    layer.forward(x.data(), k.batch, last.data());
    return weighted_sum(r.data(), last.data(), out_n);
  };
  c.analytic = [&] {
    layer.forward(x.data(), k.batch, y.data());
    std::vector<float> grad_y = r;
    params.zero_grads();
    layer.backward(x.data(), y.data(), grad_y.data(), k.batch, grad_x.data());
  };
  if (is_relu_like(k.activation.kind)) {
    // A weight feeds every output pixel of its channel, so ±h crosses a kink far more often
    // than for one Linear weight: a smaller step, and up to a quarter skipped.
    c.kinks = [&](Pattern& p) { relu_kinks(last.data(), out_n, p); };
    c.h = 1e-3f;
    c.max_skipped = 0.25;
  }
  c.tolerance = {1e-3, 2e-3, 1e-3};
  c.wrt("x", x.data(), grad_x.data(), in_n).wrt(params);
  const GradReport report = check_gradients(c);
  CHECK(report.total == static_cast<int>(in_n + params.tensors()[0].size + params.tensors()[1].size));
}

const ActivationSpec kIdentity{Activation::Identity, 0.0f};
const ActivationSpec kRelu{Activation::ReLU, 0.0f};
const ActivationSpec kLeaky{Activation::LeakyReLU, 0.2f};
const ActivationSpec kTanh{Activation::Tanh, 0.0f};
const ActivationSpec kSigmoid{Activation::Sigmoid, 0.0f};

}  // namespace

TEST_CASE("Conv2d forward matches a hand-computed convolution", "[conv]") {
  // One 3×3 image, one 2×2 kernel, stride 1, padding 1: a 4×4 output.
  ParameterSet params;
  Conv2d conv(params, "c", {1, 3, 3}, 1, 2, 1, 1);
  params.allocate();
  REQUIRE(conv.output_shape() == ImageShape{1, 4, 4});
  const float w[4] = {1, 2, 3, 4};
  std::copy(w, w + 4, conv.weight());
  conv.bias()[0] = 0.5f;
  const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  float y[16];
  conv.forward(x, 1, y);
  // y[oh][ow] = b + Σ w[kh][kw] x[oh−1+kh][ow−1+kw]; e.g. y[0][0] = 4·x[0][0], y[1][1] = 1·1 + 2·2 + 3·4 + 4·5.
  // (torch.nn.functional.conv2d gives the same 16 values.)
  const float expected[16] = {4.5f,  11.5f, 18.5f, 9.5f,  18.5f, 37.5f, 47.5f, 21.5f,
                              36.5f, 67.5f, 77.5f, 33.5f, 14.5f, 23.5f, 26.5f, 9.5f};
  for (int i = 0; i < 16; ++i) CHECK(y[i] == expected[i]);
}

TEST_CASE("ConvTranspose2d forward matches a hand-computed transposed convolution", "[conv]") {
  // One 2×2 image, one 2×2 kernel, stride 2, padding 0: each pixel stamps x·w into its own 2×2 block.
  ParameterSet params;
  ConvTranspose2d convt(params, "t", {1, 2, 2}, 1, 2, 2, 0);
  params.allocate();
  REQUIRE(convt.output_shape() == ImageShape{1, 4, 4});
  const float w[4] = {1, 2, 3, 4};
  std::copy(w, w + 4, convt.weight());
  convt.bias()[0] = -1.0f;
  const float x[4] = {1, 10, 100, 1000};
  float y[16];
  convt.forward(x, 1, y);
  // y = b + [[x00·w, x01·w], [x10·w, x11·w]] block by block (as torch.nn.functional.conv_transpose2d).
  const float expected[16] = {0,   1,   9,    19,   2,   3,   29,   39,
                              99,  199, 999,  1999, 299, 399, 2999, 3999};
  for (int i = 0; i < 16; ++i) CHECK(y[i] == expected[i]);
}

TEST_CASE("Conv layers report PyTorch's output shapes and refuse sizes with no output", "[conv]") {
  ParameterSet params;
  Conv2d d1(params, "d1", {1, 28, 28}, 64, 4, 2, 1);
  CHECK(d1.output_shape() == ImageShape{64, 14, 14});
  Conv2d d2(params, "d2", {64, 14, 14}, 128, 4, 2, 1);
  CHECK(d2.output_shape() == ImageShape{128, 7, 7});
  ConvTranspose2d g1(params, "g1", {128, 7, 7}, 64, 4, 2, 1);
  CHECK(g1.output_shape() == ImageShape{64, 14, 14});
  ConvTranspose2d g2(params, "g2", {64, 14, 14}, 1, 4, 2, 1);
  CHECK(g2.output_shape() == ImageShape{1, 28, 28});
  Conv2d odd(params, "odd", {3, 7, 5}, 2, 3, 3, 2);  // (7+4−3)/3+1 = 3, (5+4−3)/3+1 = 3
  CHECK(odd.output_shape() == ImageShape{2, 3, 3});
  CHECK(params.find("d2.weight")->shape == std::vector<int>{128, 64, 4, 4});
  CHECK(params.find("g1.weight")->shape == std::vector<int>{128, 64, 4, 4});  // [in, out, k, k]
  CHECK(params.find("g2.bias")->shape == std::vector<int>{1});

  CHECK_THROWS_AS(Conv2d(params, "a", {1, 3, 3}, 1, 5, 1, 0), std::invalid_argument);
  CHECK_THROWS_AS(Conv2d(params, "b", {1, 3, 3}, 1, 3, 0, 0), std::invalid_argument);
  CHECK_THROWS_AS(Conv2d(params, "c", {0, 3, 3}, 1, 3, 1, 0), std::invalid_argument);
  CHECK_THROWS_AS(ConvTranspose2d(params, "d", {1, 1, 1}, 1, 1, 1, 1), std::invalid_argument);
  CHECK_THROWS_AS(ConvTranspose2d(params, "e", {1, 2, 2}, 0, 3, 1, 0), std::invalid_argument);
  CHECK_THROWS_AS(BatchNorm2d(params, params, "f", ImageShape{0, 2, 2}, 1e-5f), std::invalid_argument);
}

TEST_CASE("Conv2d backward matches finite differences", "[conv][gradcheck]") {
  const ConvCase cases[] = {
      {{2, 5, 5}, 3, 3, 1, 1, kIdentity, 2},  // same-size 3×3
      {{3, 8, 8}, 2, 4, 2, 1, kLeaky, 2},     // DCGAN's k4 s2 p1, LeakyReLU fused
      {{1, 7, 6}, 2, 2, 3, 0, kTanh, 1},      // stride 3 skips pixels, non-square
      {{2, 4, 5}, 3, 5, 2, 2, kRelu, 3},      // k5 p2, ReLU fused
      {{3, 3, 3}, 1, 1, 1, 0, kSigmoid, 2},   // 1×1
  };
  std::uint32_t seed = 40;
  for (const ConvCase& k : cases) {
    DYNAMIC_SECTION(describe(k)) { check_layer_gradients<Conv2d>(k, seed); }
    ++seed;
  }
}

TEST_CASE("ConvTranspose2d backward matches finite differences", "[conv][gradcheck]") {
  const ConvCase cases[] = {
      {{3, 4, 4}, 2, 4, 2, 1, kRelu, 2},      // DCGAN's k4 s2 p1 (4×4 → 8×8), ReLU fused
      {{2, 3, 3}, 3, 3, 1, 0, kIdentity, 2},  // 3×3 → 5×5
      {{2, 3, 4}, 1, 3, 2, 2, kTanh, 1},      // padding crops: 3×4 → 3×5
      {{1, 2, 2}, 2, 5, 3, 1, kSigmoid, 3},   // stride 3, k5
      {{3, 3, 3}, 2, 1, 1, 0, kLeaky, 2},     // 1×1
  };
  std::uint32_t seed = 60;
  for (const ConvCase& k : cases) {
    DYNAMIC_SECTION(describe(k)) { check_layer_gradients<ConvTranspose2d>(k, seed); }
    ++seed;
  }
}

TEST_CASE("BatchNorm2d backward matches finite differences for input, gamma and beta", "[batchnorm][gradcheck]") {
  for (const ImageShape shape : {ImageShape{3, 2, 3}, ImageShape{2, 7, 7}}) {
    DYNAMIC_SECTION(shape.channels << "x" << shape.height << "x" << shape.width) {
      const int batch = 3;
      ParameterSet params, buffers;
      BatchNorm2d bn(params, buffers, "bn", shape, 1e-3f, 0.0f);
      params.allocate();
      buffers.allocate();
      bn.init();
      MtRandom rng(11);
      const std::size_t n = static_cast<std::size_t>(batch) * shape.size();
      std::vector<float> x = uniform(rng, n, -2.0f, 2.0f), r = uniform(rng, n, -1.0f, 1.0f), y(n), g(n);
      for (int c = 0; c < shape.channels; ++c) {
        params.values()[params.find("bn.weight")->offset + c] = 0.5f + 0.3f * c;
        params.values()[params.find("bn.bias")->offset + c] = -0.2f + 0.1f * c;
      }
      GradCase c{"BatchNorm2d"};
      c.objective = [&] {
        std::vector<float> out(n);
        bn.forward(x.data(), batch, out.data(), true);
        return weighted_sum(r.data(), out.data(), n);
      };
      c.analytic = [&] {
        std::copy(r.begin(), r.end(), g.begin());
        params.zero_grads();
        bn.forward(x.data(), batch, y.data(), true);
        bn.backward(g.data(), batch);
      };
      c.tolerance = {2e-3, 2e-3, 0.0};
      c.wrt("x", x.data(), g.data(), n).wrt(params);
      const GradReport report = check_gradients(c);
      CHECK(report.checked == static_cast<int>(n) + 2 * shape.channels);
    }
  }
}

TEST_CASE("BatchNorm2d statistics are per channel over batch and pixels, as torch.nn.BatchNorm2d", "[batchnorm]") {
  // Two images of 2 channels × 2 pixels; channel 0 holds 1,2 | 3,4 (mean 2.5, biased var 1.25),
  // channel 1 holds 10,10 | 10,14 (mean 11, biased var 3).
  ParameterSet params, buffers;
  BatchNorm2d bn(params, buffers, "bn", 2, 2, 0.0f, 0.5f);
  params.allocate();
  buffers.allocate();
  bn.init();
  const float x[8] = {1, 2, 10, 10, 3, 4, 10, 14};
  float y[8];
  bn.forward(x, 2, y, true);
  CHECK(y[0] == Approx(-1.5 / std::sqrt(1.25)));
  CHECK(y[5] == Approx(1.5 / std::sqrt(1.25)));
  CHECK(y[2] == Approx(-1.0 / std::sqrt(3.0)));
  CHECK(y[7] == Approx(3.0 / std::sqrt(3.0)));
  // running ← 0.5·old + 0.5·batch; running_var takes the unbiased variance (N = 4: × 4/3).
  CHECK(bn.running_mean()[0] == Approx(1.25));
  CHECK(bn.running_mean()[1] == Approx(5.5));
  CHECK(bn.running_var()[0] == Approx(0.5 + 0.5 * 1.25 * 4 / 3));
  CHECK(bn.running_var()[1] == Approx(0.5 + 0.5 * 3.0 * 4 / 3));
  // Eval mode: (x − running_mean)/√running_var (γ = 1, β = 0, ε = 0).
  bn.forward(x, 2, y, false);
  CHECK(y[0] == Approx((1.0 - 1.25) / std::sqrt(0.5 + 0.5 * 1.25 * 4 / 3)));
  CHECK(y[7] == Approx((14.0 - 5.5) / std::sqrt(0.5 + 0.5 * 3.0 * 4 / 3)));
}

TEST_CASE("Conv2d and ConvTranspose2d give the same bits for 1, 2 and 3 threads", "[conv][parallel]") {
  // Large enough that the GEMMs, the column copies and the bias + activation pass all split.
  const int batch = 16;
  ParameterSet params;
  ConvTranspose2d up(params, "up", {32, 7, 7}, 32, 4, 2, 1, kLeaky);   // 7×7 → 14×14
  Conv2d down(params, "down", {32, 14, 14}, 24, 4, 2, 1, kTanh);       // 14×14 → 7×7
  params.allocate();
  Rng rng(5);
  up.init(rng);
  down.init(rng);
  MtRandom values(77);
  const std::vector<float> x = uniform(values, static_cast<std::size_t>(batch) * up.input_shape().size(), -1.0f, 1.0f);
  const std::vector<float> r = uniform(values, static_cast<std::size_t>(batch) * down.output_shape().size(), -1.0f, 1.0f);
  const auto run = [&] {
    std::vector<float> h(static_cast<std::size_t>(batch) * up.output_shape().size());
    std::vector<float> y(r.size()), g = r, gh(h.size()), gx(x.size());
    params.zero_grads();
    up.forward(x.data(), batch, h.data());
    down.forward(h.data(), batch, y.data());
    down.backward(h.data(), y.data(), g.data(), batch, gh.data());
    up.backward(x.data(), h.data(), gh.data(), batch, gx.data());
    std::vector<float> all(y);
    all.insert(all.end(), gx.begin(), gx.end());
    all.insert(all.end(), params.grads(), params.grads() + params.size());
    return all;
  };
  std::vector<float> one;
  {
    ScopedThreads pool(1);
    one = run();
  }
  for (int threads : {2, 3}) {
    ScopedThreads pool(threads);
    INFO(threads << " threads");
    CHECK(run() == one);
  }
}
