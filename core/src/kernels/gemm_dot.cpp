// GEMM as blocked dot products, for C = alpha·A·Bᵀ + beta·C with A (M×K) and B (N×K) both
// stored row-major with K contiguous: gemm(N,T), the forward pass of every Linear layer
// (y = x·Wᵀ), AVX-512 only.
//
// Why not the packed path: its micro-kernel wants op(B) k-major, so a transposed B has to be
// transposed while packing (16×16 in-register tiles), once per call, and with M = 64 rows
// each packed element of B only serves 64 rows of C: the transposing pack is then a large
// share of the product, and it streams B from L3/DRAM 16 rows at a time.
// Here nothing is packed: C(i, j) = Σ_k A(i, k)·B(j, k) is a dot product of two contiguous
// rows, and a register tile of R rows of A × CB rows of B keeps R·CB accumulators of 16
// lanes each (16 for the 4×4 tile):
//
//   for k in steps of 16:  a[i] = A(i, k:k+16)  (R loads)
//                          for j: b = B(j, k:k+16); acc[i][j] += a[i]·b   (CB loads, R FMAs)
//
// i.e. 8 loads per 16 FMAs, every load unit-stride. The last K mod 16 columns use masked
// loads (nothing past the row is read). At the end each accumulator holds 16 partial sums;
// one shuffle tree (reduce_16) turns the tile's 16 accumulators into one register holding the
// 16 dot products, so the reduction costs 15 add+2 shuffles per tile, not 16 horizontal sums.
//
// Loop order: a column group of CB rows of B (CB·K floats, ≤ 16 KiB for K ≤ 1024) stays in
// L1 while every row group of A streams past it from L2 (A is a batch of rows, 64–128 in training).
// Every C element is one dot product over the whole K in a fixed order, so any split of the
// rows or columns between threads gives identical bits.
#include "detail/gemm_internal.hpp"

#if defined(__AVX512F__)

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

#include "detail/gemm_transpose.hpp"
#include "latentlab/kernels/kernels.hpp"
#include "latentlab/kernels/parallel.hpp"

namespace latentlab::kernels::detail {
namespace {

constexpr int W = 16;

// _mm512_shuffle_f32x4 through its zero-masked form with a full mask (the same instruction):
// GCC 12 warns about the _mm512_undefined_ps() inside the plain intrinsic.
template <int IMM>
__m512 shuffle_blocks(__m512 a, __m512 b) {
  return _mm512_maskz_shuffle_f32x4(static_cast<__mmask16>(0xffff), a, b, IMM);
}

// Sum of each of 16 registers, into one register. Output lane 4b + q is the sum of v[4q + b]
// (see the four levels below), so callers pass their accumulators in that order.
__m512 reduce_16(const __m512* v) {
  // Level 1: pairs (v[2t], v[2t+1]) → 128-bit blocks [v0 p0, v0 p1, v1 p0, v1 p1], each p a
  // 4-lane partial sum of halves (blocks 0+2 and 1+3 of the source).
  __m512 s[8];
  for (int t = 0; t < 8; ++t) {
    const __m512 lo = shuffle_blocks<_MM_SHUFFLE(1, 0, 1, 0)>(v[2 * t], v[2 * t + 1]);
    const __m512 hi = shuffle_blocks<_MM_SHUFFLE(3, 2, 3, 2)>(v[2 * t], v[2 * t + 1]);
    s[t] = _mm512_add_ps(lo, hi);
  }
  // Level 2: (s[2t], s[2t+1]) → block b holds 4 partial sums of v[4t + b].
  __m512 u[4];
  for (int t = 0; t < 4; ++t) {
    const __m512 x = shuffle_blocks<_MM_SHUFFLE(2, 0, 2, 0)>(s[2 * t], s[2 * t + 1]);
    const __m512 y = shuffle_blocks<_MM_SHUFFLE(3, 1, 3, 1)>(s[2 * t], s[2 * t + 1]);
    u[t] = _mm512_add_ps(x, y);
  }
  // Level 3 (within 128-bit blocks): [x0+x1, x2+x3, y0+y1, y2+y3] for x from u[2t], y from u[2t+1].
  __m512 w[2];
  for (int t = 0; t < 2; ++t) {
    const __m512 x = _mm512_shuffle_ps(u[2 * t], u[2 * t + 1], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512 y = _mm512_shuffle_ps(u[2 * t], u[2 * t + 1], _MM_SHUFFLE(3, 1, 3, 1));
    w[t] = _mm512_add_ps(x, y);
  }
  // Level 4: block b = [v[b], v[4+b], v[8+b], v[12+b]] in full.
  const __m512 x = _mm512_shuffle_ps(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0));
  const __m512 y = _mm512_shuffle_ps(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1));
  return _mm512_add_ps(x, y);
}

// C[0:R, 0:CB] = alpha·A[0:R, :]·B[0:CB, :]ᵀ + beta·C   (beta == 0: C not read).
template <int R, int CB>
void dot_tile(int K, const float* __restrict A, int lda, const float* __restrict B, int ldb, float* C,
              int ldc, float alpha, float beta, const float* A_next) {
  static_assert(R * CB <= 16, "one reduce_16 per tile");
  __m512 acc[R][CB];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < CB; ++j) acc[i][j] = _mm512_setzero_ps();
  }
  // One loop for the whole and the partial last step (a full mask costs the same as a plain
  // load); a lambda here would take the accumulators' address and keep them in memory.
  for (int k = 0; k < K; k += W) {
    const __mmask16 mask = (K - k >= W) ? static_cast<__mmask16>(0xffff)
                                        : static_cast<__mmask16>((1u << (K - k)) - 1u);
    __m512 a[R];
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) a[i] = _mm512_maskz_loadu_ps(mask, A + static_cast<std::ptrdiff_t>(i) * lda + k);
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      _mm_prefetch(reinterpret_cast<const char*>(A_next + static_cast<std::ptrdiff_t>(i) * lda + k), _MM_HINT_T0);
    }
