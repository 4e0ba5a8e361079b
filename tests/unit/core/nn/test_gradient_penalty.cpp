// WGAN-GP's gradient penalty and the critics' double backward (nn/gradient_penalty.hpp,
// Mlp::input_gradient[_backward]; Dcgan::input_gradient[_backward] through Conv2d): against torch.autograd.grad(create_graph=True)
// (tests/reference/make_gradient_penalty_fixture.py) and against finite differences of P itself.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "latentlab/models/dcgan.hpp"
#include "latentlab/nn/gradient_penalty.hpp"
#include "latentlab/rng.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

namespace {

std::vector<LayerSpec> critic_layers(const std::vector<int>& hidden, float slope) {
  std::vector<LayerSpec> layers;
  for (std::size_t i = 0; i < hidden.size(); ++i)
    layers.push_back({"fc" + std::to_string(i + 1), hidden[i], {Activation::LeakyReLU, slope}});
  layers.push_back({"out", 1, {Activation::Identity, 0.0f}});
  return layers;
}

// P at the critic's current parameters, without gradients (the finite-difference objective).
double penalty_value(Mlp& critic, const float* x, int n, float lambda) {
  std::vector<float> g(static_cast<std::size_t>(n) * critic.input_size());
  critic.input_gradient(x, n, g.data());
  return gradient_penalty(g.data(), n, critic.input_size(), lambda, nullptr);
}

}  // namespace

TEST_CASE("Gradient penalty and its double backward match PyTorch", "[gradient_penalty][pytorch]") {
  const json doc = load_fixture("gradient_penalty_reference.json");
  const int input = doc["input"].get<int>();
  const float lambda = doc["lambda"].get<float>();
  ParameterSet params;
  Mlp critic(params, "discriminator", input, critic_layers(doc["hidden"].get<std::vector<int>>(), doc["slope"].get<float>()));
  params.allocate();
  for (const TensorInfo& t : params.tensors()) {
    INFO("parameter " << t.name);
    const std::vector<float> v = floats(doc["parameters"].at(t.name));
    REQUIRE(v.size() == t.size);
    std::copy(v.begin(), v.end(), params.values() + t.offset);
  }
  const std::vector<float> x = floats(doc["interpolates"]);
  const int n = static_cast<int>(x.size()) / input;

  std::vector<float> g(x.size());
  critic.input_gradient(x.data(), n, g.data());
  check_close("D(x̂)", critic.output(), floats(doc["scores"]), 1e-6, 1e-5);
  check_close("∇ₓD(x̂)", g.data(), floats(doc["input_gradients"]), 1e-6, 1e-5);

  params.zero_grads();
  CriticGradientPenalty penalty;
  const double p = penalty.add(critic, x.data(), n, lambda);
  check_close("P", p, doc["penalty"].get<double>(), 1e-6, 1e-5);
  for (const TensorInfo& t : params.tensors())
    check_close("dP/d " + t.name, params.grads() + t.offset, floats(doc["gradients"].at(t.name)), 1e-5, 1e-4);
}

TEST_CASE("The DCGAN critic's double backward through Conv2d matches PyTorch", "[gradient_penalty][pytorch][dcgan]") {
  const json doc = load_fixture("gradient_penalty_reference.json")["conv"];
  DcganConfig config;
  config.image = doc["image"].get<int>();
  config.latent = 2;
  config.generator_channels = {2, 2};
  config.discriminator_channels = doc["channels"].get<std::vector<int>>();
  config.leaky_slope = doc["slope"].get<float>();
  config.objective = GanObjective::Wasserstein;
  config.discriminator_batchnorm = false;
  Dcgan gan(config);
  ParameterSet& params = gan.discriminator_parameters();
  for (const TensorInfo& t : params.tensors()) {
    INFO("parameter " << t.name);
    const std::vector<float> v = floats(doc["parameters"].at(t.name));
    REQUIRE(v.size() == t.size);
    std::copy(v.begin(), v.end(), params.values() + t.offset);
  }
  const std::vector<float> x = floats(doc["interpolates"]);
  const int n = static_cast<int>(x.size()) / config.image;
  std::vector<float> scores(n), g(x.size()), u(x.size());
  gan.discriminate(x.data(), n, scores.data());
  check_close("D(x̂)", scores.data(), floats(doc["scores"]), 1e-6, 1e-5);
  gan.input_gradient(x.data(), n, g.data());
  check_close("∇ₓD(x̂)", g.data(), floats(doc["input_gradients"]), 1e-6, 1e-5);
  const double p = gradient_penalty(g.data(), n, config.image, kGradientPenaltyWeight, u.data());
  check_close("P", p, doc["penalty"].get<double>(), 1e-6, 1e-5);
  params.zero_grads();
  gan.input_gradient_backward(u.data(), n);
  for (const TensorInfo& t : params.tensors())
    check_close("dP/d " + t.name, params.grads() + t.offset, floats(doc["gradients"].at(t.name)), 1e-5, 1e-4);
}

