// What the PyTorch-parity tests share (tests/unit/core/models/test_{pytorch,conv_model}_parity.cpp):
// the tolerance table every model fixture records and the fixture's Adam settings. The fixture
// generators (tests/reference/make_*_fixtures.py) write the same table; check_fixture_tolerances
// fails when the two are edited apart.
#pragma once

#include "latentlab/nn/adam.hpp"
#include "support/fixtures.hpp"

namespace latentlab::test {

inline constexpr double kActAbs = 1e-5, kActRel = 1e-4;
inline constexpr double kLossAbs = 1e-5, kLossRel = 1e-5;
inline constexpr double kGradAbs = 1e-5, kGradRel = 1e-4;
inline constexpr double kParamAbs = 1e-5, kParamRel = 1e-4;

// The fixture's tolerance table must be the one stated above.
inline void check_fixture_tolerances(const json& doc) {
  const json& t = doc.at("tolerances");
  CHECK(t.at("activation")[0].get<double>() == kActAbs);
  CHECK(t.at("activation")[1].get<double>() == kActRel);
  CHECK(t.at("loss")[0].get<double>() == kLossAbs);
  CHECK(t.at("loss")[1].get<double>() == kLossRel);
  CHECK(t.at("gradient")[0].get<double>() == kGradAbs);
  CHECK(t.at("gradient")[1].get<double>() == kGradRel);
  CHECK(t.at("parameter")[0].get<double>() == kParamAbs);
  CHECK(t.at("parameter")[1].get<double>() == kParamRel);
}

// The optimiser a fixture's Adam steps used ({lr, beta1, beta2, eps, weight_decay}).
inline AdamConfig adam_config(const json& a) {
  AdamConfig config;
  config.lr = static_cast<float>(a.at("lr").get<double>());
  config.beta1 = static_cast<float>(a.at("beta1").get<double>());
  config.beta2 = static_cast<float>(a.at("beta2").get<double>());
  config.eps = static_cast<float>(a.at("eps").get<double>());
  config.weight_decay = static_cast<float>(a.at("weight_decay").get<double>());
  return config;
}

}  // namespace latentlab::test
