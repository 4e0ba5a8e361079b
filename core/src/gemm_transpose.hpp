// In-register transpose of a W×W tile of floats (W = xsimd::batch<float>::size), used by the
// GEMM packing routines to turn row-major panels into the k-major slivers the micro-kernel
// reads, at several elements per cycle instead of one scalar move per element.
//
// xsimd 8.1 offers zip_lo / zip_hi, but on AVX and AVX-512 they interleave within each
// 128-bit lane (unpcklps semantics), which is not a full-width zip. They are a true zip only
// for 4-wide registers (SSE4.1, and wasm SIMD128 through Emscripten's SSE mapping), where the
// classic log2(W) rounds of zips transpose the tile. For AVX-512 the tile is transposed with
// the standard unpack / shuffle / lane-shuffle sequence on the native registers. Other
// widths (AVX2) report kHasTileTranspose = false and the packers use their scalar loops.
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
    __m512 r[16];
    __m512 t[16];
    for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(rows[i] + col);
    // 1. Interleave row pairs within 128-bit lanes: t[2k] = (r2k0, r2k+1,0, r2k1, r2k+1,1 | …).
    for (int k = 0; k < 8; ++k) {
      t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
      t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    // 2. Combine pairs of pairs: each 128-bit lane now holds one column of a 4×4 block.
    for (int g = 0; g < 16; g += 4) {
      r[g] = _mm512_shuffle_ps(t[g], t[g + 2], _MM_SHUFFLE(1, 0, 1, 0));
      r[g + 1] = _mm512_shuffle_ps(t[g], t[g + 2], _MM_SHUFFLE(3, 2, 3, 2));
      r[g + 2] = _mm512_shuffle_ps(t[g + 1], t[g + 3], _MM_SHUFFLE(1, 0, 1, 0));
      r[g + 3] = _mm512_shuffle_ps(t[g + 1], t[g + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    // 3. and 4. Move whole 128-bit lanes: even lanes (0x88) and odd lanes (0xdd) of two sources.
    for (int h = 0; h < 16; h += 8) {
      for (int k = 0; k < 4; ++k) {
        t[h + k] = _mm512_shuffle_f32x4(r[h + k], r[h + 4 + k], 0x88);
        t[h + 4 + k] = _mm512_shuffle_f32x4(r[h + k], r[h + 4 + k], 0xdd);
      }
    }
    for (int k = 0; k < 8; ++k) {
      out[k] = float_batch(_mm512_shuffle_f32x4(t[k], t[8 + k], 0x88));
      out[8 + k] = float_batch(_mm512_shuffle_f32x4(t[k], t[8 + k], 0xdd));
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
