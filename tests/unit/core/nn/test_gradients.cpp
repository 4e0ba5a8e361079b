// Finite-difference checks of every hand-written backward pass: activations, Linear with each
// activation, every loss, the reparameterisation, the whole VAE, and the GAN (discriminator
// w.r.t. its parameters and its input, generator through the discriminator).
//
// Method. The engine is float32, so each check uses a scalar objective evaluated in double
// from the float32 outputs — L = Σ r ⊙ output with fixed random r for layers, the loss itself
// for losses and models — and the central difference
//     fd = (L(θ + h) − L(θ − h)) / (θ₊ − θ₋),   θ± = float(θ ± h) (the perturbation actually applied),
// for EVERY coordinate of small models (no sampling). The error of fd has two parts:
//   truncation  h²/6 · |L'''|                       (0 for piecewise-linear ReLU paths)
//   rounding    ≈ (float32 rounding of the outputs in L, ~6e-8 · Σ|terms|) / (2h)
// With h = 1e-2 and the sizes used here, |fd − analytic| measured at most 6e-5 (gaussian_kl sum,
// truncation through e^logvar; VAE 4e-5; ReLU-only paths ~1e-6). Each coordinate must satisfy
//     |fd − analytic| ≤ kScale · S + kRel · |analytic|,   kScale = kRel = 1e-3,
// where S is the largest |analytic| of the check (the noise is set by the objective's rounding,
// not by a coordinate's own gradient, so small coordinates are judged on their check's scale).
// Measured: ≤ 2.5% of this tolerance in every check except the generator through D (11%: its
// gradient scale is only ~0.01 while the loss ~0.7 sets the rounding noise). A wrong derivative
// (missing factor, wrong sign, transposed index, lost accumulation) is off by O(|analytic|) and
// fails.
// ReLU/LeakyReLU kinks: a coordinate is skipped when the on/off pattern of any ReLU or
// LeakyReLU unit at θ ± h differs from the pattern at θ (a kink inside the difference);
// each check requires that at most 10% of its coordinates are skipped.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "latentlab/nn/activations.hpp"
#include "latentlab/models/gan.hpp"
#include "latentlab/nn/linear.hpp"
#include "latentlab/nn/losses.hpp"
#include "latentlab/nn/mlp.hpp"
#include "latentlab/nn/parameters.hpp"
#include "latentlab/nn/reparameterize.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/models/vae.hpp"

using namespace latentlab;

namespace {

constexpr double kScale = 1e-3, kRel = 1e-3;

// Test inputs come from std::mt19937 (fully specified by the C++ standard) and our own
// word → float mapping, so they do not depend on the Rng under test elsewhere.
class TestRandom {
 public:
  explicit TestRandom(std::uint32_t seed) : gen_(seed) {}
  float uniform(float lo, float hi) { return lo + (hi - lo) * static_cast<float>((gen_() >> 8) * (1.0 / 16777216.0)); }
  std::vector<float> vector(std::size_t n, float lo, float hi) {
    std::vector<float> v(n);
    for (auto& x : v) x = uniform(lo, hi);
    return v;
  }
  // Values with lo ≤ |v| ≤ hi and a random sign: keeps inputs of ReLU-type functions away from 0.
  std::vector<float> away_from_zero(std::size_t n, float lo, float hi) {
    std::vector<float> v(n);
    for (auto& x : v) x = (gen_() & 1u ? 1.0f : -1.0f) * uniform(lo, hi);
    return v;
  }

 private:
  std::mt19937 gen_;
};

using Pattern = std::vector<char>;

// One finite-difference check: a scalar objective (which also reports the ReLU on/off pattern
// of the point it evaluated), coordinates perturbed in place, statistics for the report.
class FiniteDifference {
 public:
  using Objective = std::function<double(Pattern&)>;
  FiniteDifference(std::string what, Objective objective, float h)
      : what_(std::move(what)), objective_(std::move(objective)), h_(h) {
    objective_(base_pattern_);
  }

