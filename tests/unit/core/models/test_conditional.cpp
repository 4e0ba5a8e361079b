// Conditional VAE and GAN (classes > 0): every gradient against finite differences, the labels
// changing what is generated, the refusal of a missing label, and the "classes" metadata key.
#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <vector>

#include "latentlab/infer/generation.hpp"
#include "latentlab/models/gan.hpp"
#include "latentlab/models/registry.hpp"
#include "latentlab/models/vae.hpp"
#include "latentlab/nn/label_input.hpp"
#include "latentlab/rng.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

namespace {

VaeConfig small_cvae() {
  VaeConfig c;
  c.input = 12;
  c.hidden = {8};
  c.latent = 3;
  c.classes = 4;
  return c;
}

GanConfig small_cgan() {
  GanConfig c;
  c.image = 10;
  c.latent = 4;
  c.generator_hidden = {6, 8};
  c.discriminator_hidden = {7, 5};
  c.classes = 3;
  return c;
}

std::vector<float> with_labels(const float* x, const std::vector<int>& y, int features, int classes) {
  const LabelInput layer(features, classes);
  std::vector<float> out(y.size() * static_cast<std::size_t>(layer.width()));
  layer.forward(x, y.data(), static_cast<int>(y.size()), out.data());
  return out;
}

}  // namespace

TEST_CASE("conditional VAE gradients of every parameter match finite differences", "[gradcheck][vae][conditional]") {
  const VaeConfig config = small_cvae();
  Vae vae(config);
  Rng init(7, 1);
  vae.init(init);
  MtRandom rng(57);
  const int batch = 4;
  const std::vector<float> x = uniform(rng, static_cast<std::size_t>(batch) * config.input, 0.0f, 1.0f);
  const std::vector<float> eps = uniform(rng, static_cast<std::size_t>(batch) * config.latent, -2.0f, 2.0f);
  const std::vector<int> y = {3, 0, 1, 3};
  const std::vector<float> encoder_in = with_labels(x.data(), y, config.input, config.classes);

  GradCase c{"conditional VAE"};
  c.objective = [&] { return vae.compute_gradients(x.data(), y.data(), batch, eps.data()).total; };
  c.analytic = [&] { vae.compute_gradients(x.data(), y.data(), batch, eps.data()); };
  c.kinks = [&](Pattern& pattern) {
    mlp_kinks(vae.encoder(), encoder_in.data(), batch, pattern);
    const std::vector<float> decoder_in = with_labels(vae.last_z(), y, config.latent, config.classes);
    mlp_kinks(vae.decoder(), decoder_in.data(), batch, pattern);
  };
  c.wrt(vae.parameters());
  const GradReport report = check_gradients(c);
  CHECK(report.checked >= static_cast<int>(vae.parameters().count() * 9 / 10));
  // The label columns of the first layers' weights do get gradients (the labels are used).
  CHECK(vae.encoder().layers()[0].in() == config.input + config.classes);
  CHECK(vae.decoder().layers()[0].in() == config.latent + config.classes);
}

TEST_CASE("conditional GAN: D's gradients through L_D and G's through D match finite differences",
          "[gradcheck][gan][conditional]") {
  const GanConfig config = small_cgan();
  Gan gan(config);
  Rng init(3, 5);
  gan.init(init);
  MtRandom rng(63);
  const int batch = 4;
  const std::vector<int> y = {2, 0, 1, 2};
  const std::vector<float> z = uniform(rng, static_cast<std::size_t>(batch) * config.latent, -2.0f, 2.0f);
  const std::vector<float> real = uniform(rng, static_cast<std::size_t>(batch) * config.image, -1.0f, 1.0f);
  ParameterSet& g_params = gan.generator_parameters();
  ParameterSet& d_params = gan.discriminator_parameters();
  std::vector<float> real_logits(batch), fake_logits(batch), images(real.size());

  SECTION("discriminator_gradients: ∇_D L_D, real and fake images with their labels") {
    gan.set_fakes_from(z.data(), batch, y.data());
    const std::vector<float> fakes(gan.fakes(), gan.fakes() + real.size());
    const GanLosses losses = gan.discriminator_gradients(real.data());
    GradCase c{"conditional discriminator L_D"};
    c.objective = [&] {
      gan.discriminate(real.data(), y.data(), batch, real_logits.data());
      gan.discriminate(fakes.data(), y.data(), batch, fake_logits.data());
      double l = 0.0;
      for (int i = 0; i < batch; ++i) l += softplus_d(-double(real_logits[i])) + softplus_d(fake_logits[i]);
      return l / batch;
    };
    c.analytic = [&] { gan.discriminator_gradients(real.data()); };
    c.kinks = [&](Pattern& pattern) {
      mlp_kinks(gan.discriminator(), with_labels(real.data(), y, config.image, config.classes).data(), batch, pattern);
      mlp_kinks(gan.discriminator(), with_labels(fakes.data(), y, config.image, config.classes).data(), batch, pattern);
    };
    c.wrt(d_params);
    // D's first layer sees 2·batch rows of 13 inputs, one of them a one-hot 1: a ±h step in a
    // label column moves the pre-activations of every row of that class, so more coordinates
    // cross a LeakyReLU kink than in the unconditional check (25% here).
    c.max_skipped = 0.3;
    CHECK(losses.discriminator == Approx(c.objective()).epsilon(1e-6));
    const GradReport report = check_gradients(c);
    CHECK(report.checked >= static_cast<int>(d_params.count() * 7 / 10));
  }

  SECTION("generator_gradients: ∇_G L_G through D, labels into G and D") {
    GradCase c{"conditional generator L_G"};
    c.objective = [&] {
      gan.generate(z.data(), y.data(), batch, images.data());
      gan.discriminate(images.data(), y.data(), batch, fake_logits.data());
      double l = 0.0;
      for (int i = 0; i < batch; ++i) l += softplus_d(-double(fake_logits[i]));
      return l / batch;
    };
    c.analytic = [&] {
      gan.set_fakes_from(z.data(), batch, y.data());
      d_params.zero_grads();
      gan.generator_gradients();
    };
    c.kinks = [&](Pattern& pattern) {
      mlp_kinks(gan.generator(), with_labels(z.data(), y, config.latent, config.classes).data(), batch, pattern);
      mlp_kinks(gan.discriminator(), with_labels(images.data(), y, config.image, config.classes).data(), batch, pattern);
    };
    c.wrt(g_params);
    const GradReport report = check_gradients(c);
    CHECK(report.checked >= static_cast<int>(g_params.count() * 9 / 10));
    for (std::size_t i = 0; i < d_params.size(); ++i) REQUIRE(d_params.grads()[i] == 0.0f);
  }
}

