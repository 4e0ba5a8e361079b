// SIMD kernels (xsimd) behind latentlab/kernels/kernels.hpp.
//
// Every loop processes whole batches of W = xsimd::batch<float>::size floats (16 with
// AVX-512, 8 with AVX2, 4 with SSE4.1 / wasm SIMD128) with unaligned loads, then finishes
// the last n mod W elements with a scalar tail, so any length and any pointer alignment
// works. This file holds gemm's entry point and its table of paths (gemm_packed.cpp,
// gemm_dot.cpp, gemm_narrow_tn.cpp, gemm_direct.cpp), and the small elementwise and reduction
// kernels.
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

// ---- gemm: one table of shape classes ----
//
// kernels::gemm handles the degenerate shapes itself (M or N ≤ 0: nothing; K ≤ 0 or α = 0:
// C = β·C, A and B not read), then takes the first path of this table whose shape class holds
// for (trans_a, trans_b, M, N, K); gemm_path_for below is the table as code, one row per path
// with its reason. "16" is the AVX-512 batch width: the *_dot paths (and the split that feeds
// them) exist only in AVX-512 builds (detail::gemm_dot_available()); elsewhere those shapes
// fall through to the rows below. The choice depends on the shape and the build only,
// and every path sums each element of C in an order that does not depend on the thread
// count, so a product gives the same bits for any thread count.
//
//   path          layout    shape class                                        implementation
//   nt_dot        (N,T)     N ≤ 32                                   AVX-512   gemm_dot.cpp
//   nn_dot        (N,N)     N ≤ 32, K ≥ 16, M ≥ 4                    AVX-512   gemm_dot.cpp
//   tn_narrow     (T,N)     N ≤ 32, K ≥ 16, M ≥ 64                             gemm_narrow_tn.cpp
//   n_tail_split  (·,N)     N > 32, N mod 16 ∈ 1…4, K ≥ 16,          AVX-512   the two paths above
//                           M ≥ 4 (N,N) or M ≥ 64 (T,N)
//   direct        any       M ≤ 3, or N ≤ 8 (·,T), or K ≤ 2 (·,N)              gemm_direct.cpp
//   packed        any       everything else                                    gemm_packed.cpp
namespace {

enum class GemmPath { nt_dot, nn_dot, tn_narrow, n_tail_split, direct, packed };

// The table above, row by row: the first shape class that holds (M, N, K ≥ 1).
GemmPath gemm_path_for(bool trans_a, bool trans_b, int M, int N, int K) {
  // nt_dot: narrow C fills only part of the packed path's 48-column register tile, and packing
  // costs as much as the arithmetic. With A and B both K-contiguous each C(i, j) is a dot
  // product of two rows: register-blocked along K, A and B read in place.
  if (!trans_a && trans_b && N <= 32 && detail::gemm_dot_available()) return GemmPath::nt_dot;
  // nn_dot: the same with B not transposed; the narrow B (≤ 32·K floats) is transposed first,
  // nothing of the wide A is packed.
  if (!trans_a && !trans_b && N <= 32 && K >= 16 && M >= 4 && detail::gemm_dot_available()) return GemmPath::nn_dot;
  // tn_narrow: narrow C of many rows as Cᵀ = Bᵀ·A, ≤ 32 rows of full-width tiles instead of
  // ≤ 32 columns of partly empty ones, the wide operand read in place; Cᵀ is added transposed.
  if (trans_a && !trans_b && N <= 32 && M >= 64 && K >= 16) return GemmPath::tn_narrow;
  // n_tail_split: a last partial batch of 1–4 columns costs the packed path a whole 16-lane
  // batch per row tile (8 FMAs per k for ≤ 4 useful columns); those columns go to nn_dot or
  // tn_narrow, the rest (a multiple of 16 columns) to packed.
  if (!trans_b && N > 32 && N % 16 >= 1 && N % 16 <= 4 && K >= 16 && detail::gemm_dot_available() &&
      (trans_a ? M >= 64 : M >= 4))
    return GemmPath::n_tail_split;
  // direct: packing costs as much as the arithmetic when C has ≤ 3 rows, when C has ≤ 8
  // columns that are contiguous rows of B (dot products), or when K ≤ 2 (outer products: one
  // FMA per element of C, bound by storing C).
  if (M <= 3 || (trans_b && N <= 8) || (!trans_b && K <= 2)) return GemmPath::direct;
  // packed: every shape with a few rows and columns (packed panels, register-tiled micro-kernel).
  return GemmPath::packed;
}

}  // namespace

bool detail::gemm_takes_packed_path(bool trans_a, bool trans_b, int M, int N, int K) {
  return gemm_path_for(trans_a, trans_b, M, N, K) == GemmPath::packed;
}

#if !defined(__wasm__)  // native only: the web module would ship it unused
const char* detail::gemm_path(bool trans_a, bool trans_b, int M, int N, int K) {
  if (M <= 0 || N <= 0) return "none";
  if (K <= 0) return "scale";
  static const char* const names[] = {"nt_dot", "nn_dot", "tn_narrow", "n_tail_split", "direct", "packed"};
  return names[static_cast<int>(gemm_path_for(trans_a, trans_b, M, N, K))];
}
#endif

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_matrix(C, M, N, ldc, beta);
    return;
  }
  switch (gemm_path_for(trans_a, trans_b, M, N, K)) {
    case GemmPath::nt_dot: return detail::gemm_nt_dot(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    case GemmPath::nn_dot: return detail::gemm_nn_dot(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    case GemmPath::tn_narrow: return detail::gemm_tn_narrow(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    case GemmPath::n_tail_split: {
      const int main_n = N - N % 16;
      gemm(trans_a, false, M, main_n, K, alpha, A, lda, B, ldb, beta, C, ldc);                        // packed
      gemm(trans_a, false, M, N - main_n, K, alpha, A, lda, B + main_n, ldb, beta, C + main_n, ldc);  // narrow
      return;
    }
    case GemmPath::direct: return detail::gemm_direct(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    case GemmPath::packed: return detail::gemm_packed(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
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
#ifdef __wasm__
#if defined(LATENTLAB_RELAXED_SIMD)
  return "wasm simd128 + relaxed madd (via xsimd sse4.1)";
#else
  return "wasm simd128 (via xsimd sse4.1)";
#endif
#else
  return xsimd::default_arch::name();
#endif
}

}  // namespace latentlab::kernels
