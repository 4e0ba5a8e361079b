// GAN objectives (nn/gan_objectives.hpp): values and gradients against PyTorch's autograd
// (tests/reference/make_gan_objectives_fixture.py) and gradients against finite differences.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "latentlab/nn/gan_objectives.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

namespace {
const GanObjective kAll[] = {GanObjective::Bce, GanObjective::LeastSquares, GanObjective::Hinge,
                             GanObjective::Wasserstein};
}

TEST_CASE("GAN objectives match PyTorch: losses and gradients", "[gan_objectives][pytorch]") {
  const json doc = load_fixture("gan_objectives_reference.json");
  const std::vector<float> real = floats(doc["real"]), fake = floats(doc["fake"]);
  const std::size_t n = real.size();
  REQUIRE(fake.size() == n);
  for (GanObjective objective : kAll) {
    const std::string name = gan_objective_name(objective);
    INFO("objective " << name);
    const json& ref = doc["objectives"][name];
    REQUIRE(ref.is_object());
    std::vector<float> grad_real(n, -7.0f), grad_fake(n, -7.0f), grad_g(n, -7.0f);
    const double ld = discriminator_loss(objective, real.data(), fake.data(), n, grad_real.data(), grad_fake.data());
    const double lg = generator_loss(objective, fake.data(), n, grad_g.data());
    check_close(name + " L_D", ld, ref["d_loss"].get<double>(), 1e-6, 1e-6);
    check_close(name + " L_G", lg, ref["g_loss"].get<double>(), 1e-6, 1e-6);
    check_close(name + " dL_D/ds_real", grad_real.data(), floats(ref["d_grad_real"]), 1e-7, 1e-6);
    check_close(name + " dL_D/ds_fake", grad_fake.data(), floats(ref["d_grad_fake"]), 1e-7, 1e-6);
    check_close(name + " dL_G/ds_fake", grad_g.data(), floats(ref["g_grad_fake"]), 1e-7, 1e-6);
    // Without gradient buffers the loss is the same.
    CHECK(discriminator_loss(objective, real.data(), fake.data(), n, nullptr, nullptr) == ld);
    CHECK(generator_loss(objective, fake.data(), n, nullptr) == lg);
  }
}

TEST_CASE("GAN objective gradients match finite differences", "[gan_objectives][gradcheck]") {
  MtRandom rng(11);
  const std::size_t n = 16;
  std::vector<float> real = uniform(rng, n, -3.0f, 3.0f), fake = uniform(rng, n, -3.0f, 3.0f);
  // Keep every score away from hinge's kinks at ±1, where the loss has no derivative.
  for (float* s : {real.data(), fake.data()})
    for (std::size_t i = 0; i < n; ++i)
      if (std::abs(std::abs(s[i]) - 1.0f) < 0.1f) s[i] += 0.25f;
  for (GanObjective objective : kAll) {
    std::vector<float> grad_real(n), grad_fake(n), grad_g(n);
    GradCase d{std::string("L_D ") + gan_objective_name(objective)};
    d.objective = [&] { return discriminator_loss(objective, real.data(), fake.data(), n, nullptr, nullptr); };
    d.analytic = [&] { discriminator_loss(objective, real.data(), fake.data(), n, grad_real.data(), grad_fake.data()); };
    d.wrt("real scores", real.data(), grad_real.data(), n);
    d.wrt("fake scores", fake.data(), grad_fake.data(), n);
    check_gradients(d);
    GradCase g{std::string("L_G ") + gan_objective_name(objective)};
    g.objective = [&] { return generator_loss(objective, fake.data(), n, nullptr); };
    g.analytic = [&] { generator_loss(objective, fake.data(), n, grad_g.data()); };
    g.wrt("fake scores", fake.data(), grad_g.data(), n);
    check_gradients(g);
  }
}

TEST_CASE("GAN objective names round-trip and unknown names are refused", "[gan_objectives]") {
  for (GanObjective objective : kAll) {
    const auto parsed = parse_gan_objective(gan_objective_name(objective));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == objective);
    CHECK(std::string(gan_objective_names()).find(gan_objective_name(objective)) != std::string::npos);
  }
  CHECK_FALSE(parse_gan_objective("wgan").has_value());
  CHECK_FALSE(parse_gan_objective("").has_value());
  CHECK_FALSE(parse_gan_objective("BCE").has_value());
  CHECK(scores_are_probabilities(GanObjective::Bce));
  CHECK_FALSE(scores_are_probabilities(GanObjective::Hinge));
}
