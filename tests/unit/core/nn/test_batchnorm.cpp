// BatchNorm: finite-difference gradient checks (input, γ, β; training mode), the running
// statistics update, eval mode, and a whole GAN generator with BatchNorm checked through D.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "latentlab/nn/batchnorm.hpp"
#include "latentlab/models/gan.hpp"
#include "latentlab/rng.hpp"

using namespace latentlab;

namespace {

// Objective L = Σ r ⊙ BN(x) with fixed random r, in double.
double objective(BatchNorm& bn, const std::vector<float>& x, int batch, const std::vector<float>& r) {
  std::vector<float> y(x.size());
  bn.forward(x.data(), batch, y.data(), true);
  double s = 0;
  for (std::size_t i = 0; i < y.size(); ++i) s += static_cast<double>(r[i]) * y[i];
  return s;
}

}  // namespace

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

  // Analytic gradients.
  std::vector<float> y(x.size()), g(r);
  params.zero_grads();
  bn.forward(x.data(), batch, y.data(), true);
  bn.backward(g.data(), batch);

  const float h = 1e-2f;
  // Input.
  for (std::size_t i = 0; i < x.size(); ++i) {
    std::vector<float> xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    const double fd = (objective(bn, xp, batch, r) - objective(bn, xm, batch, r)) / (2.0 * h);
    CHECK(std::fabs(fd - g[i]) <= 2e-3 * std::max(1.0, std::fabs(fd)));
  }
  // γ and β.
  for (std::size_t offset : {std::size_t{0}, std::size_t{16}}) {
    for (int j = 0; j < features; ++j) {
      float& p = params.values()[offset + j];
      const float saved = p;
      p = saved + h;
      const double lp = objective(bn, x, batch, r);
      p = saved - h;
      const double lm = objective(bn, x, batch, r);
      p = saved;
      const double fd = (lp - lm) / (2.0 * h);
      CHECK(std::fabs(fd - params.grads()[offset + j]) <= 2e-3 * std::max(1.0, std::fabs(fd)));
    }
  }
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

TEST_CASE("GAN generator with BatchNorm and LeakyReLU: gradients through D match central differences",
          "[batchnorm][gradcheck]") {
  GanConfig config;
  config.image = 10;
  config.latent = 4;
  config.generator_hidden = {6, 8};
  config.discriminator_hidden = {7};
  config.generator_leaky = true;
  config.generator_batchnorm = true;
  config.batchnorm_eps = 0.8f;
  Gan gan(config);
  Rng rng(3);
  gan.init(rng);
  REQUIRE(gan.generator_parameters().find("generator.fc2.bn.weight") != nullptr);
  REQUIRE(gan.generator_buffers().find("generator.fc2.bn.running_var") != nullptr);
  const int batch = 5;
  std::vector<float> z(batch * config.latent);
  rng.fill_normal(z.data(), z.size());

  auto loss = [&]() {
    gan.set_fakes_from(z.data(), batch);
    return gan.generator_gradients();
  };
  loss();
  ParameterSet& p = gan.generator_parameters();
  const std::vector<float> analytic(p.grads(), p.grads() + p.size());
  const float h = 1e-2f;
  int checked = 0;
  for (const auto& t : p.tensors()) {
    for (std::size_t i = t.offset; i < t.offset + t.size; ++i) {
      const float saved = p.values()[i];
      p.values()[i] = saved + h;
      const double lp = loss();
      p.values()[i] = saved - h;
      const double lm = loss();
      p.values()[i] = saved;
      const double fd = (lp - lm) / (2.0 * h);
      // fp32 forward, loss ≈ 0.7: rounding noise ≈ 1e-7/h ≈ 1e-5; kinks of LeakyReLU rarely straddled.
      CHECK(std::fabs(fd - analytic[i]) <= 2e-3 + 2e-2 * std::fabs(analytic[i]));
      ++checked;
    }
  }
  CHECK(checked == static_cast<int>(p.count()));
}
