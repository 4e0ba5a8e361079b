// See activations_wasm.hpp (the math and the per-vector forms): the array passes, with the
// scalar formula for the last n mod 4 elements.
#include "detail/wasm_math.hpp"

#if defined(__wasm__)

#include <wasm_simd128.h>

#include <cmath>

namespace latentlab::detail {
namespace {

float sigmoid_scalar(float x) {
  const float e = std::exp(-std::fabs(x));
  return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

}  // namespace

void sigmoid_forward_wasm(float* x, std::size_t n) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, sigmoid_f32x4(wasm_v128_load(x + i)));
  for (; i < n; ++i) x[i] = sigmoid_scalar(x[i]);
}

void tanh_forward_wasm(float* x, std::size_t n) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, tanh_f32x4(wasm_v128_load(x + i)));
  for (; i < n; ++i) x[i] = std::tanh(x[i]);
}

}  // namespace latentlab::detail

#endif  // __wasm__
