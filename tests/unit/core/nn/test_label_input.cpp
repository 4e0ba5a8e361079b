// The label input layer (nn/label_input.hpp): [x | onehot(y)] forward (one value per class, or a
// plane per class), dL/dx backward, against values written out by hand and finite differences.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "latentlab/nn/label_input.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

TEST_CASE("LabelInput writes [x | onehot(y)] and passes back the x columns of the gradient", "[label_input]") {
  const LabelInput layer(2, 3);
  REQUIRE(layer.width() == 5);
  const std::vector<float> x = {0.5f, -1.0f, 2.0f, 3.0f};
  const std::vector<int> y = {2, 0};
  std::vector<float> out(10, 7.0f);
  layer.forward(x.data(), y.data(), 2, out.data());
  CHECK(out == std::vector<float>{0.5f, -1.0f, 0, 0, 1, 2.0f, 3.0f, 1, 0, 0});

  const std::vector<float> grad_out = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  std::vector<float> grad_x(4, -1.0f);
  layer.backward(grad_out.data(), 2, grad_x.data());
  CHECK(grad_x == std::vector<float>{1, 2, 6, 7});
}

TEST_CASE("LabelInput gives an out-of-range label an all-zero code, and labels_in_range finds it", "[label_input]") {
  const LabelInput layer(1, 2);
  const std::vector<float> x = {1.0f, 2.0f, 3.0f};
  const std::vector<int> y = {-1, 2, 1};
  std::vector<float> out(9, 7.0f);
  layer.forward(x.data(), y.data(), 3, out.data());
  CHECK(out == std::vector<float>{1, 0, 0, 2, 0, 0, 3, 0, 1});
  CHECK_FALSE(labels_in_range(y.data(), 3, 2));
  CHECK(labels_in_range(y.data() + 2, 1, 2));
  const std::vector<int> ok = {0, 1, 1, 0};
  CHECK(labels_in_range(ok.data(), 4, 2));
}

namespace {
// Finite differences of L = Σ r ⊙ out with respect to x, for every x (3 rows, labels y).
void check_label_input_gradients(const LabelInput& layer, const std::vector<int>& y, unsigned seed) {
  const int batch = 3;
  MtRandom rng(seed);
  std::vector<float> x = uniform(rng, static_cast<std::size_t>(batch) * layer.features(), -1.0f, 1.0f);
  const std::vector<float> r = uniform(rng, static_cast<std::size_t>(batch) * layer.width(), -1.0f, 1.0f);
  std::vector<float> out(r.size()), grad_x(x.size());
  GradCase c{"label input, plane " + std::to_string(layer.plane())};
  c.objective = [&] {
    layer.forward(x.data(), y.data(), batch, out.data());
    return weighted_sum(r.data(), out.data(), out.size());
  };
  c.analytic = [&] { layer.backward(r.data(), batch, grad_x.data()); };
  c.wrt("x", x.data(), grad_x.data(), x.size());
  const GradReport report = check_gradients(c);
  CHECK(report.checked == static_cast<int>(x.size()));
}
}  // namespace

TEST_CASE("LabelInput backward matches finite differences of L = Σ r ⊙ out", "[gradcheck][label_input]") {
  check_label_input_gradients(LabelInput(4, 5), {4, 0, 2}, 71);
}

TEST_CASE("LabelInput with planes writes [x | plane y of ones, the other planes zero]", "[label_input]") {
  // Two 2-value "images" (features 2), 3 classes, planes of 2: width 2 + 3·2 = 8.
  const LabelInput layer(2, 3, 2);
  REQUIRE(layer.width() == 8);
  const std::vector<float> x = {0.5f, -1.0f, 2.0f, 3.0f};
  const std::vector<int> y = {1, 2};
  std::vector<float> out(16, 7.0f);
  layer.forward(x.data(), y.data(), 2, out.data());
  CHECK(out == std::vector<float>{0.5f, -1.0f, 0, 0, 1, 1, 0, 0, 2.0f, 3.0f, 0, 0, 0, 0, 1, 1});
  const std::vector<int> bad = {3, -1};
  layer.forward(x.data(), bad.data(), 2, out.data());
  CHECK(out == std::vector<float>{0.5f, -1.0f, 0, 0, 0, 0, 0, 0, 2.0f, 3.0f, 0, 0, 0, 0, 0, 0});

  std::vector<float> grad_out(16);
  for (std::size_t i = 0; i < grad_out.size(); ++i) grad_out[i] = static_cast<float>(i + 1);
  std::vector<float> grad_x(4, -1.0f);
  layer.backward(grad_out.data(), 2, grad_x.data());
  CHECK(grad_x == std::vector<float>{1, 2, 9, 10});
}

TEST_CASE("LabelInput with planes: backward matches finite differences of L = Σ r ⊙ out", "[gradcheck][label_input]") {
  check_label_input_gradients(LabelInput(4, 3, 4), {2, 0, 1}, 73);
}
