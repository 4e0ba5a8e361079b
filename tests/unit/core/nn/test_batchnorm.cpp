// BatchNorm: finite-difference gradient checks (input, γ, β; training mode; support/gradcheck.hpp),
// the running statistics update and eval mode. (A whole GAN generator with BatchNorm is checked
// through D in tests/unit/core/models/test_gan.cpp.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "latentlab/nn/batchnorm.hpp"
#include "latentlab/nn/batchnorm2d.hpp"
#include "latentlab/rng.hpp"
#include "support/gradcheck.hpp"
#include "support/values.hpp"

using namespace latentlab;
using namespace latentlab::test;

TEST_CASE("BatchNorm backward matches central differences for input, gamma and beta", "[batchnorm][gradcheck]") {
  const int batch = 6, features = 5;
  ParameterSet params, buffers;
  BatchNorm bn(params, buffers, "bn", features, 1e-3f, 0.0f);  // momentum 0: running stats stay put
  params.allocate();
  buffers.allocate();
  bn.init();
  Rng rng(7);
  std::vector<float> x(batch * features), r(batch * features);
  rng.fill_normal(x.data(), x.size());
  rng.fill_normal(r.data(), r.size());
  for (int j = 0; j < features; ++j) {
    params.values()[j] = 0.5f + 0.2f * j;               // γ ≠ 1
    params.values()[16 + j] = -0.3f + 0.1f * j;         // β ≠ 0 (offsets are 64-byte aligned: 16 floats)
  }
  REQUIRE(params.find("bn.bias")->offset == 16);

  // L = Σ r ⊙ BN(x) in training mode; backward turns dL/dy = r into dL/dx in place.
  std::vector<float> y(x.size()), g(r.size());
  GradCase c{"BatchNorm"};
  c.objective = [&] {
    std::vector<float> out(x.size());
    bn.forward(x.data(), batch, out.data(), true);
    return weighted_sum(r.data(), out.data(), out.size());
  };
  c.analytic = [&] {
    std::copy(r.begin(), r.end(), g.begin());
    params.zero_grads();
    bn.forward(x.data(), batch, y.data(), true);
    bn.backward(g.data(), batch);
  };
  c.tolerance = {2e-3, 2e-3, 0.0};  // |fd − analytic| ≤ 2e-3 · max(1, |fd|)
  c.wrt("x", x.data(), g.data(), x.size()).wrt(params);  // bn.weight (γ), bn.bias (β)
  const GradReport report = check_gradients(c);
  CHECK(report.checked == batch * features + 2 * features);
}

TEST_CASE("BatchNorm running statistics and eval mode follow torch.nn.BatchNorm1d", "[batchnorm]") {
  const int batch = 4, features = 2;
  ParameterSet params, buffers;
  BatchNorm bn(params, buffers, "bn", features, 1e-5f, 0.1f);
  params.allocate();
  buffers.allocate();
  bn.init();
  // Column 0: 1, 2, 3, 4 (mean 2.5, biased var 1.25, unbiased 5/3); column 1: constant 7.
  const std::vector<float> x = {1, 7, 2, 7, 3, 7, 4, 7};
  std::vector<float> y(x.size());
  bn.forward(x.data(), batch, y.data(), true);
  CHECK(y[0] == Approx((1 - 2.5) / std::sqrt(1.25 + 1e-5)).epsilon(1e-6));
  CHECK(y[1] == Approx(0.0).margin(1e-6));
  const float* running_mean = buffers.values() + buffers.find("bn.running_mean")->offset;
  const float* running_var = buffers.values() + buffers.find("bn.running_var")->offset;
  CHECK(running_mean[0] == Approx(0.9 * 0 + 0.1 * 2.5));
  CHECK(running_var[0] == Approx(0.9 * 1 + 0.1 * (5.0 / 3.0)));
  CHECK(running_mean[1] == Approx(0.7));
  CHECK(running_var[1] == Approx(0.9));
  // Eval: y = (x − running_mean)/√(running_var + ε)
  const std::vector<float> one = {2.0f, 1.0f};
  std::vector<float> out(2);
  bn.forward(one.data(), 1, out.data(), false);
  CHECK(out[0] == Approx((2.0 - 0.25) / std::sqrt(0.9 + 1.0 / 6.0 + 1e-5)));
  CHECK(out[1] == Approx((1.0 - 0.7) / std::sqrt(0.9 + 1e-5)));
}

TEST_CASE("BatchNorm2d training forward and backward give the same bits for 1, 2 and 3 threads", "[batchnorm][parallel]") {
  // 64 channels of 7×7 at batch 32 (≈ 100k values: enough for three parts): the channel sums split
  // over channels, the elementwise passes over planes.
  const int batch = 32, channels = 64, plane = 49;
  const std::size_t n = static_cast<std::size_t>(batch) * channels * plane;
  Rng rng(11);
  std::vector<float> x(n), r(n);
  rng.fill_normal(x.data(), n);
  rng.fill_normal(r.data(), n);
  struct Result {
    std::vector<float> y, dx, grads, buffers;
  };
  const auto run = [&](int threads) {
    ScopedThreads pool(threads);
    ParameterSet params, buffers;
    BatchNorm2d bn(params, buffers, "bn", channels, plane, 1e-5f, 0.1f);
    params.allocate();
    buffers.allocate();
    bn.init();
    for (int c = 0; c < channels; ++c) {
      params.values()[params.find("bn.weight")->offset + c] = 0.5f + 0.01f * c;
      params.values()[params.find("bn.bias")->offset + c] = -0.2f + 0.005f * c;
    }
    Result out{std::vector<float>(n), r, {}, {}};
    params.zero_grads();
    bn.forward(x.data(), batch, out.y.data(), true);
    bn.backward(out.dx.data(), batch);
    out.grads.assign(params.grads(), params.grads() + params.size());
    out.buffers.assign(buffers.values(), buffers.values() + buffers.size());
    return out;
  };
  const Result one = run(1);
  for (int threads : {2, 3}) {
    const Result many = run(threads);
    INFO(threads << " threads");
    CHECK(many.y == one.y);
    CHECK(many.dx == one.dx);
    CHECK(many.grads == one.grads);
    CHECK(many.buffers == one.buffers);
  }
}
