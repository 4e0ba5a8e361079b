// The reparameterisation z = μ + e^{logvar/2} ⊙ ε: forward against the formula, backward
// against finite differences (support/gradcheck.hpp), and that the backward accumulates.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "latentlab/nn/reparameterize.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

TEST_CASE("reparameterize_backward matches finite differences and accumulates", "[gradcheck]") {
  MtRandom rng(41);
  const std::size_t n = 20;
  std::vector<float> mu = uniform(rng, n, -2.0f, 2.0f), logvar = uniform(rng, n, -3.0f, 2.0f);
  const std::vector<float> eps = uniform(rng, n, -2.5f, 2.5f), r = uniform(rng, n, -1.0f, 1.0f);

  std::vector<float> z(n);
  reparameterize_forward(mu.data(), logvar.data(), eps.data(), z.data(), n);
  for (std::size_t i = 0; i < n; ++i)
    CHECK(z[i] == Approx(mu[i] + std::exp(0.5 * logvar[i]) * eps[i]).epsilon(1e-6).margin(1e-6));

  std::vector<float> grad_mu(n), grad_logvar(n);
  GradCase c{"reparameterize"};
  c.objective = [&] {
    std::vector<float> zz(n);
    reparameterize_forward(mu.data(), logvar.data(), eps.data(), zz.data(), n);
    return weighted_sum(r.data(), zz.data(), n);
  };
  c.analytic = [&] {
    // Gradients are added to what is already there (the KL term's gradients in the VAE).
    std::fill(grad_mu.begin(), grad_mu.end(), 0.25f);
    std::fill(grad_logvar.begin(), grad_logvar.end(), -0.5f);
    reparameterize_backward(logvar.data(), eps.data(), r.data(), grad_mu.data(), grad_logvar.data(), n);
    for (auto& g : grad_mu) g -= 0.25f;
    for (auto& g : grad_logvar) g += 0.5f;
  };
  c.wrt("mu", mu.data(), grad_mu.data(), n).wrt("logvar", logvar.data(), grad_logvar.data(), n);
  check_gradients(c);
}