  // Compares d objective / d *p (with *p perturbed in place and restored) against analytic.
  void coordinate(float* p, double analytic, const std::string& label) {
    const float original = *p;
    const float up = original + h_, down = original - h_;
    Pattern pattern_up, pattern_down;
    *p = up;
    const double f_up = objective_(pattern_up);
    *p = down;
    const double f_down = objective_(pattern_down);
    *p = original;
    ++total_;
    if (pattern_up != base_pattern_ || pattern_down != base_pattern_) {
      ++skipped_;
      return;
    }
    const double fd = (f_up - f_down) / (static_cast<double>(up) - static_cast<double>(down));
    results_.push_back({fd, analytic, label});
  }

  // Every coordinate of a flat block: analytic[i] is the gradient for p[i].
  void block(float* p, const float* analytic, std::size_t n, const std::string& label) {
    for (std::size_t i = 0; i < n; ++i) coordinate(p + i, analytic[i], label + "[" + std::to_string(i) + "]");
  }

  // Final verdict (`-s` shows the counts). The tolerance of each coordinate is
  // kScale·S + kRel·|analytic| with S the largest |analytic| of this check: finite-difference
  // noise does not shrink with a coordinate's own gradient, so small coordinates are judged on
  // the scale of the gradient they belong to.
  void report() {
    double scale = 0.0;
    for (const auto& r : results_) scale = std::max(scale, std::fabs(r.analytic));
    double worst = 0.0, max_abs_error = 0.0;
    int failures = 0;
    for (const auto& r : results_) {
      const double err = std::fabs(r.fd - r.analytic);
      const double ratio = err / (kScale * scale + kRel * std::fabs(r.analytic));
      max_abs_error = std::max(max_abs_error, err);
      if (!(ratio <= worst)) worst = ratio;
      if (!(ratio <= 1.0) && ++failures <= 8) {
        INFO(what_ << " " << r.label << ": finite difference " << r.fd << ", analytic " << r.analytic << ", |diff| "
                   << err << ", gradient scale " << scale);
        FAIL_CHECK("gradient mismatch");
      }
    }
    const int checked = total_ - skipped_;
    INFO(what_ << ": " << checked << " of " << total_ << " coordinates checked (" << skipped_
               << " skipped at ReLU kinks), gradient scale " << scale << ", worst |fd − analytic| " << max_abs_error
               << " = " << worst << " of the tolerance");
    CHECK(total_ > 0);
    CHECK(scale > 0.0);
    CHECK(skipped_ * 10 <= total_);
    CHECK(failures == 0);
    CHECK(worst <= 1.0);
  }
  int checked() const { return total_ - skipped_; }

 private:
  std::string what_;
  Objective objective_;
  float h_;
  Pattern base_pattern_;
  struct Result {
    double fd, analytic;
    std::string label;
  };
  std::vector<Result> results_;
  int total_ = 0, skipped_ = 0;
};

double weighted_sum(const float* r, const float* y, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(r[i]) * y[i];
  return s;
}

bool is_relu_like(Activation a) { return a == Activation::ReLU || a == Activation::LeakyReLU; }

void append_pattern(Pattern& pattern, const float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) pattern.push_back(y[i] > 0.0f ? 1 : 0);
}

// Runs the layers of an Mlp one by one (public Linear::forward) and appends the on/off pattern
// of its ReLU / LeakyReLU outputs.
void mlp_pattern(const Mlp& mlp, const float* x, int batch, Pattern& pattern) {
  std::vector<float> in(x, x + static_cast<std::size_t>(batch) * mlp.input_size()), out;
  for (const Linear& layer : mlp.layers()) {
    out.assign(static_cast<std::size_t>(batch) * layer.out(), 0.0f);
    layer.forward(in.data(), batch, out.data());
    if (is_relu_like(layer.activation().kind)) append_pattern(pattern, out.data(), out.size());
    in.swap(out);
  }
}

