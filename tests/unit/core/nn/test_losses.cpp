// Losses: values against double-precision formulas (and PyTorch for the softmax cross-entropy),
// gradients against finite differences (support/gradcheck.hpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "latentlab/nn/losses.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

TEST_CASE("Loss gradients match finite differences", "[gradcheck]") {
  MtRandom rng(37);
  const std::size_t n = 24;

  SECTION("bce_with_logits") {
    std::vector<float> logits = uniform(rng, n, -4.0f, 4.0f);
    std::vector<float> targets = uniform(rng, n, 0.0f, 1.0f);
    targets[0] = 0.0f;
    targets[1] = 1.0f;
    targets[2] = 0.0f;
    targets[3] = 1.0f;
    for (Reduction red : {Reduction::Sum, Reduction::Mean}) {
      const bool mean = red == Reduction::Mean;
      std::vector<float> grad(n);
      const double loss = bce_with_logits(logits.data(), targets.data(), n, red, grad.data());
      // Value: ℓ = softplus(x) − y·x, in double.
      double ref = 0.0;
      for (std::size_t i = 0; i < n; ++i) ref += softplus_d(logits[i]) - double(targets[i]) * logits[i];
      if (mean) ref /= n;
      CHECK(loss == Approx(ref).epsilon(1e-6));
      CHECK(bce_with_logits(logits.data(), targets.data(), n, red, nullptr) == loss);
      GradCase c{mean ? "bce_with_logits mean" : "bce_with_logits sum"};
      c.objective = [&] { return bce_with_logits(logits.data(), targets.data(), n, red, nullptr); };
      c.analytic = [&] { bce_with_logits(logits.data(), targets.data(), n, red, grad.data()); };
      c.wrt("logits", logits.data(), grad.data(), n);
      check_gradients(c);
    }
  }

  SECTION("mse") {
    std::vector<float> pred = uniform(rng, n, -2.0f, 2.0f);
    const std::vector<float> target = uniform(rng, n, -2.0f, 2.0f);
    for (Reduction red : {Reduction::Sum, Reduction::Mean}) {
      const bool mean = red == Reduction::Mean;
      std::vector<float> grad(n);
      const double loss = mse(pred.data(), target.data(), n, red, grad.data());
      double ref = 0.0;
      for (std::size_t i = 0; i < n; ++i) ref += (double(pred[i]) - target[i]) * (double(pred[i]) - target[i]);
      if (mean) ref /= n;
      CHECK(loss == Approx(ref).epsilon(1e-6));
      GradCase c{mean ? "mse mean" : "mse sum"};
      c.objective = [&] { return mse(pred.data(), target.data(), n, red, nullptr); };
      c.analytic = [&] { mse(pred.data(), target.data(), n, red, grad.data()); };
      c.wrt("predictions", pred.data(), grad.data(), n);
      check_gradients(c);
    }
  }

  SECTION("gaussian_kl") {
    std::vector<float> mu = uniform(rng, n, -2.0f, 2.0f);
    std::vector<float> logvar = uniform(rng, n, -3.0f, 2.0f);
    for (Reduction red : {Reduction::Sum, Reduction::Mean}) {
      const bool mean = red == Reduction::Mean;
      std::vector<float> grad_mu(n), grad_logvar(n);
      const double loss = gaussian_kl(mu.data(), logvar.data(), n, red, grad_mu.data(), grad_logvar.data());
      double ref = 0.0;
      for (std::size_t i = 0; i < n; ++i)
        ref += -0.5 * (1.0 + logvar[i] - double(mu[i]) * mu[i] - std::exp(double(logvar[i])));
      if (mean) ref /= n;
      CHECK(loss == Approx(ref).epsilon(1e-6));
      GradCase c{mean ? "gaussian_kl mean" : "gaussian_kl sum"};
      c.objective = [&] { return gaussian_kl(mu.data(), logvar.data(), n, red, nullptr, nullptr); };
      c.analytic = [&] { gaussian_kl(mu.data(), logvar.data(), n, red, grad_mu.data(), grad_logvar.data()); };
      c.wrt("mu", mu.data(), grad_mu.data(), n).wrt("logvar", logvar.data(), grad_logvar.data(), n);
      check_gradients(c);
    }
  }

  SECTION("gan_discriminator_loss") {
    std::vector<float> real = uniform(rng, n, -5.0f, 5.0f), fake = uniform(rng, n, -5.0f, 5.0f);
    std::vector<float> grad_real(n), grad_fake(n);
    const double loss = gan_discriminator_loss(real.data(), fake.data(), n, grad_real.data(), grad_fake.data());
    double ref = 0.0;
    for (std::size_t i = 0; i < n; ++i) ref += softplus_d(-double(real[i])) + softplus_d(fake[i]);
    CHECK(loss == Approx(ref / n).epsilon(1e-6));
    GradCase c{"gan_discriminator_loss"};
    c.objective = [&] { return gan_discriminator_loss(real.data(), fake.data(), n, nullptr, nullptr); };
    c.analytic = [&] { gan_discriminator_loss(real.data(), fake.data(), n, grad_real.data(), grad_fake.data()); };
    c.wrt("real logits", real.data(), grad_real.data(), n).wrt("fake logits", fake.data(), grad_fake.data(), n);
    check_gradients(c);
  }

  SECTION("gan_generator_loss") {
    std::vector<float> fake = uniform(rng, n, -5.0f, 5.0f);
    std::vector<float> grad(n);
    const double loss = gan_generator_loss(fake.data(), n, grad.data());
    double ref = 0.0;
    for (std::size_t i = 0; i < n; ++i) ref += softplus_d(-double(fake[i]));
    CHECK(loss == Approx(ref / n).epsilon(1e-6));
    GradCase c{"gan_generator_loss"};
    c.objective = [&] { return gan_generator_loss(fake.data(), n, nullptr); };
    c.analytic = [&] { gan_generator_loss(fake.data(), n, grad.data()); };
    c.wrt("fake logits", fake.data(), grad.data(), n);
    check_gradients(c);
  }
}

