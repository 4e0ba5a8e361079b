// The DCGAN's backward passes (Dcgan::discriminator_gradients, generator_gradients: convolutions,
// transposed convolutions, BatchNorm on batch statistics, the losses) against finite differences
// of its losses, every parameter (support/gradcheck.hpp); its configuration checks.
#include <catch2/catch.hpp>
#include <functional>

#include <stdexcept>
#include <string>
#include <vector>

#include "latentlab/models/dcgan.hpp"
#include "latentlab/rng.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

namespace {
// Every parameter (not the alignment padding) ~ U(−0.5, 0.5).
void fill_uniform(ParameterSet& set, MtRandom& rng) {
  for (const TensorInfo& t : set.tensors())
    for (std::size_t i = 0; i < t.size; ++i) set.values()[t.offset + i] = rng.uniform(-0.5f, 0.5f);
}

// Hundreds of ReLU / LeakyReLU units, all moved by every parameter through BatchNorm: at the
// default h = 1e-2 most coordinates would cross some kink. A 10× smaller step crosses 10× fewer;
// its rounding noise (float32 L ≈ 1, ~1e-7 / 2h ≈ 5e-5) is covered by the scale term. The D
// case's real-batch pass is not in unit_states (only the last D pass is kept): a crossing there
// would fail the comparison rather than be skipped, and the fixed seeds here have none.
void narrow_steps(GradCase& c) {
  c.h = 1e-3f;
  c.tolerance = {0.0, 1e-2, 5e-3};
  c.max_skipped = 0.25;
}

DcganConfig small_dcgan() {
  DcganConfig c;
  c.image = 64;  // 8 × 8: G 2×2 → 4×4 → 8×8, D 8×8 → 4×4 → 2×2
  c.latent = 3;
  c.generator_channels = {4, 3};
  c.discriminator_channels = {3, 4};
  return c;
}
}  // namespace

TEST_CASE("DCGAN discriminator gradients of every parameter match finite differences", "[gradcheck][dcgan]") {
  Dcgan gan(small_dcgan());
  Rng init(5, 2);
  gan.init(init);
  // N(0, 0.02) weights make every gradient tiny next to the rounding of L: larger ones here.
  MtRandom rng(71);
  ParameterSet& d = gan.discriminator_parameters();
  fill_uniform(d, rng);
  const int batch = 4;
  const std::vector<float> z = uniform(rng, static_cast<std::size_t>(batch) * 3, -2.0f, 2.0f);
  const std::vector<float> real = uniform(rng, static_cast<std::size_t>(batch) * 64, -1.0f, 1.0f);

  GradCase c{"DCGAN L_D"};
  c.objective = [&] {
    gan.set_fakes_from(z.data(), batch);
    return gan.discriminator_gradients(real.data()).discriminator;
  };
  c.analytic = [&] { c.objective(); };
  c.kinks = [&](Pattern& pattern) { gan.unit_states(batch, pattern); };
  narrow_steps(c);
  c.wrt(d);
  const GradReport report = check_gradients(c);
  CHECK(report.checked >= static_cast<int>(d.count() * 3 / 4));
}

TEST_CASE("DCGAN generator gradients through the discriminator match finite differences", "[gradcheck][dcgan]") {
  Dcgan gan(small_dcgan());
  Rng init(6, 2);
  gan.init(init);
  MtRandom rng(73);
  fill_uniform(gan.generator_parameters(), rng);
  fill_uniform(gan.discriminator_parameters(), rng);
  const int batch = 4;
  const std::vector<float> z = uniform(rng, static_cast<std::size_t>(batch) * 3, -2.0f, 2.0f);
  ParameterSet& g = gan.generator_parameters();
  const std::vector<float> d_grads_before(gan.discriminator_parameters().grads(),
                                          gan.discriminator_parameters().grads() + gan.discriminator_parameters().size());

  GradCase c{"DCGAN L_G"};
  c.objective = [&] {
    gan.set_fakes_from(z.data(), batch);
    return gan.generator_gradients();
  };
  c.analytic = [&] { c.objective(); };
  c.kinks = [&](Pattern& pattern) { gan.unit_states(batch, pattern); };
  narrow_steps(c);
  c.wrt(g);
  const GradReport report = check_gradients(c);
  CHECK(report.checked >= static_cast<int>(g.count() * 3 / 4));
  // The G step takes only dL/dfakes from D: D's parameter gradients are left as they were.
  const std::vector<float> d_grads_after(gan.discriminator_parameters().grads(),
                                         gan.discriminator_parameters().grads() + gan.discriminator_parameters().size());
  CHECK(d_grads_after == d_grads_before);
}