double softplus_d(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }
double sigmoid_d(double x) { return 1.0 / (1.0 + std::exp(-x)); }

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
      TestRandom rnd(11);
      const std::size_t n = 40;
      // |x| ∈ [0.05, 4]: away from the ReLU kink by more than h; both saturating tails of σ, tanh.
      std::vector<float> x = rnd.away_from_zero(n, 0.05f, 4.0f);
      const std::vector<float> r = rnd.vector(n, -1.0f, 1.0f);

      // Forward against the textbook formula in double (the forward must be right for the
      // backward's "from the output" formulas to mean anything).
      std::vector<float> y = x;
      activation_forward(f, y.data(), n);
      for (std::size_t i = 0; i < n; ++i) {
        INFO(activation_name(f.kind) << "(" << x[i] << ")");
        CHECK(y[i] == Approx(activation_reference(f, x[i])).epsilon(1e-6).margin(1e-7));
      }

      std::vector<float> grad = r;
      activation_backward(f, y.data(), grad.data(), n);
      FiniteDifference fd(
          std::string("activation ") + activation_name(f.kind),
          [&](Pattern& pattern) {
            std::vector<float> out = x;
            activation_forward(f, out.data(), n);
            if (is_relu_like(f.kind)) append_pattern(pattern, out.data(), n);
            return weighted_sum(r.data(), out.data(), n);
          },
          1e-2f);
      fd.block(x.data(), grad.data(), n, "x");
      fd.report();
      CHECK(fd.checked() == static_cast<int>(n));  // inputs were chosen away from kinks
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

TEST_CASE("Linear backward matches finite differences for each activation", "[gradcheck]") {
  const int in = 5, out = 4, batch = 3;
  for (const ActivationSpec& f : kAllActivations) {
    SECTION(activation_name(f.kind)) {
      TestRandom rnd(23);
      ParameterSet params;
      Linear layer(params, "layer", in, out, f);
      params.allocate();
      const std::vector<float> w = rnd.vector(static_cast<std::size_t>(out) * in, -1.0f, 1.0f);
      const std::vector<float> b = rnd.vector(out, -0.5f, 0.5f);
      std::copy(w.begin(), w.end(), layer.weight());
      std::copy(b.begin(), b.end(), layer.bias());
      std::vector<float> x = rnd.vector(static_cast<std::size_t>(batch) * in, -1.0f, 1.0f);
      const std::vector<float> r = rnd.vector(static_cast<std::size_t>(batch) * out, -1.0f, 1.0f);

      // Analytic: L = Σ r ⊙ y, so dL/dy = r.
      std::vector<float> y(static_cast<std::size_t>(batch) * out);
      layer.forward(x.data(), batch, y.data());
      std::vector<float> grad_y = r, grad_x(x.size(), 0.0f);
      params.zero_grads();
      layer.backward(x.data(), y.data(), grad_y.data(), batch, grad_x.data());
      const std::vector<float> dw(layer.weight_grad(), layer.weight_grad() + w.size());
      const std::vector<float> db(layer.bias_grad(), layer.bias_grad() + b.size());

      FiniteDifference fd(
          std::string("Linear+") + activation_name(f.kind),
          [&](Pattern& pattern) {
            std::vector<float> o(y.size());
            layer.forward(x.data(), batch, o.data());
            if (is_relu_like(f.kind)) append_pattern(pattern, o.data(), o.size());
            return weighted_sum(r.data(), o.data(), o.size());
          },
          1e-2f);
      fd.block(layer.weight(), dw.data(), dw.size(), "weight");
      fd.block(layer.bias(), db.data(), db.size(), "bias");
      fd.block(x.data(), grad_x.data(), grad_x.size(), "x");
      fd.report();

      // Parameter gradients accumulate (+=) across backward calls; grad_x is overwritten.
      std::vector<float> grad_y2 = r, grad_x2(x.size(), 123.0f);
      layer.backward(x.data(), y.data(), grad_y2.data(), batch, grad_x2.data());
      for (std::size_t i = 0; i < dw.size(); ++i) CHECK(layer.weight_grad()[i] == Approx(2.0f * dw[i]).margin(1e-6));
      for (std::size_t i = 0; i < db.size(); ++i) CHECK(layer.bias_grad()[i] == Approx(2.0f * db[i]).margin(1e-6));
      CHECK(grad_x2 == grad_x);
      // accumulate_param_grads = false leaves them alone but still gives dL/dx.
      std::vector<float> grad_y3 = r, grad_x3(x.size(), 0.0f);
      const std::vector<float> dw_before(layer.weight_grad(), layer.weight_grad() + w.size());
      layer.backward(x.data(), y.data(), grad_y3.data(), batch, grad_x3.data(), false);
      CHECK(std::vector<float>(layer.weight_grad(), layer.weight_grad() + w.size()) == dw_before);
      CHECK(grad_x3 == grad_x);
    }
  }
}

