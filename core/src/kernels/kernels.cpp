// SIMD kernels (xsimd) behind latentlab/kernels/kernels.hpp.
//
// Every loop processes whole batches of W = xsimd::batch<float>::size floats (16 with
// AVX-512, 8 with AVX2, 4 with SSE4.1 / wasm SIMD128) with unaligned loads, then finishes
// the last n mod W elements with a scalar tail, so any length and any pointer alignment
// works. The GEMM itself lives in gemm_packed.cpp (the fast path), gemm_dot.cpp (narrow C,
// AVX-512) and gemm_direct.cpp (thin shapes); this file holds its entry point and the small elementwise/reduction kernels.
//
// Reductions keep several independent batch accumulators (4·W partial sums) so the adds do
// not wait on each other; their result therefore differs from a sequential sum by normal
// fp32 reordering error (the tests bound it against the double-precision reference).
#include "latentlab/kernels/kernels.hpp"

#include <xsimd/xsimd.hpp>

#include <cmath>
#include <cstddef>
#include <cstring>

#include "detail/gemm_internal.hpp"

namespace latentlab::kernels {
namespace {

using batch = xsimd::batch<float>;
constexpr std::size_t W = batch::size;

batch load(const float* p) { return batch::load_unaligned(p); }

// C = beta·C for an M×N block (beta == 0 writes zeros without reading C).
void scale_matrix(float* C, int M, int N, int ldc, float beta) {
  for (int i = 0; i < M; ++i) {
    float* row = C + static_cast<std::ptrdiff_t>(i) * ldc;
    if (beta == 0.0f) {
      std::memset(row, 0, sizeof(float) * static_cast<std::size_t>(N));
    } else if (beta != 1.0f) {
      scale(row, static_cast<std::size_t>(N), beta);
    }
  }
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  // With no inner dimension (or alpha = 0, as in BLAS) the product term vanishes and A, B
  // are not read: C = beta·C.
  if (K <= 0 || alpha == 0.0f) {
    scale_matrix(C, M, N, ldc, beta);
    return;
  }
  // Narrow C (N ≤ 32: the VAE's 20-wide latent heads, D's 1-wide output) fills only part of
  // the packed path's 48-column tile and its packing costs as much as the arithmetic: with
  // AVX-512 it is done as register-blocked dot products along K (gemm_dot.cpp), reading A in
  // place; a non-transposed narrow B is transposed first (≤ 32·K floats). Measured
  // (bench_kernels): 400→20 forward 91 → 160 GFLOP/s, its input gradient 94 → 125, D 256→1's
  // forward 33 → 50 (A is 64 KB, read once: L2 bandwidth, not FMAs, is its limit).
  if (!trans_a && trans_b && N <= 32 && detail::gemm_dot_available()) {
    detail::gemm_dot(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  if (!trans_a && !trans_b && N <= 32 && K >= 16 && M >= 4 && detail::gemm_dot_available()) {
    detail::gemm_dot_narrow_nn(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // The same for gemm(T,N) (a narrow weight gradient, 20x400's dW: 88 → 143 GFLOP/s): computed
  // as Cᵀ = Bᵀ·A, 20 rows instead of 20 columns, then added transposed (gemm_narrow_tn.cpp).
  if (trans_a && !trans_b && N <= 32 && M >= 64 && K >= 16) {
    detail::gemm_narrow_tn(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // A last partial batch of at most 4 columns (G 100→128's gradients: N = 100 = 2 full
  // 48-column tiles + 4) costs the packed path a whole 16-lane batch per row tile, 8 FMAs per k
  // for 4 useful columns: ≈ 10% of the product's FMAs for 4% of its work. Those columns go to
  // the narrow paths above instead (dot products along K for (N,N), Cᵀ for (T,N)), the rest
  // (a multiple of 16 columns) to the packed path. The split depends on the shape only, so
  // results stay the same for any thread count. Measured (bench_kernels, AVX-512, 1 thread):
  // G 100→128 input gradient 178 → 206 GFLOP/s, weight gradient 166 → 208.
  if (!trans_b && N > 32 && N % 16 >= 1 && N % 16 <= 4 && K >= 16 && detail::gemm_dot_available() &&
      (trans_a ? M >= 64 : M >= 4)) {
    const int main_n = N - N % 16;
    gemm(trans_a, false, M, main_n, K, alpha, A, lda, B, ldb, beta, C, ldc);
    gemm(trans_a, false, M, N - main_n, K, alpha, A, lda, B + main_n, ldb, beta, C + main_n, ldc);
    return;
  }
  // Packing also costs as much as the arithmetic when C has very few rows (measured crossover
  // at M = 4 for K = 784, N = 1024), very few columns while op(B)'s columns are contiguous rows
  // of B (trans_b: dot products; crossover at N ≈ 8-16 for M = 128), or K ≤ 2 (outer products,
  // e.g. D 256→1's input gradient: one FMA per element of C, bound by storing C).
  if (M <= 3 || (trans_b && N <= 8) || (!trans_b && K <= 2)) {
    detail::gemm_direct(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else {
    detail::gemm_packed(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
}

// ---- elementwise maps ----

void scale(float* x, std::size_t n, float a) {
  const batch va(a);
  std::size_t i = 0;
  for (; i + W <= n; i += W) (load(x + i) * va).store_unaligned(x + i);
  for (; i < n; ++i) x[i] *= a;
}

void axpy(float* y, const float* x, std::size_t n, float a) {
  const batch va(a);
  std::size_t i = 0;
  for (; i + W <= n; i += W) xsimd::fma(va, load(x + i), load(y + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] += a * x[i];
}

void add_row_bias(float* X, const float* bias, int rows, int cols) {
  const std::size_t n = cols > 0 ? static_cast<std::size_t>(cols) : 0;
  for (int r = 0; r < rows; ++r) {
    float* row = X + static_cast<std::ptrdiff_t>(r) * cols;
    std::size_t j = 0;
    for (; j + W <= n; j += W) (load(row + j) + load(bias + j)).store_unaligned(row + j);
    for (; j < n; ++j) row[j] += bias[j];
  }
}

// ---- reductions ----

float sum(const float* x, std::size_t n) {
  batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
  std::size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    s0 += load(x + i);
    s1 += load(x + i + W);
    s2 += load(x + i + 2 * W);
    s3 += load(x + i + 3 * W);
  }
  for (; i + W <= n; i += W) s0 += load(x + i);
  float total = xsimd::hadd((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) total += x[i];
  return total;
}

float dot(const float* x, const float* y, std::size_t n) {
  batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
  std::size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    s0 = xsimd::fma(load(x + i), load(y + i), s0);
    s1 = xsimd::fma(load(x + i + W), load(y + i + W), s1);
    s2 = xsimd::fma(load(x + i + 2 * W), load(y + i + 2 * W), s2);
    s3 = xsimd::fma(load(x + i + 3 * W), load(y + i + 3 * W), s3);
  }
  for (; i + W <= n; i += W) s0 = xsimd::fma(load(x + i), load(y + i), s0);
  float total = xsimd::hadd((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) total += x[i] * y[i];
  return total;
}

float sum_squares(const float* x, std::size_t n) {
  batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
  std::size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    const batch v0 = load(x + i), v1 = load(x + i + W), v2 = load(x + i + 2 * W),
                v3 = load(x + i + 3 * W);
    s0 = xsimd::fma(v0, v0, s0);
    s1 = xsimd::fma(v1, v1, s1);
    s2 = xsimd::fma(v2, v2, s2);
    s3 = xsimd::fma(v3, v3, s3);
  }
  for (; i + W <= n; i += W) {
    const batch v = load(x + i);
    s0 = xsimd::fma(v, v, s0);
  }
  float total = xsimd::hadd((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) total += x[i] * x[i];
  return total;
}

// Sums down the columns: a strip of 4·W (then W, then 1) columns is accumulated in registers
// over all rows, reading each row's strip contiguously, then written once.
void column_sums(const float* X, int rows, int cols, float* out, bool accumulate) {
  if (cols <= 0) return;
  const auto row_ptr = [&](int r) { return X + static_cast<std::ptrdiff_t>(r) * cols; };
  int j = 0;
  for (; j + 4 * static_cast<int>(W) <= cols; j += 4 * static_cast<int>(W)) {
    batch s[4];
    for (int b = 0; b < 4; ++b) s[b] = accumulate ? load(out + j + b * W) : batch(0.0f);
    for (int r = 0; r < rows; ++r) {
      const float* x = row_ptr(r) + j;
      for (int b = 0; b < 4; ++b) s[b] += load(x + b * W);
    }
    for (int b = 0; b < 4; ++b) s[b].store_unaligned(out + j + b * W);
  }
  for (; j + static_cast<int>(W) <= cols; j += static_cast<int>(W)) {
    batch s = accumulate ? load(out + j) : batch(0.0f);
    for (int r = 0; r < rows; ++r) s += load(row_ptr(r) + j);
    s.store_unaligned(out + j);
  }
  for (; j < cols; ++j) {
    float s = accumulate ? out[j] : 0.0f;
    for (int r = 0; r < rows; ++r) s += row_ptr(r)[j];
    out[j] = s;
  }
}

// x·0 is (±)0 for every finite x and NaN for ±Inf and NaN; NaN then sticks in the running
// sum, so one comparison at the end tells whether any element was not finite.
bool all_finite(const float* x, std::size_t n) {
  const batch zero(0.0f);
  batch acc(0.0f);
  std::size_t i = 0;
  for (; i + W <= n; i += W) acc += load(x + i) * zero;
  bool finite = xsimd::all(acc == zero);
  for (; i < n; ++i) finite = finite && std::isfinite(x[i]);
  return finite;
}

const char* simd_arch_name() {
#ifdef __EMSCRIPTEN__
  return "wasm simd128 (via xsimd sse4.1)";
#else
  return xsimd::default_arch::name();
#endif
}

}  // namespace latentlab::kernels
