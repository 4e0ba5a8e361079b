// Unpacked GEMM for thin shapes (see gemm_internal.hpp): C = alpha·op(A)·op(B) + beta·C.
//
// Row i of C is computed on its own:
//   * trans_b: op(B)(k, j) = B[j·ldb + k], so C(i, j) = Σ_k op(A)(i, k)·B[j·ldb + k] is a dot
//     product of two contiguous vectors (row i of op(A) is copied to scratch first when it is
//     a strided column of A);
//   * otherwise: op(B) row k is contiguous, so C(i, :) = beta·C(i, :) + Σ_k (alpha·op(A)(i, k))·B(k, :)
//     is a sequence of axpy updates of the C row, done 128 columns at a time with the chunk of
//     C held in registers over the whole K loop (one read and one write of C per row).
// Both read every element of B once per row of C and need no packing: the right trade when C
// has very few rows, or (dot products) very few columns, or K is 1 or 2 (an outer product:
// packing both operands for one FMA per element of C is pure overhead). The axpy form is slow
// for narrow C (a handful of columns per k), so kernels::gemm only sends it short or wide C.
#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>

#include "detail/gemm_internal.hpp"
#include "latentlab/kernels/kernels.hpp"

namespace latentlab::kernels::detail {
namespace {

using batch = xsimd::batch<float>;
constexpr int W = static_cast<int>(batch::size);
// Columns of one C row kept in registers across the whole K loop: 8 batches = 8 independent
// FMA chains, as many as the FMA latency × throughput product (4 × 2), so the update of a
// 128-column chunk runs at the FMA rate and C is read and written once instead of once per k.
constexpr int kRowChunk = 8 * W;

float a_element(bool trans_a, const float* A, int lda, int i, int k) {
  return trans_a ? A[static_cast<std::ptrdiff_t>(k) * lda + i] : A[static_cast<std::ptrdiff_t>(i) * lda + k];
}

// c[0:BATCHES·W] = beta·c + Σ_k (alpha·op(A)(i, k))·B(k, 0:BATCHES·W), k in order: per element
// the same operations as scaling the row, then one axpy per k.
template <int BATCHES>
void row_chunk(bool trans_a, const float* A, int lda, int i, const float* B, int ldb, int K, float alpha,
               float beta, float* c) {
  batch acc[BATCHES];
  const batch vbeta(beta);
#pragma GCC unroll 8
  for (int b = 0; b < BATCHES; ++b) {
    if (beta == 0.0f) {
      acc[b] = batch(0.0f);
    } else {
      acc[b] = batch::load_unaligned(c + b * W);
      if (beta != 1.0f) acc[b] = acc[b] * vbeta;
    }
  }
  for (int k = 0; k < K; ++k) {
    const batch a(alpha * a_element(trans_a, A, lda, i, k));
    const float* b_row = B + static_cast<std::ptrdiff_t>(k) * ldb;
#pragma GCC unroll 8
    for (int b = 0; b < BATCHES; ++b) acc[b] = xsimd::fma(a, batch::load_unaligned(b_row + b * W), acc[b]);
  }
#pragma GCC unroll 8
  for (int b = 0; b < BATCHES; ++b) acc[b].store_unaligned(c + b * W);
}

// The last n < kRowChunk columns: whole batches one at a time, then single elements.
void row_tail(bool trans_a, const float* A, int lda, int i, const float* B, int ldb, int K, int n, float alpha,
              float beta, float* c) {
  int j = 0;
  for (; j + W <= n; j += W) row_chunk<1>(trans_a, A, lda, i, B + j, ldb, K, alpha, beta, c + j);
  for (; j < n; ++j) {
    float acc = (beta == 0.0f) ? 0.0f : (beta == 1.0f ? c[j] : c[j] * beta);
    for (int k = 0; k < K; ++k) acc += alpha * a_element(trans_a, A, lda, i, k) * B[static_cast<std::ptrdiff_t>(k) * ldb + j];
    c[j] = acc;
  }
}

}  // namespace

void gemm_direct(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  float* a_row_copy = (trans_b && trans_a) ? scratch_floats(static_cast<std::size_t>(K)) : nullptr;

  for (int i = 0; i < M; ++i) {
    float* c_row = C + static_cast<std::ptrdiff_t>(i) * ldc;
    if (trans_b) {
      const float* a_row = A + static_cast<std::ptrdiff_t>(i) * lda;
      if (trans_a) {
        // Row i of op(A) is column i of the K×M matrix A.
        for (int k = 0; k < K; ++k) a_row_copy[k] = A[static_cast<std::ptrdiff_t>(k) * lda + i];
        a_row = a_row_copy;
      }
      for (int j = 0; j < N; ++j) {
        const float d = dot(a_row, B + static_cast<std::ptrdiff_t>(j) * ldb, static_cast<std::size_t>(K));
        c_row[j] = (beta == 0.0f) ? alpha * d : alpha * d + beta * c_row[j];
      }
    } else {
      for (int j = 0; j < N; j += kRowChunk) {
        const int n = std::min(kRowChunk, N - j);
        if (n == kRowChunk) {
          row_chunk<kRowChunk / W>(trans_a, A, lda, i, B + j, ldb, K, alpha, beta, c_row + j);
        } else {
          row_tail(trans_a, A, lda, i, B + j, ldb, K, n, alpha, beta, c_row + j);
        }
      }
    }
  }
}

}  // namespace latentlab::kernels::detail
