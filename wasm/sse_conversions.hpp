// Force-included (-include) into every C++ file of the wasm training build (wasm/CMakeLists.txt).
//
// Emscripten 3.1.6's <emmintrin.h> emulates the float → int32 conversions _mm_cvttps_epi32
// (truncating) and _mm_cvtps_epi32 (rounding to nearest even) with a scalar loop over the four
// lanes, through memory, with a branch per lane. xsimd's SSE4.1 backend (our wasm SIMD) uses the
// first for to_int, i.e. for the 2^k scaling of every exp: the BCE's and the sigmoid's inner loops
// then spend much of their time in it. These are the same two functions in four SIMD128 operations
// each, with x86's exact results: a lane in range converts as wasm's saturating conversion does,
// a lane out of range or NaN gives INT32_MIN (x86's "integer indefinite"), as in Emscripten's.
#pragma once

#include <emmintrin.h>
#include <stdint.h>
#include <wasm_simd128.h>

// a (already integral where it is in range) → int32 lanes, INT32_MIN where |a| ≥ 2^31 or a is NaN.
static inline __m128i latentlab_wasm_cvt_integral(v128_t a) {
  const v128_t in_range = wasm_f32x4_lt(wasm_f32x4_abs(a), wasm_f32x4_splat(2147483648.0f));  // false for NaN
  return (__m128i)wasm_v128_bitselect(wasm_i32x4_trunc_sat_f32x4(a), wasm_i32x4_splat(INT32_MIN), in_range);
}

// x86 CVTTPS2DQ: truncation toward zero (wasm's trunc_sat truncates too).
static inline __m128i latentlab_wasm_cvttps_epi32(__m128 a) { return latentlab_wasm_cvt_integral((v128_t)a); }

// x86 CVTPS2DQ in the default rounding mode: to nearest, ties to even (wasm's f32x4.nearest).
static inline __m128i latentlab_wasm_cvtps_epi32(__m128 a) {
  return latentlab_wasm_cvt_integral(wasm_f32x4_nearest((v128_t)a));
}

#define _mm_cvttps_epi32 latentlab_wasm_cvttps_epi32
#define _mm_cvtps_epi32 latentlab_wasm_cvtps_epi32
