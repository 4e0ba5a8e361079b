// The conv VAE's backward pass (ConvVae::compute_gradients: transposed convolutions, the two
// Linear layers each side, the latent, the convolutions) against finite differences of its
// loss, every parameter (support/gradcheck.hpp).
#include <catch2/catch.hpp>

#include <stdexcept>
#include <vector>

#include "latentlab/models/conv_vae.hpp"
#include "latentlab/rng.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

TEST_CASE("conv VAE gradients of every parameter match finite differences", "[gradcheck][conv-vae]") {
  for (const std::vector<int>& channels : {std::vector<int>{3}, std::vector<int>{2, 3}}) {
    SECTION(std::to_string(channels.size()) + " conv layer(s)") {
      ConvVaeConfig config;
      config.input = 64;  // 8 × 8
      config.channels = channels;
      config.fc = 6;
      config.latent = 3;
      config.beta = channels.size() == 1 ? 1.0f : 0.5f;
      ConvVae vae(config);
      Rng init(9, 1);
      vae.init(init);
      MtRandom rng(83);
      const int batch = 3;
      std::vector<float> x = uniform(rng, static_cast<std::size_t>(batch) * config.input, 0.0f, 1.0f);
      x[0] = 0.0f;
      x[1] = 1.0f;
      const std::vector<float> eps = uniform(rng, static_cast<std::size_t>(batch) * config.latent, -2.0f, 2.0f);

      GradCase c{"conv VAE " + std::to_string(channels.size())};
      c.objective = [&] { return vae.compute_gradients(x.data(), batch, eps.data()).total; };
      c.analytic = [&] { vae.compute_gradients(x.data(), batch, eps.data()); };
      c.kinks = [&](Pattern& pattern) { vae.unit_states(batch, pattern); };
      c.wrt(vae.parameters());
      const GradReport report = check_gradients(c);
      CHECK(report.checked >= static_cast<int>(vae.parameters().count() * 9 / 10));
    }
  }
}

TEST_CASE("conv VAE: encode and decode_logits are the training pass's μ and logits at z = μ", "[conv-vae]") {
  ConvVaeConfig config;
  config.input = 64;
  config.channels = {2, 3};
  config.fc = 5;
  config.latent = 2;
  ConvVae vae(config);
  Rng init(10, 1);
  vae.init(init);
  MtRandom rng(89);
  const int batch = 2;
  const std::vector<float> x = uniform(rng, static_cast<std::size_t>(batch) * 64, 0.0f, 1.0f);
  vae.evaluate(x.data(), nullptr, batch, nullptr);  // z = μ
  const std::vector<float> mu(vae.last_mu(), vae.last_mu() + batch * 2);
  const std::vector<float> logits(vae.last_logits(), vae.last_logits() + batch * 64);
  std::vector<float> mu2(batch * 2), logvar2(batch * 2);
  vae.encode(x.data(), nullptr, batch, mu2.data(), logvar2.data());
  CHECK(mu2 == mu);
  const float* logits2 = vae.decode_logits(mu.data(), nullptr, batch);
  CHECK(std::vector<float>(logits2, logits2 + batch * 64) == logits);
}

TEST_CASE("conditional conv VAE gradients of every parameter match finite differences", "[gradcheck][conv-vae][conditional]") {
  ConvVaeConfig config;
  config.input = 64;  // 8 × 8
  config.channels = {2, 3};
  config.fc = 6;
  config.latent = 3;
  config.classes = 4;
  ConvVae vae(config);
  Rng init(11, 1);
  vae.init(init);
  REQUIRE(vae.conditional());
  // The label columns: the encoder's Linear reads 3·2·2 + 4 inputs, the decoder's first 3 + 4.
  CHECK(vae.parameters().find("encoder.fc.weight")->shape == std::vector<int>{6, 12 + 4});
  CHECK(vae.parameters().find("decoder.fc1.weight")->shape == std::vector<int>{6, 3 + 4});
  MtRandom rng(87);
  const int batch = 3;
  const std::vector<float> x = uniform(rng, static_cast<std::size_t>(batch) * config.input, 0.0f, 1.0f);
  const std::vector<float> eps = uniform(rng, static_cast<std::size_t>(batch) * config.latent, -2.0f, 2.0f);
  const std::vector<int> y = {3, 0, 3};

  GradCase c{"conditional conv VAE"};
  c.objective = [&] { return vae.compute_gradients(x.data(), y.data(), batch, eps.data()).total; };
  c.analytic = [&] { vae.compute_gradients(x.data(), y.data(), batch, eps.data()); };
  c.kinks = [&](Pattern& pattern) { vae.unit_states(batch, pattern); };
  c.wrt(vae.parameters());
  const GradReport report = check_gradients(c);
  CHECK(report.checked >= static_cast<int>(vae.parameters().count() * 9 / 10));
}

TEST_CASE("conditional conv VAE: the label changes the decoded image, and a missing label is refused", "[conv-vae][conditional]") {
  ConvVaeConfig config;
  config.input = 64;
  config.channels = {2};
  config.fc = 5;
  config.latent = 2;
  config.classes = 3;
  ConvVae vae(config);
  Rng init(12, 1);
  vae.init(init);
  const std::vector<float> z = {0.5f, -1.0f, 1.5f, 0.25f};
  const std::vector<int> y0 = {0, 0}, y2 = {2, 2};
  std::vector<float> a(2 * 64), b(2 * 64), mu(4), logvar(4);
  vae.decode(z.data(), y0.data(), 2, a.data());
  vae.decode(z.data(), y2.data(), 2, b.data());
  CHECK(a != b);
  CHECK_THROWS_AS(vae.decode(z.data(), nullptr, 2, a.data()), std::invalid_argument);
  CHECK_THROWS_AS(vae.encode(a.data(), nullptr, 2, mu.data(), logvar.data()), std::invalid_argument);
  vae.encode(a.data(), y2.data(), 2, mu.data(), logvar.data());
  std::vector<float> mu0(4);
  vae.encode(a.data(), y0.data(), 2, mu0.data(), logvar.data());
  CHECK(mu != mu0);
}
