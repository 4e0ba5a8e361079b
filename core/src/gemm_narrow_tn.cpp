// gemm(T,N) with a narrow C, e.g. the weight gradient of the VAE's 20→400 layer: dW = dyᵀ·z
// with M = 400 rows and N = 20 columns. The packed path would cover 20 columns with two
// 16-lane batches (62% of the lanes busy) and pack all of the wide A; computed transposed,
//
//   Cᵀ = op(B)ᵀ · op(A)ᵀ = Bᵀ · A      (B stored K×N → op'(B) = Bᵀ, A stored K×M → op'(A) = A)
//
// the same product has 20 rows (8 + 8 + 4-row tiles, every lane busy) and reads the wide
// operand in place (gemm_packed.cpp, kMaxRowsBInPlace). Cᵀ goes to a per-thread buffer and is
// added transposed onto C: N·M extra loads and stores against N·M·K FMAs. Measured
// (bench_kernels, AVX-512, K = 128): 88 → ≈ 150 GFLOP/s.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "gemm_internal.hpp"

namespace latentlab::kernels::detail {

void gemm_narrow_tn(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                    float beta, float* C, int ldc) {
  // Its own buffer: gemm_packed uses scratch_floats for its packing. Per thread and only
  // growing, like that scratch (N·M ≤ 32·M floats), so steady-state calls do not allocate.
  thread_local std::vector<float> transposed;
  const std::size_t size = static_cast<std::size_t>(M) * N;
  if (transposed.size() < size) transposed.resize(size);
  float* Ct = transposed.data();

  gemm_packed(true, false, N, M, K, alpha, B, ldb, A, lda, 0.0f, Ct, M);

  // C(i, j) = Cᵀ(j, i) + beta·C(i, j), in blocks of 16 rows of C so the N strided reads of Cᵀ
  // per row stay in the same few cache lines.
  constexpr int kBlock = 16;
  for (int i0 = 0; i0 < M; i0 += kBlock) {
    const int i1 = std::min(M, i0 + kBlock);
    for (int i = i0; i < i1; ++i) {
      float* c = C + static_cast<std::ptrdiff_t>(i) * ldc;
      if (beta == 0.0f) {
        for (int j = 0; j < N; ++j) c[j] = Ct[static_cast<std::ptrdiff_t>(j) * M + i];
      } else {
        for (int j = 0; j < N; ++j) c[j] = Ct[static_cast<std::ptrdiff_t>(j) * M + i] + beta * c[j];
      }
    }
  }
}

}  // namespace latentlab::kernels::detail
