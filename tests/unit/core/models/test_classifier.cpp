// The classifier's backward pass (Classifier::compute_gradients: ReLU body, linear head,
// softmax cross-entropy) against finite differences of its loss, every parameter
// (support/gradcheck.hpp).
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "latentlab/models/classifier.hpp"
#include "latentlab/rng.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

TEST_CASE("classifier parameter gradients match finite differences", "[evaluation][gradients]") {
  // A tiny classifier with one hidden ReLU layer (its on/off pattern is features(); a coordinate
  // whose ±h changes the pattern is skipped, at most 10% of them). Every parameter is checked.
  ClassifierConfig config;
  config.input = 6;
  config.hidden = {5};
  config.classes = 3;
  Classifier model(config);
  Rng init(7, 1);
  model.init(init);
  const int batch = 4;
  MtRandom rng(3);
  std::vector<float> x(static_cast<std::size_t>(batch) * config.input);
  for (auto& v : x) v = static_cast<float>(rng.next_u32() % 1000) / 1000.0f;
  const std::vector<std::uint8_t> labels{0, 2, 1, 2};

  GradCase c{"classifier"};
  c.objective = [&] { return model.evaluate(x.data(), labels.data(), batch).loss; };
  c.analytic = [&] { model.compute_gradients(x.data(), labels.data(), batch); };
  c.kinks = [&](Pattern& pattern) { relu_kinks(model.features(), static_cast<std::size_t>(batch) * 5, pattern); };
  c.wrt(model.parameters());
  const GradReport report = check_gradients(c);
  CHECK(report.checked > 30);
}