TEST_CASE("Gradient penalty's parameter gradient matches finite differences", "[gradient_penalty][gradcheck]") {
  MtRandom rng(5);
  const int input = 7, n = 5;
  const float lambda = 10.0f;
  ParameterSet params;
  Mlp critic(params, "critic", input, critic_layers({6, 5}, 0.2f));
  params.allocate();
  Rng init(9, 1);
  critic.init(init);
  const std::vector<float> x = uniform(rng, static_cast<std::size_t>(n) * input, -1.0f, 1.0f);

  CriticGradientPenalty penalty;
  GradCase c{"WGAN-GP penalty"};
  c.objective = [&] { return penalty_value(critic, x.data(), n, lambda); };
  c.analytic = [&] {
    params.zero_grads();
    penalty.add(critic, x.data(), n, lambda);
  };
  // The LeakyReLU masks: a coordinate whose step flips a unit is skipped, as for any kink.
  c.kinks = [&](Pattern& p) { mlp_kinks(critic, x.data(), n, p); };
  c.h = 1e-3f;
  c.wrt(params);
  const GradReport report = check_gradients(c);
  CHECK(report.checked > 0);
}

TEST_CASE("The penalty is zero where every input gradient has norm 1 and refuses unsuitable critics",
          "[gradient_penalty]") {
  // g rows of norm exactly 1 (3-4-5 triangle): P = 0 and ∂P/∂g = 0.
  const std::vector<float> g = {0.6f, 0.8f, 0.0f, 1.0f};
  std::vector<float> grad(4, 7.0f);
  CHECK(gradient_penalty(g.data(), 2, 2, 10.0f, grad.data()) == Approx(0.0).margin(1e-12));
  for (float v : grad) CHECK(v == Approx(0.0f).margin(1e-5f));  // 0.6f² + 0.8f² is 1 only to float precision
  // A row of norm 2: P = λ · (2 − 1)² / n.
  const std::vector<float> g2 = {2.0f, 0.0f};
  CHECK(gradient_penalty(g2.data(), 1, 2, 10.0f, grad.data()) == Approx(10.0));
  CHECK(grad[0] == Approx(20.0f));  // 2λ(‖g‖ − 1) g/‖g‖ = 20 · (1, 0)

  ParameterSet params, buffers;
  std::vector<LayerSpec> tanh_layers = {{"fc1", 3, {Activation::Tanh, 0.0f}}, {"out", 1, {}}};
  Mlp smooth(params, "a", 2, tanh_layers);
  CHECK_FALSE(smooth.piecewise_linear());
  std::vector<LayerSpec> bn_layers = {{"fc1", 3, {Activation::LeakyReLU, 0.2f}, true}, {"out", 1, {}}};
  Mlp normed(params, "b", 2, bn_layers, &buffers);
  CHECK_FALSE(normed.piecewise_linear());
  Mlp wide(params, "c", 2, {{"out", 2, {}}});
  CHECK_FALSE(wide.piecewise_linear());
  Mlp good(params, "d", 2, critic_layers({3}, 0.2f));
  CHECK(good.piecewise_linear());
  params.allocate();
  std::vector<float> x(4, 0.5f), out(4);
  CHECK_THROWS(smooth.input_gradient(x.data(), 2, out.data()));
}

TEST_CASE("Interpolates lie on the segment between real and fake, one ε per image", "[gradient_penalty]") {
  const int n = 50, dim = 3;
  std::vector<float> real(n * dim), fake(n * dim), out(n * dim);
  for (int i = 0; i < n * dim; ++i) {
    real[i] = static_cast<float>(i % 7);
    fake[i] = -static_cast<float>(i % 5) - 1.0f;
  }
  Rng rng(4, 3);
  interpolate_images(real.data(), fake.data(), n, dim, rng, out.data());
  double mean_eps = 0.0;
  for (int i = 0; i < n; ++i) {
    const int r = i * dim;
    const float eps = (out[r] - fake[r]) / (real[r] - fake[r]);
    CHECK(eps >= 0.0f);
    CHECK(eps < 1.0f);
    for (int j = 1; j < dim; ++j) CHECK(out[r + j] == Approx(eps * real[r + j] + (1 - eps) * fake[r + j]).margin(1e-5));
    mean_eps += eps;
  }
  mean_eps /= n;
  CHECK(mean_eps > 0.3);
  CHECK(mean_eps < 0.7);
}
