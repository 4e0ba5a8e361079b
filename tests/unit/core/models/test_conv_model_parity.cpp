// PyTorch parity of the conv kinds: the DCGAN and the conv VAE, given the weights and inputs of
// tests/fixtures/{dcgan,conv_vae}_reference.json (tests/reference/make_conv_model_fixtures.py),
// must reproduce what PyTorch 1.13 computed: forward values, losses, every parameter gradient,
// the parameters after 3 Adam steps and (DCGAN) the BatchNorm running statistics. Tolerances
// as test_pytorch_parity.cpp states and explains them (the fixture carries the same table).
// The conditional versions ({dcgan,conv_vae}_conditional_reference.json: classes in the config,
// the batch's "labels") run the same checks with the labels passed to every pass;
// dcgan_conditional_channels_reference.json with D reading the labels as input planes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "latentlab/models/conv_vae.hpp"
#include "latentlab/models/dcgan.hpp"
#include "latentlab/nn/adam.hpp"
#include "support/fixtures.hpp"
#include "support/parity.hpp"

using namespace latentlab;
using namespace latentlab::test;

namespace {

// The fixture's "labels" (a conditional case), empty otherwise.
std::vector<int> fixture_labels(const json& doc) {
  return doc.contains("labels") ? doc.at("labels").get<std::vector<int>>() : std::vector<int>{};
}

void check_dcgan_fixture(const char* file) {
  const json doc = load_fixture(file);
  check_fixture_tolerances(doc);
  const json& c = doc.at("config");
  DcganConfig config;
  config.image = c.at("image").get<int>();
  config.latent = c.at("latent").get<int>();
  config.generator_channels = c.at("generator_channels").get<std::vector<int>>();
  config.discriminator_channels = c.at("discriminator_channels").get<std::vector<int>>();
  config.leaky_slope = static_cast<float>(c.at("leaky_slope").get<double>());
  config.classes = c.value("classes", 0);
  const auto how = parse_discriminator_conditioning(c.value("discriminator_conditioning", std::string("projection")));
  REQUIRE(how);
  config.discriminator_conditioning = *how;
  Dcgan gan(config);
  ParameterSet& g_params = gan.generator_parameters();
  ParameterSet& d_params = gan.discriminator_parameters();
  set_parameters(g_params, doc.at("generator_parameters"));
  set_parameters(d_params, doc.at("discriminator_parameters"));
  const int batch = doc.at("batch").get<int>();
  const std::vector<float> z = floats(doc.at("z")), real = floats(doc.at("real"));
  REQUIRE(z.size() == static_cast<std::size_t>(batch) * config.latent);
  REQUIRE(real.size() == static_cast<std::size_t>(batch) * config.image);
  const std::vector<int> labels = fixture_labels(doc);
  REQUIRE((config.classes > 0) == !labels.empty());
  const int* y = labels.empty() ? nullptr : labels.data();
  const AdamConfig adam = adam_config(doc.at("adam"));
  Adam adam_g(g_params.size(), adam), adam_d(d_params.size(), adam);

  const json& first = doc.at("first_iteration");
  gan.set_fakes_from(z.data(), batch, y);
  check_close("fakes", gan.fakes(), floats(first.at("fakes")), kActAbs, kActRel);
  const GanLosses d_losses = gan.discriminator_gradients(real.data());
  check_close("L_D", d_losses.discriminator, first.at("loss_d").get<double>(), kLossAbs, kLossRel);
  check_close("real score", d_losses.real_score, first.at("real_score").get<double>(), kLossAbs, kLossRel);
  check_close("fake score", d_losses.fake_score, first.at("fake_score").get<double>(), kLossAbs, kLossRel);
  check_tensors("D gradient", d_params, d_params.grads(), first.at("discriminator_gradients"), kGradAbs, kGradRel);
  adam_d.step(d_params.values(), d_params.grads());
  check_tensors("D after one Adam step", d_params, d_params.values(), first.at("discriminator_parameters_after_adam"),
                kParamAbs, kParamRel);
  const double loss_g = gan.generator_gradients();
  check_close("L_G", loss_g, first.at("loss_g").get<double>(), kLossAbs, kLossRel);
  check_tensors("G gradient", g_params, g_params.grads(), first.at("generator_gradients"), kGradAbs, kGradRel);
  adam_g.step(g_params.values(), g_params.grads());

  const json& after = doc.at("after_3_iterations");
  const std::vector<float> loss_d_ref = floats(after.at("loss_d")), loss_g_ref = floats(after.at("loss_g"));
  REQUIRE(loss_d_ref.size() == 3);
  for (int it = 1; it < 3; ++it) {
    gan.set_fakes_from(z.data(), batch, y);
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
  // G ran in training mode once per iteration, D three times (real, fakes, the G step).
  check_tensors("G running statistics", gan.generator_buffers(), gan.generator_buffers().values(),
                after.at("generator_buffers"), kParamAbs, kParamRel);
  check_tensors("D running statistics", gan.discriminator_buffers(), gan.discriminator_buffers().values(),
                after.at("discriminator_buffers"), kParamAbs, kParamRel);
}

void check_conv_vae_fixture(const char* file) {
  const json doc = load_fixture(file);
  check_fixture_tolerances(doc);
  const json& c = doc.at("config");
  ConvVaeConfig config;
  config.input = c.at("input").get<int>();
  config.channels = c.at("channels").get<std::vector<int>>();
  config.fc = c.at("fc").get<int>();
  config.latent = c.at("latent").get<int>();
  config.beta = static_cast<float>(c.at("beta").get<double>());
  config.classes = c.value("classes", 0);
  ConvVae vae(config);
  set_parameters(vae.parameters(), doc.at("parameters"));
  const int batch = doc.at("batch").get<int>();
  const std::vector<float> x = floats(doc.at("x")), eps = floats(doc.at("eps"));
  REQUIRE(x.size() == static_cast<std::size_t>(batch) * config.input);
  REQUIRE(eps.size() == static_cast<std::size_t>(batch) * config.latent);
  const std::vector<int> labels = fixture_labels(doc);
  REQUIRE((config.classes > 0) == !labels.empty());
  const int* y = labels.empty() ? nullptr : labels.data();

  const VaeLosses losses = vae.compute_gradients(x.data(), y, batch, eps.data());
  check_close("mu", vae.last_mu(), floats(doc.at("mu")), kActAbs, kActRel);
  check_close("logvar", vae.last_logvar(), floats(doc.at("logvar")), kActAbs, kActRel);
  check_close("z", vae.last_z(), floats(doc.at("z")), kActAbs, kActRel);
  check_close("logits", vae.last_logits(), floats(doc.at("logits")), kActAbs, kActRel);
  check_close("reconstruction", losses.reconstruction, doc.at("recon").get<double>(), kLossAbs, kLossRel);
  check_close("kl", losses.kl, doc.at("kl").get<double>(), kLossAbs, kLossRel);
  check_close("total", losses.total, doc.at("loss").get<double>(), kLossAbs, kLossRel);
  check_tensors("gradient", vae.parameters(), vae.parameters().grads(), doc.at("gradients"), kGradAbs, kGradRel);

  const json& opt = doc.at("adam");
  ConvVae fresh(config);
  set_parameters(fresh.parameters(), doc.at("parameters"));
  ParameterSet& params = fresh.parameters();
  Adam adam(params.size(), adam_config(opt));
  const std::vector<float> step_losses = floats(opt.at("losses"));
  REQUIRE(step_losses.size() == 3);
  for (int t = 0; t < 3; ++t) {
    const VaeLosses l = fresh.compute_gradients(x.data(), y, batch, eps.data());
    check_close("loss before Adam step " + std::to_string(t + 1), l.total, step_losses[t], kLossAbs, kLossRel);
    adam.step(params.values(), params.grads());
  }
  check_tensors("parameters after 3 Adam steps", params, params.values(), opt.at("parameters"), kParamAbs, kParamRel);
}

}  // namespace

TEST_CASE("DCGAN iterations match PyTorch, BatchNorm running statistics included", "[parity][dcgan][adam]") {
  check_dcgan_fixture("dcgan_reference.json");
}

TEST_CASE("conditional DCGAN (projection D) iterations match PyTorch", "[parity][dcgan][adam][conditional]") {
  check_dcgan_fixture("dcgan_conditional_reference.json");
}

TEST_CASE("conditional DCGAN (label-channel D) iterations match PyTorch", "[parity][dcgan][adam][conditional]") {
  check_dcgan_fixture("dcgan_conditional_channels_reference.json");
}

TEST_CASE("conv VAE forward values, losses, gradients and 3 Adam steps match PyTorch", "[parity][conv-vae][adam]") {
  check_conv_vae_fixture("conv_vae_reference.json");
}

TEST_CASE("conditional conv VAE forward values, losses, gradients and 3 Adam steps match PyTorch",
          "[parity][conv-vae][adam][conditional]") {
  check_conv_vae_fixture("conv_vae_conditional_reference.json");
}