TEST_CASE("softmax cross-entropy equals PyTorch and its gradient the finite differences", "[evaluation][gradients]") {
  // tests/fixtures/classifier_reference.json (tests/reference/make_classifier_fixture.py).
  const nlohmann::json ref = load_fixture("classifier_reference.json");
  const int k = ref["classes"];
  std::vector<float> logits = floats(ref["logits"]);
  std::vector<std::uint8_t> labels;
  for (int v : ref["labels"]) labels.push_back(static_cast<std::uint8_t>(v));
  const std::size_t n = labels.size();
  std::vector<float> grad(logits.size());
  std::size_t correct = 0;
  const double sum = softmax_cross_entropy(logits.data(), labels.data(), n, k, Reduction::Sum, grad.data(), &correct);
  CHECK(sum == Approx(ref["loss_sum"].get<double>()).epsilon(1e-6));
  std::vector<float> grad_mean(logits.size());
  CHECK(softmax_cross_entropy(logits.data(), labels.data(), n, k, Reduction::Mean, grad_mean.data()) ==
        Approx(ref["loss_mean"].get<double>()).epsilon(1e-6));
  for (std::size_t i = 0; i < grad.size(); ++i) {
    CHECK(grad[i] == Approx(ref["grad_sum"][i].get<double>()).margin(1e-6));
    CHECK(grad_mean[i] == Approx(grad[i] / static_cast<double>(n)).margin(1e-7));
  }
  // Argmax = label, counted independently.
  std::size_t expected_correct = 0;
  for (std::size_t r = 0; r < n; ++r) {
    std::size_t best = 0;
    for (int j = 1; j < k; ++j)
      if (logits[r * k + j] > logits[r * k + best]) best = static_cast<std::size_t>(j);
    expected_correct += best == labels[r];
  }
  CHECK(correct == expected_correct);
  // Central differences (the loss is smooth: truncation h²/6·|ℓ'''| ≤ 2e-5 at h = 1e-2),
  // every coordinate within 1e-4 absolute.
  GradCase c{"softmax_cross_entropy sum"};
  c.objective = [&] { return softmax_cross_entropy(logits.data(), labels.data(), n, k, Reduction::Sum, nullptr); };
  c.analytic = [&] { softmax_cross_entropy(logits.data(), labels.data(), n, k, Reduction::Sum, grad.data()); };
  c.tolerance = {1e-4, 0.0, 0.0};
  c.wrt("logits", logits.data(), grad.data(), logits.size());
  check_gradients(c);
}
