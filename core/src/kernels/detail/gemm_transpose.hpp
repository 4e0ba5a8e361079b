// In-register transpose of a W×W tile of floats (W = xsimd::batch<float>::size), used by the
// GEMM packing routines to turn row-major panels into the k-major slivers the micro-kernel
// reads, at several elements per cycle instead of one scalar move per element.
//
// xsimd 8.1 offers zip_lo / zip_hi, but on AVX and AVX-512 they interleave within each
// 128-bit lane (unpcklps semantics), which is not a full-width zip. They are a true zip only
// for 4-wide registers (SSE4.1, and wasm SIMD128 through Emscripten's SSE mapping), where the
// classic log2(W) rounds of zips transpose the tile. For AVX-512 the cross-lane half of the
// transpose is done by the loads (each register is assembled from four 128-bit row pieces)
// and only 4×4 in-lane transposes remain: 32 shuffles per 16×16 tile, none of them cross-lane
// (cross-lane shuffles are what limits a transposing pack). Other widths (AVX2) report kHasTileTranspose = false and
// the packers use their scalar loops.
#pragma once

#include <xsimd/xsimd.hpp>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace latentlab::kernels::detail {

using float_batch = xsimd::batch<float>;
constexpr int kTileWidth = static_cast<int>(float_batch::size);

#if defined(__AVX512F__)
constexpr bool kHasTileTranspose = (kTileWidth == 16);
#else
constexpr bool kHasTileTranspose = (kTileWidth == 4);
#endif

// out[q] holds column q of the tile whose row r starts at rows[r] + col:
//   out[q] lane r = rows[r][col + q]            for q, r < W.
inline void transpose_tile(const float* const* rows, int col, float_batch* out) {
  static_assert(kTileWidth == 4 || kTileWidth == 16 || !kHasTileTranspose, "no transpose for this width");
#if defined(__AVX512F__)
  if constexpr (kTileWidth == 16) {
    // Stage 1 by loads: x[4Q + s] holds, in 128-bit block b, columns 4Q … 4Q+3 of row 4b + s
    // (one 128-bit load and three 128-bit inserts from memory per register).
    __m512 x[16];
    for (int Q = 0; Q < 4; ++Q) {
      for (int s = 0; s < 4; ++s) {
        const int c = col + 4 * Q;
        __m512 v = _mm512_castps128_ps512(_mm_loadu_ps(rows[s] + c));
        v = _mm512_insertf32x4(v, _mm_loadu_ps(rows[4 + s] + c), 1);
        v = _mm512_insertf32x4(v, _mm_loadu_ps(rows[8 + s] + c), 2);
        v = _mm512_insertf32x4(v, _mm_loadu_ps(rows[12 + s] + c), 3);
        x[4 * Q + s] = v;
      }
    }
    // Stage 2: a 4×4 transpose inside every 128-bit block of x[4Q … 4Q+3]: out[4Q + c] lane
    // 4b + s = row 4b + s, column 4Q + c.
    for (int Q = 0; Q < 4; ++Q) {
      const __m512 t0 = _mm512_unpacklo_ps(x[4 * Q], x[4 * Q + 1]);
      const __m512 t1 = _mm512_unpackhi_ps(x[4 * Q], x[4 * Q + 1]);
      const __m512 t2 = _mm512_unpacklo_ps(x[4 * Q + 2], x[4 * Q + 3]);
      const __m512 t3 = _mm512_unpackhi_ps(x[4 * Q + 2], x[4 * Q + 3]);
      out[4 * Q + 0] = float_batch(_mm512_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)));
      out[4 * Q + 1] = float_batch(_mm512_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)));
      out[4 * Q + 2] = float_batch(_mm512_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)));
      out[4 * Q + 3] = float_batch(_mm512_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)));
    }
    return;
  }
#endif
  if constexpr (kTileWidth == 4) {
    // Two rounds of zips: new[2i] = zip_lo(r[i], r[i+2]), new[2i+1] = zip_hi(r[i], r[i+2]).
    float_batch r[4];
    for (int i = 0; i < 4; ++i) r[i] = float_batch::load_unaligned(rows[i] + col);
    for (int round = 0; round < 2; ++round) {
      float_batch next[4];
      for (int i = 0; i < 2; ++i) {
        next[2 * i] = xsimd::zip_lo(r[i], r[i + 2]);
        next[2 * i + 1] = xsimd::zip_hi(r[i], r[i + 2]);
      }
      for (int i = 0; i < 4; ++i) r[i] = next[i];
    }
    for (int i = 0; i < 4; ++i) out[i] = r[i];
  }
}

// Stores `count` consecutive lanes of v, starting at lane `first`, to dst (unaligned).
// Used to split one transposed column across packed A slivers narrower than a batch.
inline void store_lanes(const float_batch& v, int first, int count, float* dst) {
#if defined(__AVX512F__)
  if constexpr (kTileWidth == 16) {
    if (count == 8) {
      const __m512 reg = v;
      const __m256 half = (first == 0) ? _mm512_castps512_ps256(reg)
                                       : _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(reg), 1));
      _mm256_storeu_ps(dst, half);
      return;
    }
  }
#endif
  alignas(64) float lanes[kTileWidth];
  v.store_aligned(lanes);
  for (int i = 0; i < count; ++i) dst[i] = lanes[first + i];
}

}  // namespace latentlab::kernels::detail
