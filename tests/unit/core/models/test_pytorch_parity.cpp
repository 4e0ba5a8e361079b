// PyTorch parity: the VAE and GAN, given the weights and inputs of
// tests/fixtures/{vae,gan}_reference.json (and their conditional versions,
// {vae,gan}_conditional_reference.json, with config.classes and the batch's labels), must reproduce what PyTorch 1.13 computed with plain
// torch ops and models.py (tests/reference/make_reference_fixtures.py): forward values, losses, every
// parameter gradient, and the parameters after Adam / AdamW steps.
//
// Tolerances: a value v passes when |ours − v| ≤ abs + rel·|v|.
//   activations (μ, logvar, z, logits, fakes)  abs 1e-5 + rel 1e-4
//       O(1) values after a few float32 dot products of length ≤ 12; torch and we sum in a
//       different order (and we may use FMA), each rounding is ~6e-8 relative.
//   summed / averaged losses and D scores       abs 1e-5 + rel 1e-5
//       float32 terms; we accumulate in double, torch in float32 (error ≲ n·6e-8 relative for n ≤ 60).
//   gradients                                   abs 1e-5 + rel 1e-4
//       sums over the batch of products of O(1) values; abs covers sums that cancel to ~0.
//   parameters after Adam / AdamW steps        abs 1e-5 + rel 1e-4
//       each step moves a weight by ±lr·m̂/(√v̂+ε) ≈ 0.01; the fixture has no gradient so small
//       that rounding could flip its sign (which would move a weight by 2·lr).
// The fixture script computes every value in float32 and in float64 and asserts that torch's own
// float32 error uses at most a quarter of these tolerances (it uses < 1%: see the
// fp32_vs_fp64_worst_fraction_of_tolerance fields), so they leave room for our different rounding
// while a wrong formula (a missing ½, a transposed weight, a lost bias correction) fails by
// orders of magnitude. The same numbers are in make_reference_fixtures.py.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "latentlab/nn/adam.hpp"
#include "latentlab/models/gan.hpp"
#include "latentlab/models/vae.hpp"
#include "support/fixtures.hpp"
#include "support/parity.hpp"

using namespace latentlab;
using namespace latentlab::test;