TEST_CASE("Loss gradients match finite differences", "[gradcheck]") {
  TestRandom rnd(37);
  const std::size_t n = 24;

  SECTION("bce_with_logits") {
    std::vector<float> logits = rnd.vector(n, -4.0f, 4.0f);
    std::vector<float> targets = rnd.vector(n, 0.0f, 1.0f);
    targets[0] = 0.0f;
    targets[1] = 1.0f;
    targets[2] = 0.0f;
    targets[3] = 1.0f;
    for (Reduction red : {Reduction::Sum, Reduction::Mean}) {
      const bool mean = red == Reduction::Mean;
      std::vector<float> grad(n);
      const double loss = bce_with_logits(logits.data(), targets.data(), n, red, grad.data());
      // Value: ℓ = softplus(x) − y·x, in double.
      double ref = 0.0;
      for (std::size_t i = 0; i < n; ++i) ref += softplus_d(logits[i]) - double(targets[i]) * logits[i];
      if (mean) ref /= n;
      CHECK(loss == Approx(ref).epsilon(1e-6));
      CHECK(bce_with_logits(logits.data(), targets.data(), n, red, nullptr) == loss);
      FiniteDifference fd(
          mean ? "bce_with_logits mean" : "bce_with_logits sum",
          [&](Pattern&) { return bce_with_logits(logits.data(), targets.data(), n, red, nullptr); }, 1e-2f);
      fd.block(logits.data(), grad.data(), n, "logits");
      fd.report();
    }
  }

  SECTION("mse") {
    std::vector<float> pred = rnd.vector(n, -2.0f, 2.0f);
    const std::vector<float> target = rnd.vector(n, -2.0f, 2.0f);
    for (Reduction red : {Reduction::Sum, Reduction::Mean}) {
      const bool mean = red == Reduction::Mean;
      std::vector<float> grad(n);
      const double loss = mse(pred.data(), target.data(), n, red, grad.data());
      double ref = 0.0;
      for (std::size_t i = 0; i < n; ++i) ref += (double(pred[i]) - target[i]) * (double(pred[i]) - target[i]);
      if (mean) ref /= n;
      CHECK(loss == Approx(ref).epsilon(1e-6));
      FiniteDifference fd(mean ? "mse mean" : "mse sum",
                          [&](Pattern&) { return mse(pred.data(), target.data(), n, red, nullptr); }, 1e-2f);
      fd.block(pred.data(), grad.data(), n, "predictions");
      fd.report();
    }
  }

  SECTION("gaussian_kl") {
    std::vector<float> mu = rnd.vector(n, -2.0f, 2.0f);
    std::vector<float> logvar = rnd.vector(n, -3.0f, 2.0f);
    for (Reduction red : {Reduction::Sum, Reduction::Mean}) {
      const bool mean = red == Reduction::Mean;
      std::vector<float> grad_mu(n), grad_logvar(n);
      const double loss = gaussian_kl(mu.data(), logvar.data(), n, red, grad_mu.data(), grad_logvar.data());
      double ref = 0.0;
      for (std::size_t i = 0; i < n; ++i)
        ref += -0.5 * (1.0 + logvar[i] - double(mu[i]) * mu[i] - std::exp(double(logvar[i])));
      if (mean) ref /= n;
      CHECK(loss == Approx(ref).epsilon(1e-6));
      FiniteDifference fd(
          mean ? "gaussian_kl mean" : "gaussian_kl sum",
          [&](Pattern&) { return gaussian_kl(mu.data(), logvar.data(), n, red, nullptr, nullptr); }, 1e-2f);
      fd.block(mu.data(), grad_mu.data(), n, "mu");
      fd.block(logvar.data(), grad_logvar.data(), n, "logvar");
      fd.report();
    }
  }

  SECTION("gan_discriminator_loss") {
    std::vector<float> real = rnd.vector(n, -5.0f, 5.0f), fake = rnd.vector(n, -5.0f, 5.0f);
    std::vector<float> grad_real(n), grad_fake(n);
    const double loss = gan_discriminator_loss(real.data(), fake.data(), n, grad_real.data(), grad_fake.data());
    double ref = 0.0;
    for (std::size_t i = 0; i < n; ++i) ref += softplus_d(-double(real[i])) + softplus_d(fake[i]);
    CHECK(loss == Approx(ref / n).epsilon(1e-6));
    FiniteDifference fd(
        "gan_discriminator_loss",
        [&](Pattern&) { return gan_discriminator_loss(real.data(), fake.data(), n, nullptr, nullptr); }, 1e-2f);
    fd.block(real.data(), grad_real.data(), n, "real logits");
    fd.block(fake.data(), grad_fake.data(), n, "fake logits");
    fd.report();
  }

  SECTION("gan_generator_loss") {
    std::vector<float> fake = rnd.vector(n, -5.0f, 5.0f);
    std::vector<float> grad(n);
    const double loss = gan_generator_loss(fake.data(), n, grad.data());
    double ref = 0.0;
    for (std::size_t i = 0; i < n; ++i) ref += softplus_d(-double(fake[i]));
    CHECK(loss == Approx(ref / n).epsilon(1e-6));
    FiniteDifference fd("gan_generator_loss", [&](Pattern&) { return gan_generator_loss(fake.data(), n, nullptr); },
                        1e-2f);
    fd.block(fake.data(), grad.data(), n, "fake logits");
    fd.report();
  }
}

