// The discriminator step of every objective as the models run it (Gan/Dcgan::
// discriminator_gradients with config.objective), against finite differences: with spectral
// normalisation (the gradient w.r.t. the raw weights W through W/σ(W), u and v held as the
// backward holds them) and with WGAN-GP's gradient penalty (a double backward through the MLP
// critic). The objective is recomputed here from D's raw scores (discriminate) and the formulas
// of nn/gan_objectives.hpp, written out again in double.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <vector>

#include "latentlab/models/dcgan.hpp"
#include "latentlab/models/gan.hpp"
#include "latentlab/nn/gradient_penalty.hpp"
#include "latentlab/rng.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

namespace {

// L_D from the raw scores, per objective (gan_objectives.hpp), in double.
double critic_loss(GanObjective objective, const std::vector<float>& real, const std::vector<float>& fake) {
  double l = 0.0;
  const double n = static_cast<double>(real.size());
  for (std::size_t i = 0; i < real.size(); ++i) {
    const double r = real[i], f = fake[i];
    switch (objective) {
      case GanObjective::Bce: l += softplus_d(-r) + softplus_d(f); break;
      case GanObjective::LeastSquares: l += 0.5 * (r - 1) * (r - 1) + 0.5 * f * f; break;
      case GanObjective::Hinge: l += std::max(0.0, 1 - r) + std::max(0.0, 1 + f); break;
      case GanObjective::Wasserstein: l += f - r; break;
    }
  }
  return l / n;
}

// Every parameter (not the alignment padding) ~ U(−0.5, 0.5).
void fill_uniform(ParameterSet& set, MtRandom& rng) {
  for (const TensorInfo& t : set.tensors())
    for (std::size_t i = 0; i < t.size; ++i) set.values()[t.offset + i] = rng.uniform(-0.5f, 0.5f);
}

// Spectral norm moves every unit with every weight (σ depends on all of them): at the default
// h = 1e-2 a quarter of the coordinates cross some LeakyReLU kink. A 10× smaller step crosses
// 10× fewer; its rounding noise (float32 L ≈ 1, ~1e-7 / 2h) is covered by the scale term.
void narrow_steps(GradCase& c) {
  c.h = 1e-3f;
  c.tolerance = {0.0, 1e-2, 5e-3};
  c.max_skipped = 0.25;
}

GanConfig small_gan(GanObjective objective, bool spectral_norm) {
  GanConfig c;
  c.image = 10;
  c.latent = 4;
  c.generator_hidden = {6, 8};
  c.discriminator_hidden = {7, 5};
  c.objective = objective;
  c.spectral_norm = spectral_norm;
  return c;
}

}  // namespace

TEST_CASE("GAN discriminator step with spectral norm and each objective matches finite differences in the raw W",
          "[gradcheck][gan][objectives]") {
  for (const GanObjective objective : {GanObjective::Bce, GanObjective::LeastSquares, GanObjective::Hinge}) {
    const GanConfig config = small_gan(objective, true);
    Gan gan(config);
    Rng init(3, 3);
    gan.init(init);
    MtRandom rng(62);
    const int batch = 4;
    const std::vector<float> z = uniform(rng, static_cast<std::size_t>(batch) * config.latent, -2.0f, 2.0f);
    const std::vector<float> real = uniform(rng, static_cast<std::size_t>(batch) * config.image, -1.0f, 1.0f);
    gan.set_fakes_from(z.data(), batch);
    const std::vector<float> fakes(gan.fakes(), gan.fakes() + real.size());
    ParameterSet& params = gan.discriminator_parameters();
    SpectralNormSet& sn = gan.discriminator_spectral_norm();

    GradCase c{std::string("spectral-norm D, ") + gan_objective_name(objective)};
    std::vector<float> r(batch), f(batch);
    // discriminate uses the u, v of the last power iteration (the analytic step's) without another.
    c.objective = [&] {
      gan.discriminate(real.data(), batch, r.data());
      gan.discriminate(fakes.data(), batch, f.data());
      return critic_loss(objective, r, f);
    };
    GanLosses losses;
    c.analytic = [&] { losses = gan.discriminator_gradients(real.data()); };
    c.kinks = [&](Pattern& pattern) {
      sn.normalize(false);
      mlp_kinks(gan.discriminator(), real.data(), batch, pattern);
      mlp_kinks(gan.discriminator(), fakes.data(), batch, pattern);
      sn.restore();
    };
    narrow_steps(c);
    c.wrt(params);
    const GradReport report = check_gradients(c);
    CHECK(report.checked >= static_cast<int>(params.count() * 3 / 4));
    CHECK(losses.discriminator == Approx(c.objective()).epsilon(1e-5));
    // σ is the largest singular value's estimate: D's weights are used divided by it.
    CHECK(sn.norm(0).sigma() > 0.0f);
  }
}

