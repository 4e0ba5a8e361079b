// PackedLinear (weights packed once, bias / BatchNorm / activation in the GEMM's epilogue)
// against a scalar double-precision reference, and ImageDecoder against the model's own decode.
//
// Tolerance, as in test_kernels.cpp: a dot product of K terms summed in fp32 in any order is
// within γ_K·Σ|x_k w_k| of the exact value (Higham §3.1); we allow (K + 8)·u·(Σ|x_k w_k| + |b|),
// times |γ/√(var + ε)| after a BatchNorm, plus 4 ulps of 1 for the SIMD σ / tanh. The
// activations are 1-Lipschitz, so they do not enlarge the error. An indexing, packing or edge
// bug gives errors of the size of the values themselves.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "latentlab/nn/activations.hpp"
#include "latentlab/models/gan.hpp"
#include "latentlab/infer/generation.hpp"
#include "latentlab/infer/packed_linear.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/models/vae.hpp"
#include "support/values.hpp"

namespace {

using latentlab::Activation;
using latentlab::ActivationSpec;
using latentlab::PackedLinear;

constexpr double kUnitRoundoff = 5.9604644775390625e-08;  // 2⁻²⁴

using latentlab::test::Lcg;  // support/values.hpp: values in [-1, 1)

std::vector<float> random_vector(std::size_t n, Lcg& rng, float scale = 1.0f, float offset = 0.0f) {
  std::vector<float> v(n);
  for (auto& x : v) x = offset + scale * rng.next();
  return v;
}

double activate(const ActivationSpec& f, double v) {
  switch (f.kind) {
    case Activation::Identity: return v;
    case Activation::ReLU: return v < 0 ? 0 : v;
    case Activation::LeakyReLU: return v < 0 ? f.slope * v : v;
    case Activation::Sigmoid: return 1.0 / (1.0 + std::exp(-v));
    case Activation::Tanh: return std::tanh(v);
  }
  return v;
}

void check_layer(int batch, int in, int out, ActivationSpec act, bool batchnorm, std::uint32_t seed) {
  Lcg rng(seed);
  const auto W = random_vector(static_cast<std::size_t>(out) * in, rng);
  const auto b = random_vector(static_cast<std::size_t>(out), rng);
  const auto x = random_vector(static_cast<std::size_t>(batch) * in, rng);
  const auto gamma = random_vector(out, rng, 1.0f);
  const auto beta = random_vector(out, rng, 0.5f);
  const auto mean = random_vector(out, rng, 0.5f);
  const auto var = random_vector(out, rng, 0.5f, 1.0f);  // [0.5, 1.5)
  const float eps = 1e-5f;

  PackedLinear layer(W.data(), b.data(), in, out, act);
  if (batchnorm) layer.set_batchnorm(gamma.data(), beta.data(), mean.data(), var.data(), eps);
  // y has 3 padding columns per row that must stay untouched.
  const int ldy = out + 3;
  const float sentinel = -12345.0f;
  std::vector<float> y(static_cast<std::size_t>(batch) * ldy, sentinel);
  layer.forward(x.data(), batch, y.data(), ldy);

  int bad = 0;
  double worst = 0;
  for (int i = 0; i < batch; ++i) {
    for (int j = 0; j < out; ++j) {
      double dot = 0, magnitude = 0;
      for (int k = 0; k < in; ++k) {
        const double p = static_cast<double>(x[static_cast<std::size_t>(i) * in + k]) * W[static_cast<std::size_t>(j) * in + k];
        dot += p;
        magnitude += std::fabs(p);
      }
      double v = dot + b[j];
      double gain = 1.0;
      if (batchnorm) {
        const double s = gamma[j] / std::sqrt(static_cast<double>(var[j]) + eps);
        v = (v - mean[j]) * s + beta[j];
        gain = std::fabs(s);
      }
      const double expected = activate(act, v);
      const double tol = ((in + 8) * kUnitRoundoff * (magnitude + std::fabs(b[j])) + 4 * kUnitRoundoff) * std::max(1.0, gain) +
                         (batchnorm ? 8 * kUnitRoundoff * (std::fabs(v) + std::fabs(beta[j])) : 0.0) + 4 * kUnitRoundoff;
      const double got = y[static_cast<std::size_t>(i) * ldy + j];
      const double err = std::fabs(got - expected);
      if (!(err <= tol)) ++bad;
      worst = std::max(worst, err / tol);
    }
    for (int j = out; j < ldy; ++j) {
      if (y[static_cast<std::size_t>(i) * ldy + j] != sentinel) ++bad;
    }
  }
  INFO("batch " << batch << " in " << in << " out " << out << " activation " << latentlab::activation_name(act.kind)
                << (batchnorm ? " + batchnorm" : "") << ": worst error / tolerance " << worst);
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("PackedLinear matches the scalar reference on every shape class", "[packed_linear]") {
  const ActivationSpec kinds[] = {{Activation::Identity, 0.0f}, {Activation::ReLU, 0.0f}, {Activation::LeakyReLU, 0.2f},
                                  {Activation::Sigmoid, 0.0f}, {Activation::Tanh, 0.0f}};
  std::uint32_t seed = 1;
  // Rows: 1 (one edge tile), a few, a multiple of no tile height, the decoders' 64, more than one
  // row block (MC); in: one K block, several balanced K blocks (> 384); out: below one batch,
  // not a multiple of the batch width, exactly the decoders' widths.
  for (int batch : {1, 3, 7, 64, 150}) {
    for (int in : {1, 20, 100, 401, 800}) {
      for (int out : {3, 37, 128, 784}) {
        for (const auto& act : kinds) {
          if (static_cast<double>(batch) * in * out > 64.0 * 401 * 784) continue;  // the reference is a triple loop
          check_layer(batch, in, out, act, (seed % 2) == 0, seed);
          ++seed;
        }
      }
    }
  }
}

namespace {

// |a − b| over all pixels.
double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - b[i]);
    worst = std::max(worst, std::isnan(d) ? std::numeric_limits<double>::infinity() : d);
  }
  return worst;
}