TEST_CASE("reparameterize_backward matches finite differences and accumulates", "[gradcheck]") {
  TestRandom rnd(41);
  const std::size_t n = 20;
  std::vector<float> mu = rnd.vector(n, -2.0f, 2.0f), logvar = rnd.vector(n, -3.0f, 2.0f);
  const std::vector<float> eps = rnd.vector(n, -2.5f, 2.5f), r = rnd.vector(n, -1.0f, 1.0f);

  std::vector<float> z(n);
  reparameterize_forward(mu.data(), logvar.data(), eps.data(), z.data(), n);
  for (std::size_t i = 0; i < n; ++i)
    CHECK(z[i] == Approx(mu[i] + std::exp(0.5 * logvar[i]) * eps[i]).epsilon(1e-6).margin(1e-6));

  // Gradients are added to what is already there (the KL term's gradients in the VAE).
  std::vector<float> grad_mu(n, 0.25f), grad_logvar(n, -0.5f);
  reparameterize_backward(logvar.data(), eps.data(), r.data(), grad_mu.data(), grad_logvar.data(), n);
  for (auto& g : grad_mu) g -= 0.25f;
  for (auto& g : grad_logvar) g += 0.5f;

  FiniteDifference fd(
      "reparameterize",
      [&](Pattern&) {
        std::vector<float> zz(n);
        reparameterize_forward(mu.data(), logvar.data(), eps.data(), zz.data(), n);
        return weighted_sum(r.data(), zz.data(), n);
      },
      1e-2f);
  fd.block(mu.data(), grad_mu.data(), n, "mu");
  fd.block(logvar.data(), grad_logvar.data(), n, "logvar");
  fd.report();
}

