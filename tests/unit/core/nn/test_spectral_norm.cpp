// Spectral normalisation (nn/spectral_norm.hpp): the power iteration, σ, W_sn and the backward
// against torch.nn.utils.spectral_norm (tests/reference/make_spectral_norm_fixture.py), and the
// backward against finite differences with u, v held fixed (torch's semantics).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "latentlab/nn/spectral_norm.hpp"
#include "latentlab/rng.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

TEST_CASE("Spectral norm matches torch.nn.utils.spectral_norm over three steps and in eval", "[spectral_norm][pytorch]") {
  const json doc = load_fixture("spectral_norm_reference.json");
  const int rows = doc["rows"].get<int>(), cols = doc["cols"].get<int>();
  const float step = doc["step_size"].get<float>();
  ParameterSet buffers;
  SpectralNorm sn(buffers, "fc.weight", rows, cols);
  buffers.allocate();
  REQUIRE(buffers.find("fc.weight_u") != nullptr);
  REQUIRE(buffers.find("fc.weight_v") != nullptr);
  const std::vector<float> u0 = floats(doc["start"]["u"]), v0 = floats(doc["start"]["v"]);
  std::copy(u0.begin(), u0.end(), buffers.values() + buffers.find("fc.weight_u")->offset);
  std::copy(v0.begin(), v0.end(), buffers.values() + buffers.find("fc.weight_v")->offset);
  std::vector<float> w = floats(doc["start"]["weight"]);
  const std::vector<float> r = floats(doc["R"]);
  std::vector<float> w_sn(w.size()), grad(w.size());
  int index = 0;
  for (const json& s : doc["steps"]) {
    INFO("step " << index++);
    const float sigma = sn.normalize(w.data(), w_sn.data(), /*power_iteration=*/true);
    check_close("u", sn.u(), floats(s["u"]), 1e-6, 1e-5);
    check_close("v", sn.v(), floats(s["v"]), 1e-6, 1e-5);
    check_close("σ", sigma, s["sigma"].get<double>(), 1e-6, 1e-5);
    check_close("W_sn", w_sn.data(), floats(s["weight_sn"]), 1e-6, 1e-5);
    sn.backward(w_sn.data(), r.data(), grad.data(), ParamGrads::Write);  // L = Σ R ⊙ W_sn: G = R
    check_close("dL/dW", grad.data(), floats(s["grad_weight"]), 1e-6, 1e-5);
    for (std::size_t k = 0; k < w.size(); ++k) w[k] -= step * grad[k];
  }
  const std::vector<float> u_before(sn.u(), sn.u() + rows);
  sn.normalize(w.data(), w_sn.data(), /*power_iteration=*/false);
  check_close("eval W_sn", w_sn.data(), floats(doc["eval_weight_sn"]), 1e-6, 1e-5);
  CHECK(std::vector<float>(sn.u(), sn.u() + rows) == u_before);  // eval leaves u alone
}

TEST_CASE("Spectral norm's backward matches finite differences (u, v fixed)", "[spectral_norm][gradcheck]") {
  MtRandom values(21);
  const int rows = 6, cols = 5;
  ParameterSet buffers;
  SpectralNorm sn(buffers, "w", rows, cols);
  buffers.allocate();
  Rng rng(2, 1);
  sn.init(rng);
  std::vector<float> w = uniform(values, rows * cols, -1.0f, 1.0f);
  const std::vector<float> r = uniform(values, rows * cols, -1.0f, 1.0f);
  sn.normalize(w.data(), std::vector<float>(w.size()).data(), true);  // u, v near the singular vectors
  std::vector<float> w_sn(w.size()), grad(w.size());
  GradCase c{"spectral norm"};
  c.objective = [&] {
    sn.normalize(w.data(), w_sn.data(), false);
    double l = 0.0;
    for (std::size_t k = 0; k < w.size(); ++k) l += static_cast<double>(r[k]) * w_sn[k];
    return l;
  };
  c.analytic = [&] {
    sn.normalize(w.data(), w_sn.data(), false);
    sn.backward(w_sn.data(), r.data(), grad.data(), ParamGrads::Write);
  };
  c.h = 1e-3f;
  c.wrt("W", w.data(), grad.data(), w.size());
  check_gradients(c);
}

TEST_CASE("Power iteration converges to the largest singular value with unit u and v", "[spectral_norm]") {
  // diag(3, 2, 1) padded to 3 × 4: σ_max = 3.
  const int rows = 3, cols = 4;
  std::vector<float> w(rows * cols, 0.0f), w_sn(w.size());
  w[0 * cols + 0] = 3.0f;
  w[1 * cols + 1] = 2.0f;
  w[2 * cols + 2] = 1.0f;
  ParameterSet buffers;
  SpectralNorm sn(buffers, "w", rows, cols);
  buffers.allocate();
  Rng rng(8, 1);
  sn.init(rng);
  for (int i = 0; i < 60; ++i) sn.normalize(w.data(), w_sn.data(), true);
  CHECK(sn.sigma() == Approx(3.0f).epsilon(1e-5));
  CHECK(w_sn[0] == Approx(1.0f).epsilon(1e-5));
  double uu = 0, vv = 0;
  for (int i = 0; i < rows; ++i) uu += sn.u()[i] * sn.u()[i];
  for (int j = 0; j < cols; ++j) vv += sn.v()[j] * sn.v()[j];
  CHECK(uu == Approx(1.0).epsilon(1e-6));
  CHECK(vv == Approx(1.0).epsilon(1e-6));
  // ParamGrads: Accumulate adds, Skip leaves the buffer alone.
  std::vector<float> g(w.size(), 1.0f), out(w.size(), 5.0f), written(w.size());
  sn.backward(w_sn.data(), g.data(), written.data(), ParamGrads::Write);
  sn.backward(w_sn.data(), g.data(), out.data(), ParamGrads::Accumulate);
  for (std::size_t k = 0; k < w.size(); ++k) CHECK(out[k] == Approx(5.0f + written[k]));
  std::vector<float> untouched(w.size(), 9.0f);
  sn.backward(w_sn.data(), g.data(), untouched.data(), ParamGrads::Skip);
  CHECK(untouched == std::vector<float>(w.size(), 9.0f));
}
