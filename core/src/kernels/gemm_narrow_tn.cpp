// The tn_narrow path: gemm(T,N) with a narrow C (N ≤ 32) of many rows, e.g. a weight gradient
// dW = dyᵀ·z with M = 400 rows and N = 20 columns. The packed path would cover 20 columns with two
// 16-lane batches (62% of the lanes busy) and pack all of the wide A; computed transposed,
//
//   Cᵀ = op(B)ᵀ · op(A)ᵀ = Bᵀ · A      (B stored K×N → op'(B) = Bᵀ, A stored K×M → op'(A) = A)
//
// the same product has 20 rows (8 + 8 + 4-row tiles, every lane busy) and reads the wide
// operand in place (gemm_packed.cpp, kMaxRowsBInPlace). Cᵀ goes to a per-thread buffer and is
// added transposed onto C: N·M extra loads and stores against N·M·K FMAs.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "detail/gemm_internal.hpp"
#include "detail/gemm_transpose.hpp"

namespace latentlab::kernels::detail {

void gemm_tn_narrow(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                    float beta, float* C, int ldc) {
  // Its own buffer: gemm_packed uses scratch_floats for its packing. Per thread and only
  // growing, like that scratch (N·M ≤ 32·M floats), so steady-state calls do not allocate.
  thread_local std::vector<float> transposed;
  const std::size_t size = static_cast<std::size_t>(M) * N;
  if (transposed.size() < size) transposed.resize(size);
  float* Ct = transposed.data();

  gemm_packed(true, false, N, M, K, alpha, B, ldb, A, lda, 0.0f, Ct, M);

  // C(i, j) = Cᵀ(j, i) + beta·C(i, j). With AVX-512, 16 rows of Cᵀ × 16 of its columns at a
  // time through an in-register transpose (column q of the tile is 16 consecutive j of row
  // i + q of C); the scalar loop does what is left (all of it elsewhere): the N mod 16 last
  // columns of C and, for the tiled columns, the M mod 16 last rows (element by element, the
  // transposed add is N·M strided loads, a visible share of the product when K is small).
  int j_tiled = 0;
  int i_tiled = 0;
  if constexpr (kHasTileTranspose && kTileWidth == 16) {
    constexpr int T = kTileWidth;
    i_tiled = M / T * T;
    const float_batch vbeta(beta);
    for (; j_tiled + T <= N; j_tiled += T) {
      const float* rows[T];
      for (int r = 0; r < T; ++r) rows[r] = Ct + static_cast<std::ptrdiff_t>(j_tiled + r) * M;
      for (int i = 0; i < i_tiled; i += T) {
        float_batch columns[T];
        transpose_tile(rows, i, columns);
        for (int q = 0; q < T; ++q) {
          float* c = C + static_cast<std::ptrdiff_t>(i + q) * ldc + j_tiled;
          const float_batch out =
              (beta == 0.0f) ? columns[q] : columns[q] + vbeta * float_batch::load_unaligned(c);
          out.store_unaligned(c);
        }
      }
    }
  }
  for (int i = 0; i < M; ++i) {
    float* c = C + static_cast<std::ptrdiff_t>(i) * ldc;
    for (int j = (i < i_tiled) ? j_tiled : 0; j < N; ++j) {
      const float t = Ct[static_cast<std::ptrdiff_t>(j) * M + i];
      c[j] = (beta == 0.0f) ? t : t + beta * c[j];
    }
  }
}

}  // namespace latentlab::kernels::detail