TEST_CASE("VAE gradients of every parameter match finite differences", "[gradcheck][vae]") {
  for (const std::vector<int>& hidden : {std::vector<int>{8}, std::vector<int>{8, 6}}) {
    SECTION("hidden " + std::to_string(hidden.size()) + " layer(s)") {
      VaeConfig config;
      config.input = 12;
      config.hidden = hidden;
      config.latent = 3;
      config.beta = hidden.size() == 1 ? 1.0f : 0.5f;
      Vae vae(config);
      Rng init(7, 1);
      vae.init(init);
      TestRandom rnd(53);
      const int batch = 4;
      std::vector<float> x = rnd.vector(static_cast<std::size_t>(batch) * config.input, 0.0f, 1.0f);
      x[0] = 0.0f;
      x[1] = 1.0f;
      const std::vector<float> eps = rnd.vector(static_cast<std::size_t>(batch) * config.latent, -2.0f, 2.0f);

      ParameterSet& params = vae.parameters();
      vae.compute_gradients(x.data(), batch, eps.data());
      const std::vector<float> analytic(params.grads(), params.grads() + params.size());

      FiniteDifference fd(
          "VAE hidden " + std::to_string(hidden.size()),
          [&](Pattern& pattern) {
            const VaeLosses l = vae.compute_gradients(x.data(), batch, eps.data());
            mlp_pattern(vae.encoder(), x.data(), batch, pattern);
            mlp_pattern(vae.decoder(), vae.last_z(), batch, pattern);
            return l.total;
          },
          1e-2f);
      for (const TensorInfo& t : params.tensors())
        fd.block(params.values() + t.offset, analytic.data() + t.offset, t.size, t.name);
      fd.report();
      CHECK(fd.checked() >= static_cast<int>(params.count() * 9 / 10));
    }
  }
}

// The reduced GAN both GAN checks use: small enough to check every parameter.
GanConfig small_gan_config() {
  GanConfig config;
  config.image = 10;
  config.latent = 4;
  config.generator_hidden = {6, 8};
  config.discriminator_hidden = {7, 5};
  config.leaky_slope = 0.2f;
  return config;
}

