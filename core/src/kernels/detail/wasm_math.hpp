// Wasm SIMD128 forms of the sigmoid and tanh forward passes. Emscripten's libm expf/tanhf are
// scalar calls, a large share of a decode's time in V8 (docs/benchmarks.md). Used only in the wasm build (activations.cpp); native keeps its loops.
// Private to core/src.
// The per-vector forms are inline so that PackedLinear's epilogue (packed_linear.cpp) can apply
// them to a tile while it is in registers, with the same bits as the array passes.
//   σ(x)    = 1/(1+e) for x ≥ 0, e/(1+e) otherwise, e = e^−|x|   (as stable_sigmoid)
//   tanh(x) = sign(x)·(1−t)/(1+t),                     t = e^−2|x|
// e^y: y = n·ln2 + r with |r| ≤ ½ln2 (ln2 split in two for an exact n·ln2_hi), Cephes' degree-6
// polynomial for e^r (≈ 1 ulp), 2^n put into the exponent bits. y is clamped to −87 so 2^n stays
// normal (e^−87 ≈ 1.6e−38: σ and tanh are already at their limits there). NaN propagates.
#pragma once

#include <cstddef>

#if defined(__wasm__)
#include <wasm_simd128.h>
#endif

namespace latentlab::detail {

void sigmoid_forward_wasm(float* x, std::size_t n);
void tanh_forward_wasm(float* x, std::size_t n);

#if defined(__wasm__)
// e^y for y ≤ 0. Written for V8's x64 code generator: the clamp is f32x4.pmax (one maxps;
// f32x4.max's NaN/−0 rules cost several instructions, and pmax(y, c) = y < c ? c : y keeps a NaN
// y), and 2^n comes from the bits of n + 1.5·2²³ (an integer-valued float in [−126, 0] lands
// in the low mantissa bits exactly) instead of i32x4.trunc_sat_f32x4, which V8 expands into a
// saturating sequence. Same bits as the textbook form for every non-NaN y.
inline v128_t exp_nonpositive(v128_t y) {
  y = wasm_f32x4_pmax(y, wasm_f32x4_splat(-87.0f));
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
  // 2^n = (n + 127) << 23 as float bits, with n = bits(n + 1.5·2²³) − 0x4B400000.
  const v128_t n_bits = wasm_f32x4_add(n, wasm_f32x4_splat(12582912.0f));
  const v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(n_bits, wasm_i32x4_splat(127 - 0x4B400000)), 23);
  return wasm_f32x4_mul(p, scale);
}

inline v128_t sigmoid_f32x4(v128_t v) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  const v128_t e = exp_nonpositive(wasm_f32x4_neg(wasm_f32x4_abs(v)));
  const v128_t r = wasm_f32x4_div(one, wasm_f32x4_add(one, e));
  const v128_t nonnegative = wasm_f32x4_ge(v, wasm_f32x4_splat(0.0f));
  return wasm_v128_bitselect(r, wasm_f32x4_mul(e, r), nonnegative);
}

inline v128_t tanh_f32x4(v128_t v) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  const v128_t sign_bit = wasm_i32x4_splat(static_cast<int>(0x80000000u));
  const v128_t t = exp_nonpositive(wasm_f32x4_mul(wasm_f32x4_abs(v), wasm_f32x4_splat(-2.0f)));
  const v128_t magnitude = wasm_f32x4_div(wasm_f32x4_sub(one, t), wasm_f32x4_add(one, t));
  return wasm_v128_or(magnitude, wasm_v128_and(v, sign_bit));
}
#endif

}  // namespace latentlab::detail
