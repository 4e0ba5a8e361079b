// The narrow numeric interface every layer is built on.
//
// Two implementations live behind it:
//   * latentlab::kernels            — SIMD (xsimd) versions used by the engine;
//   * latentlab::kernels::reference — plain scalar loops, the ground truth the
//                                     tests compare the SIMD versions against.
//
// All matrices are row-major. A matrix "X with leading dimension ldx" stores
// element (i, j) at X[i * ldx + j].
#pragma once

#include <cstddef>

#include "latentlab/kernels/parallel.hpp"

namespace latentlab::kernels {

// C = alpha * op(A) * op(B) + beta * C
//   op(A) is M×K: A itself (M×K, lda ≥ K) or, with trans_a, the transpose of a K×M matrix (lda ≥ M).
//   op(B) is K×N: B itself (K×N, ldb ≥ N) or, with trans_b, the transpose of an N×K matrix (ldb ≥ K).
//   C is M×N (ldc ≥ N). beta == 0 means C is written without being read (it may hold NaN).
//   alpha == 0: A and B are not read (BLAS convention).
void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc);

// gemm splits a product across threads only in parts of at least this many flops (2·M·N·K): a
// smaller part takes about as long as waking a worker. A product under twice this runs on the
// calling thread alone.
inline constexpr double kGemmMinFlopsPerThread = 4e6;

// first() and second(): two independent products of `flops_each` flops each (they may read the
// same operands but write disjoint outputs). When each is too small for gemm to split (under
// 2·kGemmMinFlopsPerThread) yet large enough to outweigh a pool join (≥ 1 MFLOP), and there
// are threads, they run side by side as the two parts of one pool task; otherwise first(),
// then second(), each threaded by gemm itself. Either way each product does the same
// arithmetic, so the results are the same.
template <class First, class Second>
void two_products(double flops_each, First&& first, Second&& second) {
  if (flops_each >= 1e6 && flops_each < 2 * kGemmMinFlopsPerThread && parallel::thread_count() > 1) {
    parallel::both(first, second);
    return;
  }
  first();
  second();
}

// ---- elementwise maps (y may alias x) ----
void scale(float* x, std::size_t n, float a);                           // x *= a
void axpy(float* y, const float* x, std::size_t n, float a);            // y += a * x
// Adds bias[j] to every row of the rows×cols matrix X (row stride ld = cols).
void add_row_bias(float* X, const float* bias, int rows, int cols);

// ---- reductions ----
float dot(const float* x, const float* y, std::size_t n);  // gemm's thin-shape path uses it
// out[j] (+)= sum_i X[i, j] over a rows×cols matrix: the bias gradient of a Linear layer.
void column_sums(const float* X, int rows, int cols, float* out, bool accumulate);
// true when every value is finite (no NaN, no ±Inf).
bool all_finite(const float* x, std::size_t n);

// Test hooks: no engine code calls these; tests/unit/core/kernels/test_kernels.cpp checks the
// SIMD reductions (their 4·W-accumulator order) against the double-precision reference.
float sum(const float* x, std::size_t n);
float sum_squares(const float* x, std::size_t n);

// Scalar loops, the ground truth the tests compare the SIMD kernels against (not used by the engine).
namespace reference {
void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc);
void scale(float* x, std::size_t n, float a);
void axpy(float* y, const float* x, std::size_t n, float a);
void add_row_bias(float* X, const float* bias, int rows, int cols);
float sum(const float* x, std::size_t n);
float dot(const float* x, const float* y, std::size_t n);
float sum_squares(const float* x, std::size_t n);
void column_sums(const float* X, int rows, int cols, float* out, bool accumulate);
bool all_finite(const float* x, std::size_t n);
}  // namespace reference

// Name of the SIMD instruction set the kernels were compiled for ("avx512f", "avx2", "wasm simd128 (via xsimd sse4.1)", …).
const char* simd_arch_name();

}  // namespace latentlab::kernels
