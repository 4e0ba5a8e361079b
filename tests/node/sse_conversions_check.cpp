// The training build's float → int32 conversions (wasm/sse_conversions.hpp) against x86's
// definitions: fixed cases from the instruction set reference (CVTTPS2DQ truncates, CVTPS2DQ rounds
// to nearest even; a lane out of range or NaN gives INT32_MIN), then a sweep against Emscripten's
// own scalar emulation. Built and run by sse-conversions.test.mjs; prints "mismatches N".
#include <emmintrin.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>

#include "../../wasm/sse_conversions.hpp"
#undef _mm_cvttps_epi32  // from here on, Emscripten's versions
#undef _mm_cvtps_epi32

static int mismatches = 0;

static void check(float x, int32_t truncated, int32_t rounded) {
  int32_t t[4], r[4];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(t), latentlab_wasm_cvttps_epi32(_mm_set1_ps(x)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(r), latentlab_wasm_cvtps_epi32(_mm_set1_ps(x)));
  if (t[0] != truncated || r[0] != rounded) {
    std::printf("%g: truncated %d (want %d), rounded %d (want %d)\n", x, t[0], truncated, r[0], rounded);
    ++mismatches;
  }
}

int main() {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const int32_t indefinite = INT32_MIN;
  check(0.0f, 0, 0);
  check(-0.0f, 0, 0);
  check(2.7f, 2, 3);
  check(-2.7f, -2, -3);
  check(2.5f, 2, 2);    // ties to even
  check(3.5f, 3, 4);
  check(-2.5f, -2, -2);
  check(0.5f, 0, 0);
  check(-1.5f, -1, -2);
  check(126.0f, 126, 126);
  check(2147483520.0f, 2147483520, 2147483520);  // the largest float below 2^31
  check(-2147483648.0f, INT32_MIN, INT32_MIN);    // −2^31 is in range
  check(2147483648.0f, indefinite, indefinite);
  check(-2147483904.0f, indefinite, indefinite);
  check(1e30f, indefinite, indefinite);
  check(-1e30f, indefinite, indefinite);
  check(inf, indefinite, indefinite);
  check(-inf, indefinite, indefinite);
  check(nan, indefinite, indefinite);
  check(-nan, indefinite, indefinite);
  // A sweep over magnitudes from 1e-3 to 1e12, both signs, four lanes at a time.
  for (int k = 0; k < 200000; ++k) {
    const float m = std::pow(10.0f, -3.0f + 15.0f * static_cast<float>(k) / 200000.0f);
    const __m128 a = _mm_setr_ps(m, -m, m + 0.5f, -m - 0.5f);
    int32_t t1[4], t2[4], r1[4], r2[4];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(t1), latentlab_wasm_cvttps_epi32(a));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(t2), _mm_cvttps_epi32(a));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(r1), latentlab_wasm_cvtps_epi32(a));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(r2), _mm_cvtps_epi32(a));
    for (int j = 0; j < 4; ++j) {
      if (t1[j] != t2[j] || r1[j] != r2[j]) {
        if (++mismatches < 10) std::printf("sweep lane %d of %g: %d vs %d, %d vs %d\n", j, m, t1[j], t2[j], r1[j], r2[j]);
      }
    }
  }
  std::printf("mismatches %d\n", mismatches);
  return mismatches == 0 ? 0 : 1;
}
