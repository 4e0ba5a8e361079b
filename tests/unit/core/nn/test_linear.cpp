// Linear: backward with each activation against finite differences (support/gradcheck.hpp),
// and the accumulation contract (parameter gradients +=, grad_x overwritten, Skip leaves the
// parameter gradients alone).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "latentlab/nn/activations.hpp"
#include "latentlab/nn/linear.hpp"
#include "latentlab/nn/parameters.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

TEST_CASE("Linear backward matches finite differences for each activation", "[gradcheck]") {
  const int in = 5, out = 4, batch = 3;
  const ActivationSpec activations[] = {{Activation::Identity, 0.0f}, {Activation::ReLU, 0.0f},
                                        {Activation::LeakyReLU, 0.2f}, {Activation::Sigmoid, 0.0f},
                                        {Activation::Tanh, 0.0f}};
  for (const ActivationSpec& f : activations) {
    SECTION(activation_name(f.kind)) {
      MtRandom rng(23);
      ParameterSet params;
      Linear layer(params, "layer", in, out, f);
      params.allocate();
      const std::vector<float> w = uniform(rng, static_cast<std::size_t>(out) * in, -1.0f, 1.0f);
      const std::vector<float> b = uniform(rng, out, -0.5f, 0.5f);
      std::copy(w.begin(), w.end(), layer.weight());
      std::copy(b.begin(), b.end(), layer.bias());
      std::vector<float> x = uniform(rng, static_cast<std::size_t>(batch) * in, -1.0f, 1.0f);
      const std::vector<float> r = uniform(rng, static_cast<std::size_t>(batch) * out, -1.0f, 1.0f);

      // L = Σ r ⊙ y, so dL/dy = r.
      std::vector<float> y(static_cast<std::size_t>(batch) * out), grad_x(x.size(), 0.0f);
      auto forward = [&](std::vector<float>& o) { layer.forward(x.data(), batch, o.data()); };
      GradCase c{std::string("Linear+") + activation_name(f.kind)};
      c.objective = [&] {
        std::vector<float> o(y.size());
        forward(o);
        return weighted_sum(r.data(), o.data(), o.size());
      };
      c.analytic = [&] {
        forward(y);
        std::vector<float> grad_y = r;
        params.zero_grads();
        layer.backward(x.data(), y.data(), grad_y.data(), batch, grad_x.data());
      };
      if (is_relu_like(f.kind)) {
        c.kinks = [&](Pattern& pattern) {
          std::vector<float> o(y.size());
          forward(o);
          relu_kinks(o.data(), o.size(), pattern);
        };
      }
      c.wrt("weight", layer.weight(), layer.weight_grad(), w.size())
          .wrt("bias", layer.bias(), layer.bias_grad(), b.size())
          .wrt("x", x.data(), grad_x.data(), x.size());
      check_gradients(c);
      const std::vector<float> dw(layer.weight_grad(), layer.weight_grad() + w.size());
      const std::vector<float> db(layer.bias_grad(), layer.bias_grad() + b.size());

      // Parameter gradients accumulate (+=) across backward calls; grad_x is overwritten.
      std::vector<float> grad_y2 = r, grad_x2(x.size(), 123.0f);
      layer.backward(x.data(), y.data(), grad_y2.data(), batch, grad_x2.data());
      for (std::size_t i = 0; i < dw.size(); ++i) CHECK(layer.weight_grad()[i] == Approx(2.0f * dw[i]).margin(1e-6));
      for (std::size_t i = 0; i < db.size(); ++i) CHECK(layer.bias_grad()[i] == Approx(2.0f * db[i]).margin(1e-6));
      CHECK(grad_x2 == grad_x);
      // accumulate_param_grads = false leaves them alone but still gives dL/dx.
      std::vector<float> grad_y3 = r, grad_x3(x.size(), 0.0f);
      const std::vector<float> dw_before(layer.weight_grad(), layer.weight_grad() + w.size());
      layer.backward(x.data(), y.data(), grad_y3.data(), batch, grad_x3.data(), ParamGrads::Skip);
      CHECK(std::vector<float>(layer.weight_grad(), layer.weight_grad() + w.size()) == dw_before);
      CHECK(grad_x3 == grad_x);
    }
  }
}
