// The GAN's backward passes against finite differences (support/gradcheck.hpp): the
// discriminator w.r.t. its parameters and its input (Mlp::backward with grad_x) and through
// L_D, the generator through the discriminator (plain, and with BatchNorm and LeakyReLU).
#include <catch2/catch.hpp>

#include <cstddef>
#include <vector>

#include "latentlab/models/gan.hpp"
#include "latentlab/nn/mlp.hpp"
#include "latentlab/nn/parameters.hpp"
#include "latentlab/rng.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

namespace {

// The reduced GAN both plain GAN checks use: small enough to check every parameter.
GanConfig small_gan_config() {
  GanConfig config;
  config.image = 10;
  config.latent = 4;
  config.generator_hidden = {6, 8};
  config.discriminator_hidden = {7, 5};
  config.leaky_slope = 0.2f;
  return config;
}

}  // namespace

TEST_CASE("GAN discriminator gradients w.r.t. parameters and input match finite differences", "[gradcheck][gan]") {
  const GanConfig config = small_gan_config();
  Gan gan(config);
  Rng init(3, 3);
  gan.init(init);
  MtRandom rng(61);
  const int batch = 4;
  Mlp& d = gan.discriminator();
  ParameterSet& params = gan.discriminator_parameters();

  SECTION("Mlp::backward with grad_x, L = Σ r ⊙ D(x)") {
    std::vector<float> x = uniform(rng, static_cast<std::size_t>(batch) * config.image, -1.0f, 1.0f);
    const std::vector<float> r = uniform(rng, batch, -1.0f, 1.0f);
    std::vector<float> grad_x(x.size(), 0.0f);
    GradCase c{"discriminator Σ r⊙D(x)"};
    c.objective = [&] { return weighted_sum(r.data(), d.forward(x.data(), batch), batch); };
    c.analytic = [&] {
      d.forward(x.data(), batch);
      std::vector<float> grad_out = r;
      params.zero_grads();
      d.backward(x.data(), grad_out.data(), batch, grad_x.data());
    };
    c.kinks = [&](Pattern& pattern) { mlp_kinks(d, x.data(), batch, pattern); };
    c.wrt(params).wrt("input", x.data(), grad_x.data(), x.size());
    const GradReport report = check_gradients(c);
    CHECK(report.checked >= static_cast<int>((params.count() + x.size()) * 9 / 10));
    const std::vector<float> analytic(params.grads(), params.grads() + params.size());

    // accumulate_param_grads = false: same dL/dx, parameter gradients untouched.
    d.forward(x.data(), batch);
    std::vector<float> grad_out2 = r, grad_x2(x.size(), 0.0f);
    d.backward(x.data(), grad_out2.data(), batch, grad_x2.data(), ParamGrads::Skip);
    CHECK(std::vector<float>(params.grads(), params.grads() + params.size()) == analytic);
    CHECK(grad_x2 == grad_x);
  }

  SECTION("discriminator_gradients: ∇_D L_D") {
    const std::vector<float> z = uniform(rng, static_cast<std::size_t>(batch) * config.latent, -2.0f, 2.0f);
    const std::vector<float> real = uniform(rng, static_cast<std::size_t>(batch) * config.image, -1.0f, 1.0f);
    gan.set_fakes_from(z.data(), batch);
    const std::vector<float> fakes(gan.fakes(), gan.fakes() + real.size());
    const GanLosses losses = gan.discriminator_gradients(real.data());

    // L_D = mean softplus(−D(real)) + mean softplus(D(fake)), evaluated here from D's logits.
    std::vector<float> real_logits(batch), fake_logits(batch);
    GradCase c{"discriminator L_D"};
    c.objective = [&] {
      gan.discriminate(real.data(), batch, real_logits.data());
      gan.discriminate(fakes.data(), batch, fake_logits.data());
      double l = 0.0;
      for (int i = 0; i < batch; ++i) l += softplus_d(-double(real_logits[i])) + softplus_d(fake_logits[i]);
      return l / batch;
    };
    c.analytic = [&] { gan.discriminator_gradients(real.data()); };  // the fakes set above
    c.kinks = [&](Pattern& pattern) {
      mlp_kinks(d, real.data(), batch, pattern);
      mlp_kinks(d, fakes.data(), batch, pattern);
    };
    c.wrt(params);
    CHECK(losses.discriminator == Approx(c.objective()).epsilon(1e-6));
    const GradReport report = check_gradients(c);
    CHECK(report.checked >= static_cast<int>(params.count() * 9 / 10));
  }
}

