// The wasm SIMD128 mul+add peak of this machine, for scripts/bench-web (the browser analogue of
// bench/fma_peak.cpp). Wasm SIMD128 has no fused multiply-add (relaxed-simd's is not in
// Chromium's default set nor in Emscripten 3.1.6), so a GEMM's inner step is f32x4.mul then
// f32x4.add: the limit is the rate of independent mul+add pairs. CHAINS independent
// x ← x·a + b chains of 4 lanes each hide the latency of both ops (3–4 cycles each); That form is
// latency-bound (see fused_chains); split_chains gives the throughput limit. At most 12 live
// vectors plus constants fit x64's 16 vector registers, which V8 maps wasm values to.
//   em++ -O3 -msimd128 bench/web/wasm_peak.cpp -sMODULARIZE -sEXPORT_ES6 -sENVIRONMENT=web \
//       -sEXPORTED_FUNCTIONS=_ll_peak_run,_ll_peak_flops_per_iteration -o wasm_peak.js
#include <emscripten/emscripten.h>
#include <wasm_simd128.h>

namespace {

// CHAINS chains x ← x·a + b: each step waits for a mul and then an add (latency-bound unless
// CHAINS covers both latencies).
template <int CHAINS>
float fused_chains(int iterations) {
  const v128_t a = wasm_f32x4_splat(0.999f);
  const v128_t b = wasm_f32x4_splat(0.001f);
  v128_t x[CHAINS];
  for (int c = 0; c < CHAINS; ++c) x[c] = wasm_f32x4_splat(0.5f + 0.01f * c);
#pragma clang loop unroll_count(4)
  for (int i = 0; i < iterations; ++i) {
#pragma clang loop unroll(full)
    for (int c = 0; c < CHAINS; ++c) x[c] = wasm_f32x4_add(wasm_f32x4_mul(x[c], a), b);
  }
  v128_t s = x[0];
  for (int c = 1; c < CHAINS; ++c) s = wasm_f32x4_add(s, x[c]);
  return wasm_f32x4_extract_lane(s, 0);  // returned, so the loop cannot be dropped
}

// PAIRS chains x ← x·a and PAIRS chains y ← y + b: as many muls as adds, each chain waiting
// only for its own op, so the mul and add pipes can both be full (what a GEMM's
// acc += a·b needs: its muls are off the accumulators' dependency chains).
template <int PAIRS>
float split_chains(int iterations) {
  const v128_t a = wasm_f32x4_splat(0.9999999f);
  const v128_t b = wasm_f32x4_splat(1e-7f);
  v128_t x[PAIRS], y[PAIRS];
  for (int c = 0; c < PAIRS; ++c) {
    x[c] = wasm_f32x4_splat(0.5f + 0.01f * c);
    y[c] = wasm_f32x4_splat(0.25f + 0.01f * c);
  }
#pragma clang loop unroll_count(4)
  for (int i = 0; i < iterations; ++i) {
#pragma clang loop unroll(full)
    for (int c = 0; c < PAIRS; ++c) {
      x[c] = wasm_f32x4_mul(x[c], a);
      y[c] = wasm_f32x4_add(y[c], b);
    }
  }
  v128_t s = wasm_f32x4_add(x[0], y[0]);
  for (int c = 1; c < PAIRS; ++c) s = wasm_f32x4_add(s, wasm_f32x4_add(x[c], y[c]));
  return wasm_f32x4_extract_lane(s, 0);
}

}  // namespace

extern "C" {

// variant 0–2: 8, 10, 12 fused chains; 3–5: 4, 5, 6 mul+add chain pairs (8, 10, 12 ops per step).
// flops = iterations · ops · 4, with ops = 2 · chains (fused) or 2 · pairs (split).
EMSCRIPTEN_KEEPALIVE float ll_peak_run(int variant, int iterations) {
  switch (variant) {
    case 0: return fused_chains<8>(iterations);
    case 1: return fused_chains<10>(iterations);
    case 2: return fused_chains<12>(iterations);
    case 3: return split_chains<4>(iterations);
    case 4: return split_chains<5>(iterations);
    default: return split_chains<6>(iterations);
  }
}

// Floating-point operations per iteration of a variant.
EMSCRIPTEN_KEEPALIVE int ll_peak_flops_per_iteration(int variant) {
  static const int ops[] = {16, 20, 24, 8, 10, 12};
  return (variant >= 0 && variant < 6 ? ops[variant] : 12) * 4;
}

}  // extern "C"
