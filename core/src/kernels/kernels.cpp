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
// C = β·C, A and B not read), then runs the first path of kPaths whose shape class holds for
// (trans_a, trans_b, M, N, K). "16" is the AVX-512 batch width: the *_dot paths (and the split
// that feeds them) exist only in AVX-512 builds (detail::gemm_dot_available()); elsewhere those
// shapes fall through to the rows below. The choice depends on the shape and the build only,
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

struct GemmShape {
  bool trans_a, trans_b;
  int M, N, K;
};
struct GemmOperands {
  float alpha;
  const float* A;
  int lda;
  const float* B;
  int ldb;
  float beta;
  float* C;
  int ldc;
};
struct GemmPath {
  const char* name;
  bool (*serves)(const GemmShape&);
  void (*run)(const GemmShape&, const GemmOperands&);
};

// Columns [N − N mod 16, N) through the narrow rows (nn_dot or tn_narrow), the rest (a multiple
// of 16 columns) through packed.
void run_n_tail_split(const GemmShape& s, const GemmOperands& o) {
  const int main_n = s.N - s.N % 16;
  gemm(s.trans_a, false, s.M, main_n, s.K, o.alpha, o.A, o.lda, o.B, o.ldb, o.beta, o.C, o.ldc);
  gemm(s.trans_a, false, s.M, s.N - main_n, s.K, o.alpha, o.A, o.lda, o.B + main_n, o.ldb, o.beta, o.C + main_n,
       o.ldc);
}

const GemmPath kPaths[] = {
    // Narrow C fills only part of the packed path's 48-column register tile, and packing costs
    // as much as the arithmetic. With A and B both K-contiguous each C(i, j) is a dot product of
    // two rows: register-blocked along K, A and B read in place.
    {"nt_dot",
     [](const GemmShape& s) { return !s.trans_a && s.trans_b && s.N <= 32 && detail::gemm_dot_available(); },
     [](const GemmShape& s, const GemmOperands& o) {
       detail::gemm_nt_dot(s.M, s.N, s.K, o.alpha, o.A, o.lda, o.B, o.ldb, o.beta, o.C, o.ldc);
     }},
    // The same with B not transposed: the narrow B (≤ 32·K floats) is transposed first, nothing of
    // the wide A is packed.
    {"nn_dot",
     [](const GemmShape& s) {
       return !s.trans_a && !s.trans_b && s.N <= 32 && s.K >= 16 && s.M >= 4 && detail::gemm_dot_available();
     },
     [](const GemmShape& s, const GemmOperands& o) {
       detail::gemm_nn_dot(s.M, s.N, s.K, o.alpha, o.A, o.lda, o.B, o.ldb, o.beta, o.C, o.ldc);
     }},
    // Narrow C of many rows as Cᵀ = Bᵀ·A: ≤ 32 rows of full-width tiles instead of ≤ 32 columns
    // of partly empty ones, the wide operand read in place; Cᵀ is then added transposed.
    {"tn_narrow", [](const GemmShape& s) { return s.trans_a && !s.trans_b && s.N <= 32 && s.M >= 64 && s.K >= 16; },
     [](const GemmShape& s, const GemmOperands& o) {
       detail::gemm_tn_narrow(s.M, s.N, s.K, o.alpha, o.A, o.lda, o.B, o.ldb, o.beta, o.C, o.ldc);
     }},
    // A last partial batch of 1-4 columns costs the packed path a whole 16-lane batch per row
    // tile (8 FMAs per k for ≤ 4 useful columns); those columns go to the narrow rows above.
    {"n_tail_split",
     [](const GemmShape& s) {
       return !s.trans_b && s.N > 32 && s.N % 16 >= 1 && s.N % 16 <= 4 && s.K >= 16 &&
              detail::gemm_dot_available() && (s.trans_a ? s.M >= 64 : s.M >= 4);
     },
     run_n_tail_split},
    // Packing costs as much as the arithmetic when C has ≤ 3 rows, when C has ≤ 8 columns that
    // are contiguous rows of B (dot products), or when K ≤ 2 (outer products: one FMA per
    // element of C, bound by storing C).
    {"direct", [](const GemmShape& s) { return s.M <= 3 || (s.trans_b && s.N <= 8) || (!s.trans_b && s.K <= 2); },
     [](const GemmShape& s, const GemmOperands& o) {
       detail::gemm_direct(s.trans_a, s.trans_b, s.M, s.N, s.K, o.alpha, o.A, o.lda, o.B, o.ldb, o.beta, o.C, o.ldc);
     }},
    // Every shape with a few rows and columns: packed panels, register-tiled micro-kernel.
    {"packed", [](const GemmShape&) { return true; },
     [](const GemmShape& s, const GemmOperands& o) {
       detail::gemm_packed(s.trans_a, s.trans_b, s.M, s.N, s.K, o.alpha, o.A, o.lda, o.B, o.ldb, o.beta, o.C, o.ldc);
     }},
};

const GemmPath& path_for(const GemmShape& shape) {
  for (const GemmPath& path : kPaths)
    if (path.serves(shape)) return path;
  return kPaths[sizeof(kPaths) / sizeof(kPaths[0]) - 1];  // not reached: packed serves every shape
}

}  // namespace

const char* detail::gemm_path(bool trans_a, bool trans_b, int M, int N, int K) {
  if (M <= 0 || N <= 0) return "none";
  if (K <= 0) return "scale";
  return path_for({trans_a, trans_b, M, N, K}).name;
}

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_matrix(C, M, N, ldc, beta);
    return;
  }
  const GemmShape shape{trans_a, trans_b, M, N, K};
  path_for(shape).run(shape, {alpha, A, lda, B, ldb, beta, C, ldc});
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