TEST_CASE("DCGAN: decode uses the running statistics, so an image does not depend on its batch", "[dcgan]") {
  Dcgan gan(small_dcgan());
  Rng init(7, 2);
  gan.init(init);
  MtRandom rng(79);
  // Move the running statistics away from (0, 1) with a few training-mode passes.
  for (int i = 0; i < 3; ++i) {
    const std::vector<float> z = uniform(rng, 6 * 3, -2.0f, 2.0f);
    gan.set_fakes_from(z.data(), 6);
  }
  const std::vector<float> z = uniform(rng, 5 * 3, -2.0f, 2.0f);
  std::vector<float> all(5 * 64), one(64);
  gan.decode(z.data(), nullptr, 5, all.data());
  gan.decode(z.data() + 2 * 3, nullptr, 1, one.data());
  CHECK(std::vector<float>(all.begin() + 2 * 64, all.begin() + 3 * 64) == one);
  for (float p : all) REQUIRE((p >= 0.0f && p <= 1.0f));
}

TEST_CASE("DCGAN refuses an image side its stride-2 stacks cannot reach", "[dcgan]") {
  DcganConfig c = small_dcgan();
  c.image = 36;  // 6 × 6: not divisible by 4
  CHECK_THROWS_AS(Dcgan(c), std::invalid_argument);
  c.image = 63;  // not a square
  CHECK_THROWS_AS(Dcgan(c), std::invalid_argument);
  CHECK(stride2_stack_problem(784, 2).empty());
  CHECK(stride2_stack_problem(784, 3).find("divisible by 8") != std::string::npos);
}

// ---- conditional (G: [z | onehot(y)], D: projection) ----

namespace {
DcganConfig small_cdcgan() {
  DcganConfig c = small_dcgan();
  c.classes = 3;
  return c;
}

// Finite-difference checks of L_D over D's parameters and of L_G over G's (through D) for a small
// conditional DCGAN of `config` (seeded as every test here); `check_shapes` sees its parameters first.
void check_conditional_gradients(const DcganConfig& config, const std::string& name,
                                 const std::function<void(ParameterSet& g, ParameterSet& d)>& check_shapes) {
  Dcgan gan(config);
  Rng init(8, 2);
  gan.init(init);
  MtRandom rng(97);
  fill_uniform(gan.generator_parameters(), rng);
  fill_uniform(gan.discriminator_parameters(), rng);
  const int batch = 4;
  const std::vector<int> y = {2, 0, 2, 1};
  const std::vector<float> z = uniform(rng, static_cast<std::size_t>(batch) * 3, -2.0f, 2.0f);
  const std::vector<float> real = uniform(rng, static_cast<std::size_t>(batch) * 64, -1.0f, 1.0f);
  ParameterSet& d = gan.discriminator_parameters();
  ParameterSet& g = gan.generator_parameters();
  check_shapes(g, d);

  SECTION("discriminator_gradients") {
    GradCase c{name + " L_D"};
    c.objective = [&] {
      gan.set_fakes_from(z.data(), batch, y.data());
      return gan.discriminator_gradients(real.data()).discriminator;
    };
    c.analytic = [&] { c.objective(); };
    c.kinks = [&](Pattern& pattern) { gan.unit_states(batch, pattern); };
    narrow_steps(c);
    c.wrt(d);
    const GradReport report = check_gradients(c);
    CHECK(report.checked >= static_cast<int>(d.count() * 3 / 4));
  }
  SECTION("generator_gradients") {
    GradCase c{name + " L_G"};
    c.objective = [&] {
      gan.set_fakes_from(z.data(), batch, y.data());
      return gan.generator_gradients();
    };
    c.analytic = [&] { c.objective(); };
    c.kinks = [&](Pattern& pattern) { gan.unit_states(batch, pattern); };
    narrow_steps(c);
    c.wrt(g);
    const GradReport report = check_gradients(c);
    CHECK(report.checked >= static_cast<int>(g.count() * 3 / 4));
  }
}
}  // namespace

