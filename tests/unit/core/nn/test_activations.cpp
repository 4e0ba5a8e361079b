// Activations: forward against the textbook formulas in double, backward against finite
// differences (support/gradcheck.hpp), and the stable softplus / sigmoid in the tails.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "latentlab/nn/activations.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

namespace {

const ActivationSpec kAllActivations[] = {{Activation::Identity, 0.0f},
                                          {Activation::ReLU, 0.0f},
                                          {Activation::LeakyReLU, 0.2f},
                                          {Activation::Sigmoid, 0.0f},
                                          {Activation::Tanh, 0.0f}};

double activation_reference(const ActivationSpec& f, double x) {
  switch (f.kind) {
    case Activation::Identity: return x;
    case Activation::ReLU: return x > 0 ? x : 0.0;
    case Activation::LeakyReLU: return x > 0 ? x : f.slope * x;
    case Activation::Sigmoid: return sigmoid_d(x);
    case Activation::Tanh: return std::tanh(x);
  }
  return 0.0;
}

}  // namespace

TEST_CASE("Activation backward passes match finite differences", "[gradcheck]") {
  for (const ActivationSpec& f : kAllActivations) {
    SECTION(activation_name(f.kind)) {
      MtRandom rng(11);
      const std::size_t n = 40;
      // |x| ∈ [0.05, 4]: away from the ReLU kink by more than h; both saturating tails of σ, tanh.
      std::vector<float> x = away_from_zero(rng, n, 0.05f, 4.0f);
      const std::vector<float> r = uniform(rng, n, -1.0f, 1.0f);

      // Forward against the textbook formula in double (the forward must be right for the
      // backward's "from the output" formulas to mean anything).
      std::vector<float> y = x;
      activation_forward(f, y.data(), n);
      for (std::size_t i = 0; i < n; ++i) {
        INFO(activation_name(f.kind) << "(" << x[i] << ")");
        CHECK(y[i] == Approx(activation_reference(f, x[i])).epsilon(1e-6).margin(1e-7));
      }

      // L = Σ r ⊙ f(x): the backward takes the output y and dL/dy = r.
      std::vector<float> grad(n);
      GradCase c{std::string("activation ") + activation_name(f.kind)};
      c.objective = [&] {
        std::vector<float> out = x;
        activation_forward(f, out.data(), n);
        return weighted_sum(r.data(), out.data(), n);
      };
      c.analytic = [&] {
        std::copy(r.begin(), r.end(), grad.begin());
        activation_backward(f, y.data(), grad.data(), n);
      };
      if (is_relu_like(f.kind)) {
        c.kinks = [&](Pattern& pattern) {
          std::vector<float> out = x;
          activation_forward(f, out.data(), n);
          relu_kinks(out.data(), n, pattern);
        };
      }
      c.wrt("x", x.data(), grad.data(), n);
      const GradReport report = check_gradients(c);
      CHECK(report.checked == static_cast<int>(n));  // inputs were chosen away from kinks
    }
  }
}

TEST_CASE("softplus and stable_sigmoid are finite and accurate for large |x|", "[gradcheck]") {
  for (float x : {-100.0f, -30.0f, -5.0f, -0.5f, 0.0f, 0.5f, 5.0f, 30.0f, 100.0f}) {
    INFO("x = " << x);
    CHECK(softplus(x) == Approx(softplus_d(x)).epsilon(1e-6).margin(1e-30));
    CHECK(stable_sigmoid(x) == Approx(sigmoid_d(x)).epsilon(1e-6).margin(1e-30));
  }
}
