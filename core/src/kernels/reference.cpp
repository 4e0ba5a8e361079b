// Scalar reference kernels: the ground truth the SIMD kernels are tested against.
//
// Plain loops straight from the definitions in kernels.hpp, with no blocking or reordering.
// Every sum (gemm dot products, sum, dot, sum_squares, column_sums) is accumulated in double
// and rounded to float once at the end, so the reference is more accurate than any fp32
// ordering and the tests can bound the SIMD error against it.
#include <cmath>
#include <cstddef>

#include "latentlab/kernels/kernels.hpp"

namespace latentlab::kernels::reference {

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      double s = 0.0;
      for (int k = 0; k < K; ++k) {
        const float a = trans_a ? A[static_cast<std::ptrdiff_t>(k) * lda + i]
                                : A[static_cast<std::ptrdiff_t>(i) * lda + k];
        const float b = trans_b ? B[static_cast<std::ptrdiff_t>(j) * ldb + k]
                                : B[static_cast<std::ptrdiff_t>(k) * ldb + j];
        s += static_cast<double>(a) * static_cast<double>(b);
      }
      float& c = C[static_cast<std::ptrdiff_t>(i) * ldc + j];
      // As in BLAS: alpha == 0 drops the product term; beta == 0 does not read C.
      double result = (alpha == 0.0f) ? 0.0 : static_cast<double>(alpha) * s;
      if (beta != 0.0f) result += static_cast<double>(beta) * static_cast<double>(c);
      c = static_cast<float>(result);
    }
  }
}

void scale(float* x, std::size_t n, float a) {
  for (std::size_t i = 0; i < n; ++i) x[i] = x[i] * a;
}

void axpy(float* y, const float* x, std::size_t n, float a) {
  for (std::size_t i = 0; i < n; ++i) y[i] = y[i] + a * x[i];
}

void add_row_bias(float* X, const float* bias, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < cols; ++j) X[static_cast<std::ptrdiff_t>(r) * cols + j] += bias[j];
  }
}

float sum(const float* x, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += x[i];
  return static_cast<float>(s);
}

float dot(const float* x, const float* y, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * static_cast<double>(y[i]);
  return static_cast<float>(s);
}

float sum_squares(const float* x, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  return static_cast<float>(s);
}

void column_sums(const float* X, int rows, int cols, float* out, bool accumulate) {
  for (int j = 0; j < cols; ++j) {
    double s = accumulate ? static_cast<double>(out[j]) : 0.0;
    for (int r = 0; r < rows; ++r) s += X[static_cast<std::ptrdiff_t>(r) * cols + j];
    out[j] = static_cast<float>(s);
  }
}

bool all_finite(const float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return false;
  }
  return true;
}

}  // namespace latentlab::kernels::reference