#pragma GCC unroll 4
    for (int j = 0; j < CB; ++j) {
      const __m512 b = _mm512_maskz_loadu_ps(mask, B + static_cast<std::ptrdiff_t>(j) * ldb + k);
#pragma GCC unroll 16
      for (int i = 0; i < R; ++i) acc[i][j] = _mm512_fmadd_ps(a[i], b, acc[i][j]);
    }
  }

  // Accumulator L = i·CB + j goes to input 4·(L mod 4) + L/4 of reduce_16, so that output lane
  // L is its sum; unused inputs are zero.
  __m512 v[16];
#pragma GCC unroll 16
  for (int s = 0; s < 16; ++s) {
    const int L = (s % 4) * 4 + s / 4;
    v[s] = (L < R * CB) ? acc[L / CB][L % CB] : _mm512_setzero_ps();
  }
  alignas(64) float sums[16];
  _mm512_store_ps(sums, _mm512_mul_ps(_mm512_set1_ps(alpha), reduce_16(v)));
  for (int i = 0; i < R; ++i) {
    float* c = C + static_cast<std::ptrdiff_t>(i) * ldc;
    for (int j = 0; j < CB; ++j) {
      const float d = sums[i * CB + j];
      c[j] = (beta == 0.0f) ? d : d + beta * c[j];
    }
  }
}

using DotTile = void (*)(int, const float*, int, const float*, int, float*, int, float, float, const float*);

// Tile heights for a column-group width CB: R_MAX(CB) = 16 / CB rows (4 for the full 4-wide
// groups, 16 for N = 1), and every smaller height for the last rows.
template <int CB, int... R>
constexpr std::array<DotTile, 16> tiles_for(std::integer_sequence<int, R...>) {
  return {{(R + 1 <= 16 / CB ? &dot_tile<(R + 1 <= 16 / CB ? R + 1 : 1), CB> : nullptr)...}};
}
const std::array<std::array<DotTile, 16>, 4> kTiles = {
    tiles_for<1>(std::make_integer_sequence<int, 16>{}), tiles_for<2>(std::make_integer_sequence<int, 16>{}),
    tiles_for<3>(std::make_integer_sequence<int, 16>{}), tiles_for<4>(std::make_integer_sequence<int, 16>{})};

constexpr int kColumnGroup = 4;

