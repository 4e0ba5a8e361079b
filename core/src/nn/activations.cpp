// Activation layers: each forward next to its backward (see activations.hpp for the math).
// `x < 0 ? 0 : x` (select(v < 0, 0, v)) keeps NaN as NaN (so divergence stays visible)
// where `x > 0 ? x : 0` would hide it.
#include "latentlab/nn/activations.hpp"

#include <cmath>

#include "latentlab/kernels/kernels.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "../kernels/detail/wasm_math.hpp"
#include "../kernels/detail/simd_math.hpp"

namespace latentlab {

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::Identity: return "identity";
    case Activation::ReLU: return "relu";
    case Activation::LeakyReLU: return "leaky_relu";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Tanh: return "tanh";
  }
  return "?";
}

// Each map runs on whole SIMD batches (simd_math.hpp), then finishes the last n mod W
// elements with the same formula in scalar form.
using simd::batch;
using simd::load;
using simd::W;

// ReLU: y = max(x, 0); dy/dx = [y > 0].
void relu_forward(float* x, std::size_t n) {
  const batch zero(0.0f);
  std::size_t i = 0;
  for (; i + W <= n; i += W) {
    const batch v = load(x + i);
    xsimd::select(v < zero, zero, v).store_unaligned(x + i);
  }
  for (; i < n; ++i) x[i] = x[i] < 0.0f ? 0.0f : x[i];
}
void relu_backward(const float* y, float* grad, std::size_t n) {
  const batch zero(0.0f);
  std::size_t i = 0;
  for (; i + W <= n; i += W) xsimd::select(load(y + i) > zero, load(grad + i), zero).store_unaligned(grad + i);
  for (; i < n; ++i) grad[i] = y[i] > 0.0f ? grad[i] : 0.0f;
}

// LeakyReLU: y = x (x > 0) or s·x; dy/dx = 1 or s. With s > 0, sign(y) = sign(x).
void leaky_relu_forward(float* x, std::size_t n, float slope) {
  const batch zero(0.0f), s(slope);
  std::size_t i = 0;
  for (; i + W <= n; i += W) {
    const batch v = load(x + i);
    xsimd::select(v < zero, s * v, v).store_unaligned(x + i);
  }
  for (; i < n; ++i) x[i] = x[i] < 0.0f ? slope * x[i] : x[i];
}
void leaky_relu_backward(const float* y, float* grad, std::size_t n, float slope) {
  const batch zero(0.0f), s(slope);
  std::size_t i = 0;
  for (; i + W <= n; i += W) {
    const batch g = load(grad + i);
    xsimd::select(load(y + i) > zero, g, s * g).store_unaligned(grad + i);
  }
  for (; i < n; ++i) grad[i] = y[i] > 0.0f ? grad[i] : slope * grad[i];
}

// Sigmoid: y = 1/(1+e^−x); dy/dx = y(1−y).
float stable_sigmoid(float x) {
  // For x < 0 use e^x/(1+e^x) so e^−x cannot overflow.
  if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}
void sigmoid_forward(float* x, std::size_t n) {
#if defined(__wasm__)
  detail::sigmoid_forward_wasm(x, n);
#else
  std::size_t i = 0;
  for (; i + W <= n; i += W) simd::sigmoid(load(x + i)).store_unaligned(x + i);
  for (; i < n; ++i) x[i] = stable_sigmoid(x[i]);
#endif
}
void sigmoid_backward(const float* y, float* grad, std::size_t n) {
  const batch one(1.0f);
  std::size_t i = 0;
  for (; i + W <= n; i += W) {
    const batch v = load(y + i);
    (load(grad + i) * (v * (one - v))).store_unaligned(grad + i);
  }
  for (; i < n; ++i) grad[i] *= y[i] * (1.0f - y[i]);
}

// Tanh: y = tanh x; dy/dx = 1 − y².
void tanh_forward(float* x, std::size_t n) {
#if defined(__wasm__)
  detail::tanh_forward_wasm(x, n);
#else
  std::size_t i = 0;
  for (; i + W <= n; i += W) xsimd::tanh(load(x + i)).store_unaligned(x + i);
  for (; i < n; ++i) x[i] = std::tanh(x[i]);
#endif
}
void tanh_backward(const float* y, float* grad, std::size_t n) {
  const batch one(1.0f);
  std::size_t i = 0;
  for (; i + W <= n; i += W) {
    const batch v = load(y + i);
    (load(grad + i) * (one - v * v)).store_unaligned(grad + i);
  }
  for (; i < n; ++i) grad[i] *= 1.0f - y[i] * y[i];
}

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^−|x|): no overflow for large |x|.
float softplus(float x) { return std::fmax(x, 0.0f) + std::log1p(std::exp(-std::fabs(x))); }

// The two dispatchers stay out of line: inlined into the row passes below they would copy all
// five maps into each (the wasm module grows by kilobytes for no speed).
[[gnu::noinline]] void activation_forward(const ActivationSpec& f, float* x, std::size_t n) {
  switch (f.kind) {
    case Activation::Identity: return;
    case Activation::ReLU: return relu_forward(x, n);
    case Activation::LeakyReLU: return leaky_relu_forward(x, n, f.slope);
    case Activation::Sigmoid: return sigmoid_forward(x, n);
    case Activation::Tanh: return tanh_forward(x, n);
  }
}

[[gnu::noinline]] void activation_backward(const ActivationSpec& f, const float* y, float* grad, std::size_t n) {
  switch (f.kind) {
    case Activation::Identity: return;
    case Activation::ReLU: return relu_backward(y, grad, n);
    case Activation::LeakyReLU: return leaky_relu_backward(y, grad, n, f.slope);
    case Activation::Sigmoid: return sigmoid_backward(y, grad, n);
    case Activation::Tanh: return tanh_backward(y, grad, n);
  }
}

void bias_activation_rows(const ActivationSpec& f, const float* bias, float* y, int rows, int cols) {
  const bool transcendental = f.kind == Activation::Sigmoid || f.kind == Activation::Tanh;
  const auto cost = transcendental ? parallel::Cost::Transcendental : parallel::Cost::Cheap;
  const std::size_t n = static_cast<std::size_t>(cols);
  parallel::for_rows(static_cast<std::size_t>(rows), n, cost, [&](std::size_t begin, std::size_t end) {
    for (std::size_t r = begin; r < end; ++r) {
      float* row = y + r * n;
      kernels::add_row_bias(row, bias, 1, cols);
      activation_forward(f, row, n);
    }
  });
}

void activation_backward_rows(const ActivationSpec& f, const float* y, float* grad, int rows, int cols) {
  // Every derivative is cheap, written from y.
  const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  parallel::for_elements(n, parallel::Cost::Cheap, [&](std::size_t begin, std::size_t end) {
    activation_backward(f, y + begin, grad + begin, end - begin);
  });
}

}  // namespace latentlab
