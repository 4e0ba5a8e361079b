// The SIMD forms of the activations and of the BCE loss (activations.cpp, losses.cpp, via
// core/src/kernels/detail/simd_math.hpp) against their scalar reference formulas (stable_sigmoid, softplus,
// std::tanh, the plain select), element by element, at every length 0…70 and at an odd
// offset, so both the whole-batch part and the scalar tail are exercised with any alignment.
//
// Tolerance: xsimd's exp, log1p and tanh are accurate to a few ulp, as is std:: in libstdc++;
// σ, tanh and their derivatives are bounded by 1, so 4e-7 absolute (≈ 7 ulp near 1) plus
// 2e-6 relative (the small σ tail, e^x for x ≪ 0) separates rounding from any formula or
// indexing error, which is of the order of the values themselves.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "latentlab/nn/activations.hpp"
#include "latentlab/nn/losses.hpp"

using namespace latentlab;

namespace {

// Values covering both signs, ±0, the saturated tails of σ and tanh, and large |x| where a
// naive e^−x would overflow.
std::vector<float> inputs(std::size_t n, std::size_t offset) {
  static const float specials[] = {0.0f, -0.0f, 1e-8f, -1e-8f, 88.0f, -88.0f, 104.0f, -104.0f, 20.0f, -20.0f};
  std::vector<float> x(n + offset, 7.0f);
  for (std::size_t i = 0; i < n; ++i) {
    const float wave = 9.0f * std::sin(0.37f * static_cast<float>(i) + 0.1f);
    x[offset + i] = (i % 7 == 3) ? specials[(i / 7) % 10] : wave;
  }
  return x;
}

bool close(double got, double want) {
  return std::fabs(got - want) <= 4e-7 + 2e-6 * std::fabs(want);
}

// forward(f) on every length/offset against ref(x) per element.
template <class Ref>
void check_forward(const ActivationSpec& f, Ref ref) {
  for (std::size_t offset : {0u, 3u}) {
    for (std::size_t n = 0; n <= 70; ++n) {
      std::vector<float> x = inputs(n, offset);
      std::vector<float> y = x;
      activation_forward(f, y.data() + offset, n);
      for (std::size_t i = 0; i < offset; ++i) REQUIRE(y[i] == x[i]);  // nothing before the range is touched
      for (std::size_t i = offset; i < offset + n; ++i) {
        INFO(activation_name(f.kind) << " n=" << n << " offset=" << offset << " x=" << x[i]);
        REQUIRE(close(y[i], ref(x[i])));
      }
    }
  }
}

// backward(f) from y = ref(x) against the derivative formula in terms of y, per element.
template <class Ref, class Derivative>
void check_backward(const ActivationSpec& f, Ref ref, Derivative dydx) {
  for (std::size_t n = 0; n <= 70; ++n) {
    const std::vector<float> x = inputs(n, 0);
    std::vector<float> y(n), grad(n), upstream(n);
    for (std::size_t i = 0; i < n; ++i) {
      y[i] = ref(x[i]);
      upstream[i] = std::cos(0.9f * static_cast<float>(i));
    }
    grad = upstream;
    activation_backward(f, y.data(), grad.data(), n);
    for (std::size_t i = 0; i < n; ++i) {
      INFO(activation_name(f.kind) << " n=" << n << " y=" << y[i]);
      REQUIRE(close(grad[i], upstream[i] * dydx(y[i])));
    }
  }
}

}  // namespace

TEST_CASE("SIMD sigmoid and tanh match the scalar formulas at every length and offset", "[elementwise]") {
  check_forward({Activation::Sigmoid, 0.0f}, [](float x) { return stable_sigmoid(x); });
  check_forward({Activation::Tanh, 0.0f}, [](float x) { return std::tanh(x); });
  check_backward({Activation::Sigmoid, 0.0f}, [](float x) { return stable_sigmoid(x); },
                 [](float y) { return y * (1.0f - y); });
  check_backward({Activation::Tanh, 0.0f}, [](float x) { return std::tanh(x); }, [](float y) { return 1.0f - y * y; });
}

TEST_CASE("SIMD ReLU and LeakyReLU match the scalar formulas exactly and keep NaN", "[elementwise]") {
  const auto relu = [](float x) { return x < 0.0f ? 0.0f : x; };
  const auto leaky = [](float x) { return x < 0.0f ? 0.2f * x : x; };
  check_forward({Activation::ReLU, 0.0f}, relu);
  check_forward({Activation::LeakyReLU, 0.2f}, leaky);
  check_backward({Activation::ReLU, 0.0f}, relu, [](float y) { return y > 0.0f ? 1.0f : 0.0f; });
  check_backward({Activation::LeakyReLU, 0.2f}, leaky, [](float y) { return y > 0.0f ? 1.0f : 0.2f; });
  // A NaN pre-activation stays NaN through the forward (divergence must stay visible), in the
  // SIMD part (index 0 of 40) and in the scalar tail (index 39).
  for (const ActivationSpec& f : {ActivationSpec{Activation::ReLU, 0.0f}, ActivationSpec{Activation::LeakyReLU, 0.2f}}) {
    std::vector<float> x(40, -1.0f);
    x[0] = x[39] = std::numeric_limits<float>::quiet_NaN();
    activation_forward(f, x.data(), x.size());
    CHECK(std::isnan(x[0]));
    CHECK(std::isnan(x[39]));
    CHECK(x[1] <= 0.0f);
  }
}

TEST_CASE("SIMD bce_with_logits matches the scalar formula in value and gradient", "[elementwise]") {
  // 5,000 elements: more than one float partial-sum flush (64 batches) on every SIMD width.
  for (std::size_t n : {0u, 1u, 15u, 17u, 33u, 1000u, 5003u}) {
    std::vector<float> logits = inputs(n, 0), targets(n);
    for (std::size_t i = 0; i < n; ++i) targets[i] = (i % 5 == 0) ? 0.0f : (i % 5 == 1) ? 1.0f : 0.1f * (i % 10);
    std::vector<float> grad(n);
    const double loss = bce_with_logits(logits.data(), targets.data(), n, Reduction::Sum, grad.data());
    double ref = 0.0, magnitude = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double term = static_cast<double>(softplus(logits[i])) - static_cast<double>(targets[i]) * logits[i];
      ref += term;
      magnitude += std::fabs(term);
      INFO("n=" << n << " i=" << i << " x=" << logits[i] << " y=" << targets[i]);
      REQUIRE(close(grad[i], stable_sigmoid(logits[i]) - targets[i]));
    }
    INFO("n=" << n);
    // Float partial sums of ≤ 64 terms per lane: relative error well below 1e-5 of Σ|ℓ|.
    CHECK(std::fabs(loss - ref) <= 1e-5 * magnitude + 1e-6);
  }
}