TEST_CASE("conditional DCGAN: D's gradients (projection included) and G's through D match finite differences",
          "[gradcheck][dcgan][conditional]") {
  check_conditional_gradients(small_cdcgan(), "conditional DCGAN", [](ParameterSet& g, ParameterSet& d) {
    REQUIRE(d.find("discriminator.embed.weight"));
    CHECK(d.find("discriminator.embed.weight")->shape == std::vector<int>{3, 4 * 2 * 2});
    CHECK(g.find("generator.fc.weight")->shape[1] == 3 + 3);
  });
}

TEST_CASE("conditional DCGAN: the label changes the image and D's logit, and a missing label is refused",
          "[dcgan][conditional]") {
  Dcgan gan(small_cdcgan());
  Rng init(9, 2);
  gan.init(init);
  REQUIRE(gan.conditional());
  MtRandom rng(101);
  // DCGAN init draws E ~ N(0, 0.02): larger values so that the class term is visible.
  fill_uniform(gan.discriminator_parameters(), rng);
  const std::vector<float> z = uniform(rng, 2 * 3, -2.0f, 2.0f);
  const std::vector<int> y0 = {0, 0}, y1 = {1, 1};
  std::vector<float> a(2 * 64), b(2 * 64), logits_a(2), logits_b(2);
  gan.decode(z.data(), y0.data(), 2, a.data());
  gan.decode(z.data(), y1.data(), 2, b.data());
  CHECK(a != b);
  gan.discriminate(a.data(), y0.data(), 2, logits_a.data());
  gan.discriminate(a.data(), y1.data(), 2, logits_b.data());
  CHECK(logits_a != logits_b);
  CHECK_THROWS_AS(gan.decode(z.data(), nullptr, 2, a.data()), std::invalid_argument);
  CHECK_THROWS_AS(gan.discriminate(a.data(), nullptr, 2, logits_a.data()), std::invalid_argument);
  CHECK_THROWS_AS(gan.set_fakes_from(z.data(), 2, nullptr), std::invalid_argument);
}

// ---- conditional with label channels (D: Conv(1 + classes → d₁) on [x | label planes]) ----

namespace {
DcganConfig small_channels_dcgan() {
  DcganConfig c = small_cdcgan();
  c.discriminator_conditioning = DiscriminatorConditioning::Channels;
  return c;
}
}  // namespace

// L_G's gradient reaches the fakes as the image channel of conv1's input gradient.
TEST_CASE("conditional DCGAN with label channels: D's gradients and G's through D match finite differences",
          "[gradcheck][dcgan][conditional]") {
  check_conditional_gradients(small_channels_dcgan(), "label-channel DCGAN", [](ParameterSet&, ParameterSet& d) {
    CHECK_FALSE(d.find("discriminator.embed.weight"));
    REQUIRE(d.find("discriminator.conv1.weight"));
    CHECK(d.find("discriminator.conv1.weight")->shape == std::vector<int>{3, 1 + 3, 4, 4});
  });
}

TEST_CASE("conditional DCGAN with label channels: the label changes D's logit, a missing one is refused",
          "[dcgan][conditional]") {
  Dcgan gan(small_channels_dcgan());
  Rng init(9, 2);
  gan.init(init);
  MtRandom rng(103);
  fill_uniform(gan.discriminator_parameters(), rng);
  const std::vector<float> images = uniform(rng, 2 * 64, -1.0f, 1.0f);
  const std::vector<int> y0 = {0, 0}, y1 = {1, 1}, y2 = {2, 2};
  std::vector<float> l0(2), l1(2), l2(2);
  gan.discriminate(images.data(), y0.data(), 2, l0.data());
  gan.discriminate(images.data(), y1.data(), 2, l1.data());
  gan.discriminate(images.data(), y2.data(), 2, l2.data());
  CHECK(l0 != l1);
  CHECK(l1 != l2);
  std::vector<float> again(2);
  gan.discriminate(images.data(), y1.data(), 2, again.data());
  CHECK(again == l1);
  CHECK_THROWS_AS(gan.discriminate(images.data(), nullptr, 2, l0.data()), std::invalid_argument);
  CHECK(discriminator_conditioning_name(DiscriminatorConditioning::Channels) == std::string("channels"));
  CHECK(parse_discriminator_conditioning("channels") == DiscriminatorConditioning::Channels);
  CHECK(parse_discriminator_conditioning("projection") == DiscriminatorConditioning::Projection);
  CHECK_FALSE(parse_discriminator_conditioning("concat"));
}
