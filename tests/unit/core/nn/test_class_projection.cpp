// The projection discriminator's class term (nn/class_projection.hpp): ⟨E[y], h⟩ forward, dL/dh
// and dL/dE backward, against values written out by hand and finite differences.
#include <catch2/catch.hpp>

#include <vector>

#include "latentlab/nn/class_projection.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

TEST_CASE("ClassProjection adds <E[y], h> to each row's logit and passes back g E[y] and g h", "[class_projection]") {
  ParameterSet params;
  ClassProjection layer(params, "embed", 2, 3);
  params.allocate();
  REQUIRE(params.find("embed.weight")->shape == std::vector<int>{3, 2});
  const std::vector<float> e = {1, 2, 3, 4, 5, 6};  // E[0] = (1, 2), E[1] = (3, 4), E[2] = (5, 6)
  std::copy(e.begin(), e.end(), layer.weight());
  const std::vector<float> h = {1, -1, 0.5f, 2};
  const std::vector<int> y = {2, 0};
  std::vector<float> out = {10, 20};
  layer.forward(h.data(), y.data(), 2, out.data());
  CHECK(out == std::vector<float>{10 + 5 - 6, 20 + 0.5f + 4});

  const std::vector<float> g = {2, -1};
  std::vector<float> grad_h = {1, 1, 1, 1};
  std::fill(layer.weight_grad(), layer.weight_grad() + 6, 9.0f);
  layer.backward(h.data(), y.data(), g.data(), 2, grad_h.data(), ParamGrads::Write);
  CHECK(grad_h == std::vector<float>{1 + 10, 1 + 12, 1 - 1, 1 - 2});  // += g_r E[y_r]
  const std::vector<float> grad_e(layer.weight_grad(), layer.weight_grad() + 6);
  CHECK(grad_e == std::vector<float>{-0.5f, -2, 0, 0, 2, -2});  // class 1 absent: written 0
  layer.backward(h.data(), y.data(), g.data(), 2, nullptr, ParamGrads::Accumulate);
  CHECK(layer.weight_grad()[4] == 4.0f);
}

TEST_CASE("ClassProjection backward matches finite differences of L = Σ r ⊙ out", "[gradcheck][class_projection]") {
  const int batch = 5, features = 4, classes = 3;
  ParameterSet params;
  ClassProjection layer(params, "embed", features, classes);
  params.allocate();
  MtRandom rng(29);
  const std::vector<float> e = uniform(rng, static_cast<std::size_t>(classes) * features, -1.0f, 1.0f);
  std::copy(e.begin(), e.end(), layer.weight());
  std::vector<float> h = uniform(rng, static_cast<std::size_t>(batch) * features, -1.0f, 1.0f);
  const std::vector<int> y = {1, 0, 1, 2, 1};  // class 1 three times: its gradient sums rows
  const std::vector<float> r = uniform(rng, batch, -1.0f, 1.0f);
  std::vector<float> out(batch), grad_h(h.size());
  GradCase c{"class projection"};
  c.objective = [&] {
    std::fill(out.begin(), out.end(), 0.0f);
    layer.forward(h.data(), y.data(), batch, out.data());
    return weighted_sum(r.data(), out.data(), out.size());
  };
  c.analytic = [&] {
    std::fill(grad_h.begin(), grad_h.end(), 0.0f);
    layer.backward(h.data(), y.data(), r.data(), batch, grad_h.data(), ParamGrads::Write);
  };
  c.wrt("h", h.data(), grad_h.data(), h.size()).wrt(params);
  const GradReport report = check_gradients(c);
  CHECK(report.checked == static_cast<int>(h.size() + params.count()));
}
