// The VAE's backward pass (Vae::compute_gradients: encoder, heads, reparameterisation, decoder,
// both loss terms) against finite differences of its loss, every parameter (support/gradcheck.hpp).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "latentlab/models/vae.hpp"
#include "latentlab/nn/parameters.hpp"
#include "latentlab/rng.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

TEST_CASE("VAE gradients of every parameter match finite differences", "[gradcheck][vae]") {
  for (const std::vector<int>& hidden : {std::vector<int>{8}, std::vector<int>{8, 6}}) {
    SECTION("hidden " + std::to_string(hidden.size()) + " layer(s)") {
      VaeConfig config;
      config.input = 12;
      config.hidden = hidden;
      config.latent = 3;
      config.beta = hidden.size() == 1 ? 1.0f : 0.5f;
      Vae vae(config);
      Rng init(7, 1);
      vae.init(init);
      MtRandom rng(53);
      const int batch = 4;
      std::vector<float> x = uniform(rng, static_cast<std::size_t>(batch) * config.input, 0.0f, 1.0f);
      x[0] = 0.0f;
      x[1] = 1.0f;
      const std::vector<float> eps = uniform(rng, static_cast<std::size_t>(batch) * config.latent, -2.0f, 2.0f);

      GradCase c{"VAE hidden " + std::to_string(hidden.size())};
      c.objective = [&] { return vae.compute_gradients(x.data(), batch, eps.data()).total; };
      c.analytic = [&] { vae.compute_gradients(x.data(), batch, eps.data()); };
      c.kinks = [&](Pattern& pattern) {
        mlp_kinks(vae.encoder(), x.data(), batch, pattern);
        mlp_kinks(vae.decoder(), vae.last_z(), batch, pattern);
      };
      c.wrt(vae.parameters());
      const GradReport report = check_gradients(c);
      CHECK(report.checked >= static_cast<int>(vae.parameters().count() * 9 / 10));
    }
  }
}
