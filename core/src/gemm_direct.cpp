// Unpacked GEMM for thin shapes (see gemm_internal.hpp): C = alpha·op(A)·op(B) + beta·C.
//
// Row i of C is computed on its own:
//   * trans_b: op(B)(k, j) = B[j·ldb + k], so C(i, j) = Σ_k op(A)(i, k)·B[j·ldb + k] is a dot
//     product of two contiguous vectors (row i of op(A) is copied to scratch first when it is
//     a strided column of A);
//   * otherwise: op(B) row k is contiguous, so C(i, :) = beta·C(i, :) + Σ_k (alpha·op(A)(i, k))·B(k, :)
//     is a sequence of axpy updates of the C row.
// Both read every element of B once per row of C and need no packing: the right trade when C
// has very few rows, or (dot products) very few columns. The axpy form is slow for narrow C
// (one call per k for a handful of columns), so kernels::gemm only sends it short, wide C.
#include <cstddef>
#include <cstring>

#include "gemm_internal.hpp"
#include "latentlab/kernels.hpp"

namespace latentlab::kernels::detail {

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
      if (beta == 0.0f) {
        std::memset(c_row, 0, sizeof(float) * static_cast<std::size_t>(N));
      } else if (beta != 1.0f) {
        scale(c_row, static_cast<std::size_t>(N), beta);
      }
      for (int k = 0; k < K; ++k) {
        const float a_ik = trans_a ? A[static_cast<std::ptrdiff_t>(k) * lda + i]
                                   : A[static_cast<std::ptrdiff_t>(i) * lda + k];
        axpy(c_row, B + static_cast<std::ptrdiff_t>(k) * ldb, static_cast<std::size_t>(N), alpha * a_ik);
      }
    }
  }
}

}  // namespace latentlab::kernels::detail