TEST_CASE("GAN discriminator gradients w.r.t. parameters and input match finite differences", "[gradcheck][gan]") {
  const GanConfig config = small_gan_config();
  Gan gan(config);
  Rng init(3, 3);
  gan.init(init);
  TestRandom rnd(61);
  const int batch = 4;
  Mlp& d = gan.discriminator();
  ParameterSet& params = gan.discriminator_parameters();

  SECTION("Mlp::backward with grad_x, L = Σ r ⊙ D(x)") {
    std::vector<float> x = rnd.vector(static_cast<std::size_t>(batch) * config.image, -1.0f, 1.0f);
    const std::vector<float> r = rnd.vector(batch, -1.0f, 1.0f);
    d.forward(x.data(), batch);
    std::vector<float> grad_out = r, grad_x(x.size(), 0.0f);
    params.zero_grads();
    d.backward(x.data(), grad_out.data(), batch, grad_x.data());
    const std::vector<float> analytic(params.grads(), params.grads() + params.size());

    FiniteDifference fd(
        "discriminator Σ r⊙D(x)",
        [&](Pattern& pattern) {
          const float* logits = d.forward(x.data(), batch);
          const double l = weighted_sum(r.data(), logits, batch);
          mlp_pattern(d, x.data(), batch, pattern);
          return l;
        },
        1e-2f);
    for (const TensorInfo& t : params.tensors())
      fd.block(params.values() + t.offset, analytic.data() + t.offset, t.size, t.name);
    fd.block(x.data(), grad_x.data(), grad_x.size(), "input");
    fd.report();
    CHECK(fd.checked() >= static_cast<int>((params.count() + x.size()) * 9 / 10));

    // accumulate_param_grads = false: same dL/dx, parameter gradients untouched.
    d.forward(x.data(), batch);
    std::vector<float> grad_out2 = r, grad_x2(x.size(), 0.0f);
    d.backward(x.data(), grad_out2.data(), batch, grad_x2.data(), false);
    CHECK(std::vector<float>(params.grads(), params.grads() + params.size()) == analytic);
    CHECK(grad_x2 == grad_x);
  }

  SECTION("discriminator_gradients: ∇_D L_D") {
    const std::vector<float> z = rnd.vector(static_cast<std::size_t>(batch) * config.latent, -2.0f, 2.0f);
    const std::vector<float> real = rnd.vector(static_cast<std::size_t>(batch) * config.image, -1.0f, 1.0f);
    gan.set_fakes_from(z.data(), batch);
    const std::vector<float> fakes(gan.fakes(), gan.fakes() + real.size());
    const GanLosses losses = gan.discriminator_gradients(real.data());
    const std::vector<float> analytic(params.grads(), params.grads() + params.size());

    // L_D = mean softplus(−D(real)) + mean softplus(D(fake)), evaluated here from D's logits.
    std::vector<float> real_logits(batch), fake_logits(batch);
    auto loss_d = [&](Pattern& pattern) {
      gan.discriminate(real.data(), batch, real_logits.data());
      gan.discriminate(fakes.data(), batch, fake_logits.data());
      double l = 0.0;
      for (int i = 0; i < batch; ++i) l += softplus_d(-double(real_logits[i])) + softplus_d(fake_logits[i]);
      mlp_pattern(d, real.data(), batch, pattern);
      mlp_pattern(d, fakes.data(), batch, pattern);
      return l / batch;
    };
    Pattern unused;
    CHECK(losses.discriminator == Approx(loss_d(unused)).epsilon(1e-6));
    FiniteDifference fd("discriminator L_D", loss_d, 1e-2f);
    for (const TensorInfo& t : params.tensors())
      fd.block(params.values() + t.offset, analytic.data() + t.offset, t.size, t.name);
    fd.report();
    CHECK(fd.checked() >= static_cast<int>(params.count() * 9 / 10));
  }
}

TEST_CASE("GAN generator gradients through the discriminator match finite differences", "[gradcheck][gan]") {
  const GanConfig config = small_gan_config();
  Gan gan(config);
  Rng init(4, 9);
  gan.init(init);
  TestRandom rnd(67);
  const int batch = 4;
  const std::vector<float> z = rnd.vector(static_cast<std::size_t>(batch) * config.latent, -2.0f, 2.0f);
  ParameterSet& g_params = gan.generator_parameters();
  ParameterSet& d_params = gan.discriminator_parameters();

  gan.set_fakes_from(z.data(), batch);
  d_params.zero_grads();
  const double loss_g = gan.generator_gradients();
  const std::vector<float> analytic(g_params.grads(), g_params.grads() + g_params.size());
  // D's parameter gradients are not touched by the generator step.
  for (std::size_t i = 0; i < d_params.size(); ++i) REQUIRE(d_params.grads()[i] == 0.0f);

  // L_G = mean softplus(−D(G(z))), evaluated here from generate() and discriminate().
  std::vector<float> images(static_cast<std::size_t>(batch) * config.image), logits(batch);
  auto objective = [&](Pattern& pattern) {
    gan.generate(z.data(), batch, images.data());
    gan.discriminate(images.data(), batch, logits.data());
    double l = 0.0;
    for (int i = 0; i < batch; ++i) l += softplus_d(-double(logits[i]));
    mlp_pattern(gan.generator(), z.data(), batch, pattern);
    mlp_pattern(gan.discriminator(), images.data(), batch, pattern);
    return l / batch;
  };
  Pattern unused;
  CHECK(loss_g == Approx(objective(unused)).epsilon(1e-6));
  FiniteDifference fd("generator L_G through D", objective, 1e-2f);
  for (const TensorInfo& t : g_params.tensors())
    fd.block(g_params.values() + t.offset, analytic.data() + t.offset, t.size, t.name);
  fd.report();
  CHECK(fd.checked() >= static_cast<int>(g_params.count() * 9 / 10));
}
