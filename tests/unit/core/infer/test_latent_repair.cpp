// The latent repair's objective and dL/dz (infer/latent_repair.hpp): against
// torch.autograd.grad on the PyTorch VAE twin (tests/reference/make_latent_repair_fixture.py),
// against finite differences of L itself, and that gradient steps from the encoder's guess
// lower the error on the pixels that were erased.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "latentlab/infer/latent_repair.hpp"
#include "latentlab/models/vae.hpp"
#include "latentlab/nn/adam.hpp"
#include "latentlab/rng.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

TEST_CASE("Latent repair: L and dL/dz match PyTorch on a conditional VAE", "[repair][pytorch]") {
  const json doc = load_fixture("latent_repair_reference.json");
  VaeConfig config;
  config.input = doc["input"].get<int>();
  config.hidden = doc["hidden"].get<std::vector<int>>();
  config.latent = doc["latent"].get<int>();
  config.classes = doc["classes"].get<int>();
  Vae vae(config);
  set_parameters(vae.parameters(), doc["parameters"]);
  const std::vector<float> x = floats(doc["x"]), mask = floats(doc["mask"]), z = floats(doc["z"]);
  const std::vector<int> labels = doc["labels"].get<std::vector<int>>();
  const int n = static_cast<int>(labels.size());
  const float prior = doc["prior"].get<float>();

  LatentRepair repair(vae.decoder(), config.latent, config.classes);
  std::vector<float> grad(z.size());
  const RepairLoss loss = repair.gradient(z.data(), labels.data(), n, x.data(), mask.data(), prior, grad.data());
  check_close("logits", vae.decoder().output(), floats(doc["logits"]), 1e-6, 1e-5);
  check_close("Σ m ⊙ BCE", loss.reconstruction, doc["reconstruction"].get<double>(), 1e-6, 1e-5);
  check_close("½ λ ‖z‖²", loss.prior, doc["prior_term"].get<double>(), 1e-6, 1e-5);
  check_close("dL/dz", grad.data(), floats(doc["grad_z"]), 1e-6, 1e-5);
}

TEST_CASE("Latent repair: dL/dz matches finite differences", "[repair][gradcheck]") {
  MtRandom values(21);
  VaeConfig config;
  config.input = 10;
  config.hidden = {8, 6};
  config.latent = 4;
  Vae vae(config);
  Rng init(4, 1);
  vae.init(init);
  const int n = 3;
  std::vector<float> z = uniform(values, static_cast<std::size_t>(n) * config.latent, -1.5f, 1.5f);
  const std::vector<float> x = uniform(values, static_cast<std::size_t>(n) * config.input, 0.0f, 1.0f);
  std::vector<float> mask = uniform(values, x.size(), 0.0f, 1.0f);
  for (float& m : mask) m = m < 0.4f ? 0.0f : m;  // missing pixels and fractional weights
  std::vector<float> grad(z.size());
  LatentRepair repair(vae.decoder(), config.latent, 0);

  GradCase c{"latent repair"};
  c.objective = [&] {
    std::vector<float> scratch(z.size());
    return repair.gradient(z.data(), nullptr, n, x.data(), mask.data(), 0.5f, scratch.data()).total();
  };
  c.analytic = [&] { repair.gradient(z.data(), nullptr, n, x.data(), mask.data(), 0.5f, grad.data()); };
  c.kinks = [&](Pattern& p) { mlp_kinks(vae.decoder(), z.data(), n, p); };
  c.wrt("z", z.data(), grad.data(), z.size());
  const GradReport report = check_gradients(c);
  CHECK(report.checked > 0);
}

TEST_CASE("Latent repair: pixels with weight 0 do not move z, and a wrong decoder is refused", "[repair]") {
  MtRandom values(3);
  VaeConfig config;
  config.input = 9;
  config.hidden = {5};
  config.latent = 2;
  Vae vae(config);
  Rng init(2, 1);
  vae.init(init);
  const std::vector<float> z = {0.3f, -0.8f};
  std::vector<float> x = uniform(values, 9, 0.0f, 1.0f), mask(9, 1.0f);
  mask[4] = 0.0f;
  LatentRepair repair(vae.decoder(), 2, 0);
  std::vector<float> g1(2), g2(2);
  repair.gradient(z.data(), nullptr, 1, x.data(), mask.data(), 1.0f, g1.data());
  x[4] = 1.0f - x[4];  // change only the missing pixel
  repair.gradient(z.data(), nullptr, 1, x.data(), mask.data(), 1.0f, g2.data());
  CHECK(g1 == g2);
  // With every weight 0 only the prior acts: dL/dz = λ z.
  std::vector<float> none(9, 0.0f);
  const RepairLoss loss = repair.gradient(z.data(), nullptr, 1, x.data(), none.data(), 2.0f, g1.data());
  CHECK(loss.reconstruction == 0.0);
  CHECK(g1[0] == Approx(0.6f));
  CHECK(g1[1] == Approx(-1.6f));
  CHECK_THROWS(LatentRepair(vae.decoder(), 3, 0));
}