TEST_CASE("GAN generator gradients through the discriminator match finite differences", "[gradcheck][gan]") {
  const GanConfig config = small_gan_config();
  Gan gan(config);
  Rng init(4, 9);
  gan.init(init);
  MtRandom rng(67);
  const int batch = 4;
  const std::vector<float> z = uniform(rng, static_cast<std::size_t>(batch) * config.latent, -2.0f, 2.0f);
  ParameterSet& g_params = gan.generator_parameters();
  ParameterSet& d_params = gan.discriminator_parameters();

  // L_G = mean softplus(−D(G(z))), evaluated here from generate() and discriminate().
  std::vector<float> images(static_cast<std::size_t>(batch) * config.image), logits(batch);
  double loss_g = 0.0;
  GradCase c{"generator L_G through D"};
  c.objective = [&] {
    gan.generate(z.data(), batch, images.data());
    gan.discriminate(images.data(), batch, logits.data());
    double l = 0.0;
    for (int i = 0; i < batch; ++i) l += softplus_d(-double(logits[i]));
    return l / batch;
  };
  c.analytic = [&] {
    gan.set_fakes_from(z.data(), batch);
    d_params.zero_grads();
    loss_g = gan.generator_gradients();
  };
  c.kinks = [&](Pattern& pattern) {
    mlp_kinks(gan.generator(), z.data(), batch, pattern);
    mlp_kinks(gan.discriminator(), images.data(), batch, pattern);
  };
  c.wrt(g_params);
  const GradReport report = check_gradients(c);
  CHECK(report.checked >= static_cast<int>(g_params.count() * 9 / 10));
  // D's parameter gradients are not touched by the generator step.
  for (std::size_t i = 0; i < d_params.size(); ++i) REQUIRE(d_params.grads()[i] == 0.0f);
  CHECK(loss_g == Approx(c.objective()).epsilon(1e-6));
}

TEST_CASE("GAN generator with BatchNorm and LeakyReLU: gradients through D match central differences",
          "[batchnorm][gradcheck]") {
  GanConfig config;
  config.image = 10;
  config.latent = 4;
  config.generator_hidden = {6, 8};
  config.discriminator_hidden = {7};
  config.generator_leaky = true;
  config.generator_batchnorm = true;
  config.batchnorm_eps = 0.8f;
  Gan gan(config);
  Rng rng(3);
  gan.init(rng);
  REQUIRE(gan.generator_parameters().find("generator.fc2.bn.weight") != nullptr);
  REQUIRE(gan.generator_buffers().find("generator.fc2.bn.running_var") != nullptr);
  const int batch = 5;
  std::vector<float> z(batch * config.latent);
  rng.fill_normal(z.data(), z.size());

  // L_G through D with the generator in training mode (batch statistics). No kinks are
  // skipped: every coordinate is checked. fp32 forward, loss ≈ 0.7: rounding noise
  // ≈ 1e-7/h ≈ 1e-5; kinks of LeakyReLU are rarely straddled.
  auto loss = [&]() {
    gan.set_fakes_from(z.data(), batch);
    return gan.generator_gradients();
  };
  GradCase c{"generator with BatchNorm through D"};
  c.objective = loss;
  c.analytic = [&] { loss(); };
  c.tolerance = {2e-3, 2e-2, 0.0};  // |fd − analytic| ≤ max(2e-3, 2e-2 · |analytic|)
  c.wrt(gan.generator_parameters());
  const GradReport report = check_gradients(c);
  CHECK(report.checked == static_cast<int>(gan.generator_parameters().count()));
}
