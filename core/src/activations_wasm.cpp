// See activations_wasm.hpp. Both use e^y for y ≤ 0 only, so nothing overflows:
//   σ(x)    = 1/(1+e) for x ≥ 0, e/(1+e) otherwise, e = e^−|x|   (as stable_sigmoid)
//   tanh(x) = sign(x)·(1−t)/(1+t),                     t = e^−2|x|
// e^y: y = n·ln2 + r with |r| ≤ ½ln2 (ln2 split in two for an exact n·ln2_hi), Cephes' degree-6
// polynomial for e^r (≈ 1 ulp), 2^n put into the exponent bits. y is clamped to −87 so 2^n stays
// normal (e^−87 ≈ 1.6e−38: σ and tanh are already at their limits there). NaN propagates.
#include "activations_wasm.hpp"

#if defined(__EMSCRIPTEN__)

#include <wasm_simd128.h>

#include <cmath>

namespace latentlab::detail {
namespace {

v128_t exp_nonpositive(v128_t y) {
  y = wasm_f32x4_max(y, wasm_f32x4_splat(-87.0f));
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(y, wasm_f32x4_splat(1.44269504089f)));
  v128_t r = wasm_f32x4_sub(y, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), wasm_f32x4_splat(1.0f));
  // 2^n: (n + 127) << 23 as float bits; n ∈ [−126, 0] after the clamp.
  const v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, scale);
}

float sigmoid_scalar(float x) {
  const float e = std::exp(-std::fabs(x));
  return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

}  // namespace

void sigmoid_forward_wasm(float* x, std::size_t n) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    const v128_t e = exp_nonpositive(wasm_f32x4_neg(wasm_f32x4_abs(v)));
    const v128_t r = wasm_f32x4_div(one, wasm_f32x4_add(one, e));
    const v128_t nonnegative = wasm_f32x4_ge(v, wasm_f32x4_splat(0.0f));
    wasm_v128_store(x + i, wasm_v128_bitselect(r, wasm_f32x4_mul(e, r), nonnegative));
  }
  for (; i < n; ++i) x[i] = sigmoid_scalar(x[i]);
}

void tanh_forward_wasm(float* x, std::size_t n) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  const v128_t sign_bit = wasm_i32x4_splat(static_cast<int>(0x80000000u));
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    const v128_t t = exp_nonpositive(wasm_f32x4_mul(wasm_f32x4_abs(v), wasm_f32x4_splat(-2.0f)));
    const v128_t magnitude = wasm_f32x4_div(wasm_f32x4_sub(one, t), wasm_f32x4_add(one, t));
    wasm_v128_store(x + i, wasm_v128_or(magnitude, wasm_v128_and(v, sign_bit)));
  }
  for (; i < n; ++i) x[i] = std::tanh(x[i]);
}

}  // namespace latentlab::detail

#endif  // __EMSCRIPTEN__