void check_decoder(latentlab::GenerativeModel& model, const char* what, std::uint64_t seed) {
  latentlab::ImageDecoder decoder(model);
  for (int n : {1, 3, 4, 64, 130}) {
    std::vector<float> z(static_cast<std::size_t>(n) * model.latent_dim());
    latentlab::sample_latents(seed + n, z.data(), z.size());
    std::vector<float> expected(static_cast<std::size_t>(n) * model.image_size());
    std::vector<float> got(expected.size(), -1.0f);
    model.decode(z.data(), nullptr, n, expected.data());
    decoder.decode(z.data(), nullptr, n, got.data());
    INFO(what << " n = " << n);
    // Both in [0, 1]; the two paths differ only in fp32 rounding (a few ulps of the logits).
    CHECK(max_difference(expected, got) <= 1e-5);
  }
}

}  // namespace

TEST_CASE("ImageDecoder gives the model's decode pixels (VAE and GAN with BatchNorm)", "[packed_linear]") {
  latentlab::Rng rng(5, 0);
  {
    latentlab::VaeConfig config;
    config.input = 50;
    config.hidden = {37};
    config.latent = 7;
    latentlab::Vae vae(config);
    vae.init(rng);
    check_decoder(vae, "vae", 11);
  }
  {
    latentlab::GanConfig config;
    config.image = 45;
    config.latent = 9;
    config.generator_hidden = {13, 29, 22};
    config.discriminator_hidden = {8};
    config.generator_leaky = true;
    config.generator_batchnorm = true;
    config.batchnorm_eps = 0.8f;
    latentlab::Gan gan(config);
    gan.init(rng);
    // Running statistics away from their initial 0 / 1, and γ, β away from 1 / 0.
    Lcg lcg(3);
    auto& buffers = gan.generator_buffers();
    for (const auto& t : buffers.tensors()) {
      const bool is_var = t.name.find("running_var") != std::string::npos;
      for (std::size_t i = 0; i < t.size; ++i) buffers.values()[t.offset + i] = is_var ? 1.0f + 0.5f * lcg.next() : 0.3f * lcg.next();
    }
    auto& params = gan.generator_parameters();
    for (const auto& t : params.tensors()) {
      if (t.name.find(".bn.") == std::string::npos) continue;
      for (std::size_t i = 0; i < t.size; ++i) params.values()[t.offset + i] += 0.3f * lcg.next();
    }
    check_decoder(gan, "gan", 21);
  }
}

namespace {

// A generative model whose decoder is not an MLP (a stand-in for a convolutional one): pixel i of
// image k is a fixed function of z, so the test knows every expected value.
class ClosedFormModel : public latentlab::GenerativeModel {
 public:
  int latent_dim() const override { return 2; }
  int image_size() const override { return 5; }
  latentlab::PixelRange pixel_range() const override { return latentlab::PixelRange::ZeroOne; }
  void decode(const float* z, const int* /*labels*/, int n, float* pixels) override {
    ++calls;
    for (int k = 0; k < n; ++k)
      for (int i = 0; i < 5; ++i) pixels[k * 5 + i] = 0.1f * static_cast<float>(i) + 0.01f * z[2 * k] - 0.02f * z[2 * k + 1];
  }
  int calls = 0;
};

}  // namespace

TEST_CASE("ImageDecoder decodes a model whose decoder is not an MLP through the model itself", "[packed_linear]") {
  ClosedFormModel model;
  REQUIRE(model.mlp_decoder().mlp == nullptr);
  latentlab::ImageDecoder decoder(model);
  const std::vector<float> z = {1.0f, 2.0f, -3.0f, 0.5f, 0.0f, 0.0f};
  std::vector<float> got(15, -1.0f), expected(15, -2.0f);
  decoder.decode(z.data(), nullptr, 3, got.data());
  CHECK(model.calls == 1);
  model.decode(z.data(), nullptr, 3, expected.data());
  CHECK(got == expected);
  CHECK(got[5 * 1 + 4] == Approx(0.4 - 0.03 - 0.01).margin(1e-6));
}