TEST_CASE("a conditional model's images depend on the label, and a missing label is refused", "[conditional]") {
  Vae vae(small_cvae());
  Gan gan(small_cgan());
  Rng init(11, 2);
  vae.init(init);
  gan.init(init);
  for (GenerativeModel* model : {static_cast<GenerativeModel*>(&vae), static_cast<GenerativeModel*>(&gan)}) {
    REQUIRE(model->conditional());
    const int n = 2, image = model->image_size();
    std::vector<float> z(static_cast<std::size_t>(n) * model->latent_dim());
    sample_latents(5, z.data(), z.size());
    std::vector<float> a(static_cast<std::size_t>(n) * image), b(a.size()), again(a.size());
    const std::vector<int> y0 = {0, 0}, y1 = {1, 1};
    model->decode(z.data(), y0.data(), n, a.data());
    model->decode(z.data(), y1.data(), n, b.data());
    model->decode(z.data(), y0.data(), n, again.data());
    CHECK(a != b);
    CHECK(a == again);
    CHECK_THROWS_AS(model->decode(z.data(), nullptr, n, a.data()), std::invalid_argument);

    // ImageDecoder's packed path takes the labels the same way (within a few ulps natively).
    ImageDecoder decoder(*model);
    std::vector<float> packed(a.size());
    decoder.decode(z.data(), y1.data(), n, packed.data());
    for (std::size_t i = 0; i < packed.size(); ++i) CHECK(packed[i] == Approx(b[i]).margin(1e-5));
  }
  std::vector<float> x(12, 0.5f), mu(3), logvar(3);
  CHECK_THROWS_AS(vae.encode(x.data(), nullptr, 1, mu.data(), logvar.data()), std::invalid_argument);
}

TEST_CASE("cycle_labels asks image k for class k mod classes", "[conditional]") {
  std::vector<int> labels(7, -1);
  cycle_labels(3, 7, labels.data());
  CHECK(labels == std::vector<int>{0, 1, 2, 0, 1, 2, 0});
}

TEST_CASE("the classes metadata key: written only for a conditional model, read back, range-checked",
          "[registry][conditional]") {
  VaeConfig plain;
  CHECK(config_metadata(plain).count("classes") == 0);
  CHECK(config_metadata(GanConfig{}).count("classes") == 0);

  VaeConfig vc = small_cvae();
  const Metadata vm = config_metadata(vc);
  REQUIRE(vm.at("classes") == "4");
  CHECK(vae_config_from_metadata(vm).value().classes == 4);
  GanConfig gc = small_cgan();
  const Metadata gm = config_metadata(gc);
  REQUIRE(gm.at("classes") == "3");
  CHECK(gan_config_from_metadata(gm).value().classes == 3);

  Metadata bad = vm;
  for (const char* value : {"1", "0", "257", "x", "-3"}) {
    bad["classes"] = value;
    const auto parsed = vae_config_from_metadata(bad);
    REQUIRE_FALSE(parsed);
    CHECK_THAT(parsed.error(), Catch::Contains("classes"));
  }
  // The size check counts the label columns: hidden·classes weights in the encoder's and the
  // decoder's first layer.
  const ModelKind* kind = find_model_kind("vae");
  REQUIRE(kind);
  VaeConfig unconditional = small_cvae();
  unconditional.classes = 0;
  const auto with = kind->check(vm), without = kind->check(config_metadata(unconditional));
  REQUIRE(with);
  REQUIRE(without);
  CHECK(with.value() - without.value() == static_cast<std::uint64_t>(8 * 4 + 8 * 4));
  std::unique_ptr<Model> built(kind->build(vm));
  CHECK(built->parameter_count() == with.value());
}