// Rows [0, M) × columns [0, N) of the product, single-threaded.
void gemm_dot_serial(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                     float beta, float* C, int ldc) {
  for (int j0 = 0; j0 < N; j0 += kColumnGroup) {
    // A column group narrower than 4 only happens at the right edge, or when N < 4 overall;
    // then the tile grows in height instead (16 / cb rows).
    const int cb = std::min(kColumnGroup, N - j0);
    const int r_max = 16 / cb;
    const auto& tiles = kTiles[cb - 1];
    const float* b = B + static_cast<std::ptrdiff_t>(j0) * ldb;
    for (int i0 = 0; i0 < M; i0 += r_max) {
      const int r = std::min(r_max, M - i0);
      const int next = (i0 + r_max < M) ? i0 + r_max : 0;
      tiles[r - 1](K, A + static_cast<std::ptrdiff_t>(i0) * lda, lda, b, ldb,
                   C + static_cast<std::ptrdiff_t>(i0) * ldc + j0, ldc, alpha, beta,
                   A + static_cast<std::ptrdiff_t>(next) * lda);
    }
  }
}

// Bt (N×K, row stride K) = Bᵀ for B K×N row-major, N ≤ 32. 16 rows of B at a time through
// 16×16 in-register transposes (Bt row j gets 16 consecutive k); the column tiles start at
// 0, 16, … and, for the last partial one, at N − 16, overlapping the previous tile (the
// overlapped columns are written twice with the same values), so no column is moved one float
// at a time when N ≥ 16 (a scalar transpose is N·K strided stores, a visible share of a
// product with K ≈ 400 and M ≈ 128). The K mod 16 last rows are scalar.
void transpose_narrow(const float* B, int ldb, int K, int N, float* Bt) {
  int k0 = 0;
  if (N >= W) {
    for (; k0 + W <= K; k0 += W) {
      const float* rows[W];
      for (int r = 0; r < W; ++r) rows[r] = B + static_cast<std::ptrdiff_t>(k0 + r) * ldb;
      for (int j0 = 0; j0 < N; j0 += W) {
        const int j = std::min(j0, N - W);
        float_batch columns[W];
        transpose_tile(rows, j, columns);
        for (int q = 0; q < W; ++q) columns[q].store_unaligned(Bt + static_cast<std::ptrdiff_t>(j + q) * K + k0);
      }
    }
  }
  for (int k = k0; k < K; ++k) {
    const float* row = B + static_cast<std::ptrdiff_t>(k) * ldb;
    for (int j = 0; j < N; ++j) Bt[static_cast<std::ptrdiff_t>(j) * K + k] = row[j];
  }
}

}  // namespace

bool gemm_dot_available() { return true; }

void gemm_nt_dot(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
              float beta, float* C, int ldc) {
  const double flops = 2.0 * M * N * K;
  const int threads = std::min(parallel::thread_count(), static_cast<int>(flops / kGemmMinFlopsPerThread));
  // Split columns (whole 4-column groups) when there are enough, else rows (whole 4-row tiles).
  const bool split_columns = N >= M || N >= 64;
  const int granule = kColumnGroup;
  const int parts = std::min(threads, (split_columns ? N : M) / granule);
  if (parts <= 1) {
    gemm_dot_serial(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  parallel::run(parts, [&](int part) {
    const parallel::Range r = parallel::split(split_columns ? N : M, parts, part, granule);
    if (r.begin >= r.end) return;
    if (split_columns) {
      gemm_dot_serial(M, r.end - r.begin, K, alpha, A, lda, B + static_cast<std::ptrdiff_t>(r.begin) * ldb,
                      ldb, beta, C + r.begin, ldc);
    } else {
      gemm_dot_serial(r.end - r.begin, N, K, alpha, A + static_cast<std::ptrdiff_t>(r.begin) * lda, lda, B,
                      ldb, beta, C + static_cast<std::ptrdiff_t>(r.begin) * ldc, ldc);
    }
  });
}

void gemm_nn_dot(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                        float beta, float* C, int ldc) {
  // Bᵀ into scratch (N×K, row stride K): for N ≤ 32 that is ≤ 32·K floats, against M·N·K FMAs.
  float* Bt = scratch_floats(static_cast<std::size_t>(N) * K);
  transpose_narrow(B, ldb, K, N, Bt);
  gemm_nt_dot(M, N, K, alpha, A, lda, Bt, K, beta, C, ldc);
}

}  // namespace latentlab::kernels::detail

#else  // no AVX-512: kernels::gemm's table sends these shapes to the paths below them

namespace latentlab::kernels::detail {
bool gemm_dot_available() { return false; }
void gemm_nt_dot(int, int, int, float, const float*, int, const float*, int, float, float*, int) {}
void gemm_nn_dot(int, int, int, float, const float*, int, const float*, int, float, float*, int) {}
}  // namespace latentlab::kernels::detail

#endif