TEST_CASE("GAN wgan-gp critic step (L_D + gradient penalty) matches finite differences, with and without spectral norm",
          "[gradcheck][gan][objectives]") {
  for (const bool spectral_norm : {false, true}) {
    const GanConfig config = small_gan(GanObjective::Wasserstein, spectral_norm);
    Gan gan(config);
    Rng init(4, 3);
    gan.init(init);
    MtRandom rng(63);
    const int batch = 4;
    const float lambda = 10.0f;
    const std::vector<float> z = uniform(rng, static_cast<std::size_t>(batch) * config.latent, -2.0f, 2.0f);
    const std::vector<float> real = uniform(rng, static_cast<std::size_t>(batch) * config.image, -1.0f, 1.0f);
    const std::vector<float> eps = uniform(rng, batch, 0.0f, 1.0f);
    gan.set_fakes_from(z.data(), batch);
    const std::vector<float> fakes(gan.fakes(), gan.fakes() + real.size());
    std::vector<float> interpolates(real.size());
    interpolate_images(real.data(), fakes.data(), eps.data(), batch, config.image, interpolates.data());
    ParameterSet& params = gan.discriminator_parameters();
    SpectralNormSet& sn = gan.discriminator_spectral_norm();
    Mlp& d = gan.discriminator();

    GradCase c{spectral_norm ? "wgan-gp critic with spectral norm" : "wgan-gp critic"};
    std::vector<float> r(batch), f(batch), g(real.size());
    c.objective = [&] {
      gan.discriminate(real.data(), batch, r.data());
      gan.discriminate(fakes.data(), batch, f.data());
      sn.normalize(false);
      d.input_gradient(interpolates.data(), batch, g.data());
      sn.restore();
      double penalty = 0.0;  // λ mean (‖g_i‖ − 1)²
      for (int i = 0; i < batch; ++i) {
        double squares = 0.0;
        for (int j = 0; j < config.image; ++j) squares += double(g[i * config.image + j]) * g[i * config.image + j];
        penalty += (std::sqrt(squares) - 1) * (std::sqrt(squares) - 1);
      }
      return critic_loss(GanObjective::Wasserstein, r, f) + lambda * penalty / batch;
    };
    GanLosses losses;
    c.analytic = [&] {
      GradientPenaltyDraw draw;
      draw.lambda = lambda;
      draw.eps = eps.data();
      losses = gan.discriminator_gradients(real.data(), &draw);
    };
    c.kinks = [&](Pattern& pattern) {
      sn.normalize(false);
      for (const float* x : std::initializer_list<const float*>{real.data(), fakes.data(), interpolates.data()}) mlp_kinks(d, x, batch, pattern);
      sn.restore();
    };
    narrow_steps(c);
    c.wrt(params);
    const GradReport report = check_gradients(c);
    CHECK(report.checked >= static_cast<int>(params.count() * 3 / 4));
    CHECK(losses.discriminator == Approx(c.objective()).epsilon(1e-5));
    CHECK(losses.penalty > 0.0);
  }
}