namespace {

VaeConfig vae_config(const json& c) {
  VaeConfig config;
  config.input = c.at("input").get<int>();
  config.hidden = c.at("hidden").get<std::vector<int>>();
  config.latent = c.at("latent").get<int>();
  config.beta = static_cast<float>(c.at("beta").get<double>());
  config.classes = c.value("classes", 0);
  return config;
}

GanConfig gan_config(const json& c) {
  GanConfig config;
  config.image = c.at("image").get<int>();
  config.latent = c.at("latent").get<int>();
  config.generator_hidden = c.at("generator_hidden").get<std::vector<int>>();
  config.discriminator_hidden = c.at("discriminator_hidden").get<std::vector<int>>();
  config.leaky_slope = static_cast<float>(c.at("leaky_slope").get<double>());
  config.classes = c.value("classes", 0);
  return config;
}

std::string vae_label(const json& c) {
  std::string hidden;
  for (int h : c.at("config").at("hidden").get<std::vector<int>>()) hidden += (hidden.empty() ? "" : ",") + std::to_string(h);
  return "VAE hidden [" + hidden + "] beta " + std::to_string(c.at("config").at("beta").get<double>());
}

// A conditional case's labels (a fixture's "labels"), empty for an unconditional one.
std::vector<int> labels_of(const json& c) {
  return c.contains("labels") ? c.at("labels").get<std::vector<int>>() : std::vector<int>();
}
const int* or_null(const std::vector<int>& v) { return v.empty() ? nullptr : v.data(); }

// Adam (or AdamW) for `steps` steps on the same batch, checking the loss before each step.
void check_vae_optimizer(const json& c, const char* key) {
  const json& opt = c.at(key);
  Vae vae(vae_config(c.at("config")));
  set_parameters(vae.parameters(), c.at("parameters"));
  const int batch = c.at("batch").get<int>();
  const std::vector<float> x = floats(c.at("x")), eps = floats(c.at("eps"));
  const std::vector<int> labels = labels_of(c);
  const std::vector<float> losses = floats(opt.at("losses"));
  const int steps = opt.at("steps").get<int>();
  REQUIRE(losses.size() == static_cast<std::size_t>(steps));
  ParameterSet& params = vae.parameters();
  Adam adam(params.size(), adam_config(opt));
  for (int t = 0; t < steps; ++t) {
    const VaeLosses l = vae.compute_gradients(x.data(), or_null(labels), batch, eps.data());
    check_close(std::string(key) + " loss before step " + std::to_string(t + 1), l.total, losses[t], kLossAbs,
                kLossRel);
    adam.step(params.values(), params.grads());
  }
  CHECK(adam.steps() == steps);
  check_tensors(std::string(key) + " parameters after " + std::to_string(steps) + " steps", params, params.values(),
                opt.at("parameters"), kParamAbs, kParamRel);
}

void check_vae_forward(const char* fixture, std::size_t cases) {
  const json doc = load_fixture(fixture);
  check_fixture_tolerances(doc);
  REQUIRE(doc.at("cases").size() == cases);
  for (const json& c : doc.at("cases")) {
    SECTION(vae_label(c)) {
      Vae vae(vae_config(c.at("config")));
      set_parameters(vae.parameters(), c.at("parameters"));
      const int batch = c.at("batch").get<int>();
      const std::vector<float> x = floats(c.at("x")), eps = floats(c.at("eps"));
      const std::vector<int> labels = labels_of(c);
      const auto& config = vae.config();
      REQUIRE(x.size() == static_cast<std::size_t>(batch) * config.input);
      REQUIRE(eps.size() == static_cast<std::size_t>(batch) * config.latent);
      REQUIRE(labels.size() == (config.classes > 0 ? static_cast<std::size_t>(batch) : 0u));

      const VaeLosses losses = vae.compute_gradients(x.data(), or_null(labels), batch, eps.data());
      check_close("mu", vae.last_mu(), floats(c.at("mu")), kActAbs, kActRel);
      check_close("logvar", vae.last_logvar(), floats(c.at("logvar")), kActAbs, kActRel);
      check_close("z", vae.last_z(), floats(c.at("z")), kActAbs, kActRel);
      check_close("logits", vae.last_logits(), floats(c.at("logits")), kActAbs, kActRel);
      check_close("reconstruction", losses.reconstruction, c.at("recon").get<double>(), kLossAbs, kLossRel);
      check_close("kl", losses.kl, c.at("kl").get<double>(), kLossAbs, kLossRel);
      check_close("total", losses.total, c.at("loss").get<double>(), kLossAbs, kLossRel);
      check_tensors("gradient", vae.parameters(), vae.parameters().grads(), c.at("gradients"), kGradAbs, kGradRel);
    }
  }
}

void check_vae_optimizers(const char* fixture) {
  const json doc = load_fixture(fixture);
  for (const json& c : doc.at("cases")) {
    SECTION(vae_label(c) + " Adam") { check_vae_optimizer(c, "adam"); }
    SECTION(vae_label(c) + " AdamW") {
      REQUIRE(c.at("adamw").at("weight_decay").get<double>() > 0.0);
      check_vae_optimizer(c, "adamw");
    }
  }
}

void check_gan_iterations(const char* fixture) {
  const json doc = load_fixture(fixture);
  check_fixture_tolerances(doc);
  Gan gan(gan_config(doc.at("config")));
  ParameterSet& g_params = gan.generator_parameters();
  ParameterSet& d_params = gan.discriminator_parameters();
  set_parameters(g_params, doc.at("generator_parameters"));
  set_parameters(d_params, doc.at("discriminator_parameters"));
  const int batch = doc.at("batch").get<int>();
  const std::vector<float> z = floats(doc.at("z")), real = floats(doc.at("real"));
  const std::vector<int> labels = labels_of(doc);
  REQUIRE(z.size() == static_cast<std::size_t>(batch) * gan.config().latent);
  REQUIRE(real.size() == static_cast<std::size_t>(batch) * gan.config().image);
  REQUIRE(labels.size() == (gan.config().classes > 0 ? static_cast<std::size_t>(batch) : 0u));
  const AdamConfig adam = adam_config(doc.at("adam"));
  Adam adam_g(g_params.size(), adam), adam_d(d_params.size(), adam);

  // Iteration 1, step by step.
  const json& first = doc.at("first_iteration");
  gan.set_fakes_from(z.data(), batch, or_null(labels));
  check_close("fakes", gan.fakes(), floats(first.at("fakes")), kActAbs, kActRel);
  const GanLosses d_losses = gan.discriminator_gradients(real.data());
  check_close("L_D", d_losses.discriminator, first.at("loss_d").get<double>(), kLossAbs, kLossRel);
  check_close("real score", d_losses.real_score, first.at("real_score").get<double>(), kLossAbs, kLossRel);
  check_close("fake score", d_losses.fake_score, first.at("fake_score").get<double>(), kLossAbs, kLossRel);
  check_tensors("D gradient", d_params, d_params.grads(), first.at("discriminator_gradients"), kGradAbs, kGradRel);
  adam_d.step(d_params.values(), d_params.grads());
  check_tensors("D after one Adam step", d_params, d_params.values(), first.at("discriminator_parameters_after_adam"),
                kParamAbs, kParamRel);

  // generator_gradients must leave D's parameter gradients as they were.
  const std::vector<float> d_grads_before(d_params.grads(), d_params.grads() + d_params.size());
  const double loss_g = gan.generator_gradients();
  CHECK(std::vector<float>(d_params.grads(), d_params.grads() + d_params.size()) == d_grads_before);
  check_close("L_G", loss_g, first.at("loss_g").get<double>(), kLossAbs, kLossRel);
  check_tensors("G gradient", g_params, g_params.grads(), first.at("generator_gradients"), kGradAbs, kGradRel);
  adam_g.step(g_params.values(), g_params.grads());

  // Iterations 2 and 3 on the same z and real batch, then every parameter.
  const json& after = doc.at("after_3_iterations");
  const std::vector<float> loss_d_ref = floats(after.at("loss_d")), loss_g_ref = floats(after.at("loss_g"));
  REQUIRE(loss_d_ref.size() == 3);
  check_close("L_D iteration 1 (listed again)", d_losses.discriminator, loss_d_ref[0], kLossAbs, kLossRel);
  check_close("L_G iteration 1 (listed again)", loss_g, loss_g_ref[0], kLossAbs, kLossRel);
  for (int it = 1; it < 3; ++it) {
    gan.set_fakes_from(z.data(), batch, or_null(labels));
    const GanLosses l = gan.discriminator_gradients(real.data());
    adam_d.step(d_params.values(), d_params.grads());
    const double lg = gan.generator_gradients();
    adam_g.step(g_params.values(), g_params.grads());
    check_close("L_D iteration " + std::to_string(it + 1), l.discriminator, loss_d_ref[it], kLossAbs, kLossRel);
    check_close("L_G iteration " + std::to_string(it + 1), lg, loss_g_ref[it], kLossAbs, kLossRel);
  }
  check_tensors("G after 3 iterations", g_params, g_params.values(), after.at("generator_parameters"), kParamAbs,
                kParamRel);
  check_tensors("D after 3 iterations", d_params, d_params.values(), after.at("discriminator_parameters"), kParamAbs,
                kParamRel);
}

}  // namespace

TEST_CASE("VAE forward values losses and gradients match PyTorch", "[parity][vae]") {
  check_vae_forward("vae_reference.json", 2);
}

TEST_CASE("VAE parameters after 3 Adam and 3 AdamW steps match PyTorch", "[parity][vae][adam]") {
  check_vae_optimizers("vae_reference.json");
}

TEST_CASE("GAN iterations match PyTorch", "[parity][gan][adam]") { check_gan_iterations("gan_reference.json"); }

TEST_CASE("conditional VAE forward values losses and gradients match PyTorch", "[parity][vae][conditional]") {
  check_vae_forward("vae_conditional_reference.json", 1);
}

TEST_CASE("conditional VAE parameters after 3 Adam and 3 AdamW steps match PyTorch",
          "[parity][vae][adam][conditional]") {
  check_vae_optimizers("vae_conditional_reference.json");
}

TEST_CASE("conditional GAN iterations match PyTorch", "[parity][gan][adam][conditional]") {
  check_gan_iterations("gan_conditional_reference.json");
}