TEST_CASE("DCGAN discriminator step with spectral norm, hinge loss and no BatchNorm matches finite differences",
          "[gradcheck][dcgan][objectives]") {
  DcganConfig config;
  config.image = 64;
  config.latent = 3;
  config.generator_channels = {4, 3};
  config.discriminator_channels = {3, 4};
  config.objective = GanObjective::Hinge;
  config.spectral_norm = true;
  config.discriminator_batchnorm = false;
  Dcgan gan(config);
  Rng init(5, 2);
  gan.init(init);
  MtRandom rng(72);
  ParameterSet& params = gan.discriminator_parameters();
  fill_uniform(params, rng);  // larger than N(0, 0.02), so the gradients stand out of L's rounding
  const int batch = 4;
  const std::vector<float> z = uniform(rng, static_cast<std::size_t>(batch) * 3, -2.0f, 2.0f);
  const std::vector<float> real = uniform(rng, static_cast<std::size_t>(batch) * 64, -1.0f, 1.0f);
  gan.set_fakes_from(z.data(), batch);
  const std::vector<float> fakes(gan.fakes(), gan.fakes() + real.size());

  GradCase c{"DCGAN spectral-norm hinge D"};
  std::vector<float> r(batch), f(batch);
  // Without BatchNorm, D's eval pass (discriminate) is its training pass.
  c.objective = [&] {
    gan.discriminate(real.data(), batch, r.data());
    gan.discriminate(fakes.data(), batch, f.data());
    return critic_loss(GanObjective::Hinge, r, f);
  };
  c.analytic = [&] { gan.discriminator_gradients(real.data()); };
  c.kinks = [&](Pattern& pattern) {
    gan.discriminate(real.data(), batch, r.data());
    gan.unit_states(batch, pattern);
    gan.discriminate(fakes.data(), batch, f.data());
    gan.unit_states(batch, pattern);
    for (int i = 0; i < batch; ++i) {  // hinge's kinks at s = ±1
      pattern.push_back(r[i] < 1.0f);
      pattern.push_back(f[i] > -1.0f);
    }
  };
  narrow_steps(c);
  c.wrt(params);
  const GradReport report = check_gradients(c);
  CHECK(report.checked >= static_cast<int>(params.count() * 3 / 4));
}

TEST_CASE("DCGAN wgan-gp critic step (L_D + gradient penalty, double backward through Conv2d) matches finite differences",
          "[gradcheck][dcgan][objectives]") {
  for (const bool spectral_norm : {false, true}) {
    DcganConfig config;
    config.image = 64;
    config.latent = 3;
    config.generator_channels = {4, 3};
    config.discriminator_channels = {3, 4};
    config.objective = GanObjective::Wasserstein;
    config.spectral_norm = spectral_norm;
    config.discriminator_batchnorm = false;
    Dcgan gan(config);
    Rng init(6, 2);
    gan.init(init);
    MtRandom rng(73);
    ParameterSet& params = gan.discriminator_parameters();
    fill_uniform(params, rng);
    const int batch = 3;
    const float lambda = 10.0f;
    const std::vector<float> z = uniform(rng, static_cast<std::size_t>(batch) * 3, -2.0f, 2.0f);
    const std::vector<float> real = uniform(rng, static_cast<std::size_t>(batch) * 64, -1.0f, 1.0f);
    const std::vector<float> eps = uniform(rng, batch, 0.0f, 1.0f);
    gan.set_fakes_from(z.data(), batch);
    const std::vector<float> fakes(gan.fakes(), gan.fakes() + real.size());
    std::vector<float> interpolates(real.size());
    interpolate_images(real.data(), fakes.data(), eps.data(), batch, 64, interpolates.data());

    GradCase c{spectral_norm ? "DCGAN wgan-gp critic with spectral norm" : "DCGAN wgan-gp critic"};
    std::vector<float> r(batch), f(batch), g(real.size());
    SpectralNormSet& sn = gan.discriminator_spectral_norm();
    // g through the critic's first-order backward (input_gradient, which the DCGAN gradient checks
    // hold to finite differences), D's weights normalised as discriminate does it.
    c.objective = [&] {
      gan.discriminate(real.data(), batch, r.data());
      gan.discriminate(fakes.data(), batch, f.data());
      sn.normalize(false);
      gan.input_gradient(interpolates.data(), batch, g.data());
      sn.restore();
      return critic_loss(GanObjective::Wasserstein, r, f) + gradient_penalty(g.data(), batch, 64, lambda, nullptr);
    };
    GanLosses losses;
    c.analytic = [&] {
      GradientPenaltyDraw draw;
      draw.lambda = lambda;
      draw.eps = eps.data();
      losses = gan.discriminator_gradients(real.data(), &draw);
    };
    c.kinks = [&](Pattern& pattern) {
      for (const float* x : std::initializer_list<const float*>{real.data(), fakes.data(), interpolates.data()}) {
        gan.discriminate(x, batch, r.data());
        gan.unit_states(batch, pattern);
      }
    };
    narrow_steps(c);
    c.wrt(params);
    const GradReport report = check_gradients(c);
    CHECK(report.checked >= static_cast<int>(params.count() * 3 / 4));
    CHECK(losses.discriminator == Approx(c.objective()).epsilon(1e-4));
    CHECK(losses.penalty > 0.0);
  }
}
