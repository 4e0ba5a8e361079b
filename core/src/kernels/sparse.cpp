// Products with a compressed-row sparse input (see latentlab/kernels/sparse.hpp).
//
// Both kernels work on column panels of NR = panel_columns() outputs (48 with AVX-512, 12 in
// wasm), which is also how they are split across threads (disjoint outputs,
// whole panels: the result does not depend on the thread count).
//
// Forward, Y = X·Wᵀ: the panel's NR rows of W are packed k-major (Bp[k·NR + j] = W[j0+j, k],
// the same packing the dense GEMM uses for a transposed B), then for each row i of X
//   Y[i, panel] = Σ over the nonzeros (k, v) of row i of  v · Bp[k, :]
// with the panel in registers (sum_of_rows: four interleaved accumulator sets, 12 independent
// FMA chains instead of 3, to cover the FMA latency).
//
// Weight gradient, D += Gᵀ·X: for the panel's NR rows of D (columns j0… of G, copied to an
// aligned, zero-padded Gp that stays in L1), T[k, :] = Σ v · Gp[i, :] over the nonzeros
// (i, v) of column k of X (X's column view), accumulated in registers and stored once; then
// T is transposed onto D's rows: D[j0+j, k] += T[k, j].
#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "detail/gemm_internal.hpp"
#include "detail/gemm_transpose.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "latentlab/kernels/sparse.hpp"

namespace latentlab::kernels {

void compress_rows(const float* X, int rows, int cols, SparseRows& out) {
  out.rows = rows;
  out.cols = cols;
  out.row_start.resize(static_cast<std::size_t>(rows) + 1);
  // Room for every element: the arrays keep the largest size seen, so refills neither
  // allocate nor clear.
  const std::size_t capacity = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  if (out.index.size() < capacity) {
    for (auto* v : {&out.index, &out.col_row}) v->resize(capacity);
    for (auto* v : {&out.value, &out.col_value}) v->resize(capacity);
  }
  int* index = out.index.data();
  float* value = out.value.data();
  int n = 0;
  for (int i = 0; i < rows; ++i) {
    out.row_start[static_cast<std::size_t>(i)] = n;
    const float* row = X + static_cast<std::ptrdiff_t>(i) * cols;
    int k = 0;
#if defined(__AVX512F__)
    // 16 pixels at a time: the nonzero lanes (and their column numbers) are packed to the
    // front of a register and stored whole; the lanes past the nonzeros are overwritten by
    // the next store and never read (n + 16 ≤ the elements seen so far + 16 ≤ capacity).
    __m512i columns = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (; k + 16 <= cols; k += 16) {
      const __m512 v = _mm512_loadu_ps(row + k);
      const __mmask16 nonzero = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NEQ_UQ);  // NaN counts
      _mm512_storeu_ps(value + n, _mm512_maskz_compress_ps(nonzero, v));
      _mm512_storeu_si512(index + n, _mm512_maskz_compress_epi32(nonzero, columns));
      n += __builtin_popcount(nonzero);
      columns = _mm512_add_epi32(columns, _mm512_set1_epi32(16));
    }
#endif
    for (; k < cols; ++k) {
      if (row[k] != 0.0f) {  // NaN ≠ 0: a NaN input is kept, so it still poisons the output
        index[n] = k;
        value[n++] = row[k];
      }
    }
  }
  out.row_start[static_cast<std::size_t>(rows)] = n;
  // The column view by a counting sort; filling in row order keeps each column's rows sorted.
  out.col_start.assign(static_cast<std::size_t>(cols) + 1, 0);
  for (int e = 0; e < n; ++e) ++out.col_start[static_cast<std::size_t>(index[e]) + 1];
  for (int c = 0; c < cols; ++c) out.col_start[static_cast<std::size_t>(c) + 1] += out.col_start[static_cast<std::size_t>(c)];
  std::vector<int>& fill = out.col_fill;
  fill.assign(out.col_start.begin(), out.col_start.end() - 1);
  for (int i = 0; i < rows; ++i) {
    for (int e = out.row_start[static_cast<std::size_t>(i)]; e < out.row_start[static_cast<std::size_t>(i) + 1]; ++e) {
      const int slot = fill[static_cast<std::size_t>(index[e])]++;
      out.col_row[static_cast<std::size_t>(slot)] = i;
      out.col_value[static_cast<std::size_t>(slot)] = value[e];
    }
  }
}

namespace {

using batch = xsimd::batch<float>;
constexpr int W = static_cast<int>(batch::size);

int round_up(int x, int m) { return (x + m - 1) / m * m; }

// The column panel: the dense GEMM's register tile natively (48 columns with AVX-512); in wasm
// three batches (12 columns) rather than its two, so that each nonzero's index load and broadcast
// feed three batches (12 accumulators with the forward's 4 sets + broadcast + load + product = 15
// of the 16 vector registers). Each output's sum is the same sequence of terms for any panel width.
int panel_columns() {
#if defined(__wasm__)
  return 3 * W;
#else
  return detail::packed_tile_columns();
#endif
}

// Runs panel_task(j0, nr) for every NR-column panel of N, the panels split across threads.
template <class Task>
void for_each_panel(int N, double flops, Task panel_task) {
  const int NR = panel_columns();
  const int panels = (N + NR - 1) / NR;
  const int parts = std::max(1, std::min({parallel::thread_count(), panels, static_cast<int>(flops / 2e6)}));
  parallel::run(parts, [&](int part) {
    const parallel::Range r = parallel::split(N, parts, part, NR);
    for (int j0 = r.begin; j0 < r.end; j0 += NR) panel_task(j0, std::min(NR, N - j0));
  });
}

// out[c] = Σ over n in [begin, end) of value[n] · P[where[n]·S + c·W …] (S = BATCHES·W): a
// sum of panel rows picked by the nonzeros of one row (or column) of X. Consecutive terms go
// to SETS interleaved accumulator sets (SETS·BATCHES independent FMA chains, to cover the FMA
// latency), added at the end.
template <int BATCHES, int SETS>
void sum_of_rows(const int* where, const float* value, int begin, int end, const float* P, batch out[BATCHES]) {
  constexpr int S = BATCHES * W;
  batch acc[SETS][BATCHES];
  for (auto& set : acc)
    for (auto& a : set) a = batch(0.0f);
  int n = begin;
  for (; n + SETS <= end; n += SETS) {
#pragma GCC unroll 4
    for (int s = 0; s < SETS; ++s) {
      const batch v(value[n + s]);
      const float* p = P + static_cast<std::ptrdiff_t>(where[n + s]) * S;
#pragma GCC unroll 3
      for (int c = 0; c < BATCHES; ++c) acc[s][c] = xsimd::fma(v, batch::load_aligned(p + c * W), acc[s][c]);
    }
  }
  for (int s = 0; n < end; ++n, ++s) {
    const batch v(value[n]);
    const float* p = P + static_cast<std::ptrdiff_t>(where[n]) * S;
    for (int c = 0; c < BATCHES; ++c) acc[s][c] = xsimd::fma(v, batch::load_aligned(p + c * W), acc[s][c]);
  }
  for (int c = 0; c < BATCHES; ++c) {
    batch total = acc[0][c];
    for (int s = 1; s < SETS; ++s) total += acc[s][c];
    out[c] = total;
  }
}

// Y[i, 0:nr] = Σ over the nonzeros (k, v) of row i of X of v · Bp[k, :], for every row of X
// (Bp: the packed panel of W, row stride BATCHES·W).
template <int BATCHES>
void forward_panel(const SparseRows& X, const float* Bp, int nr, float* Y, int ldy) {
  for (int i = 0; i < X.rows; ++i) {
    batch total[BATCHES];
    sum_of_rows<BATCHES, 4>(X.index.data(), X.value.data(), X.row_start[static_cast<std::size_t>(i)],
                            X.row_start[static_cast<std::size_t>(i) + 1], Bp, total);
    float* y = Y + static_cast<std::ptrdiff_t>(i) * ldy;
    for (int c = 0; c < BATCHES; ++c) {
      if ((c + 1) * W <= nr) {
        total[c].store_unaligned(y + c * W);
      } else if (c * W < nr) {
        alignas(64) float lanes[W];
        total[c].store_aligned(lanes);
        for (int j = c * W; j < nr; ++j) y[j] = lanes[j - c * W];
      }
    }
  }
}

// T[k, 0:S] = Σ over the nonzeros (i, v) of column k of X of v · Gp[i, :], with Gp the panel
// of G packed with row stride S = BATCHES·W (padding lanes zero).
template <int BATCHES>
void weight_grad_panel(const SparseRows& X, const float* Gp, float* T) {
  constexpr int S = BATCHES * W;
  for (int k = 0; k < X.cols; ++k) {
    batch total[BATCHES];
    sum_of_rows<BATCHES, 2>(X.col_row.data(), X.col_value.data(), X.col_start[static_cast<std::size_t>(k)],
                            X.col_start[static_cast<std::size_t>(k) + 1], Gp, total);
    float* t = T + static_cast<std::ptrdiff_t>(k) * S;
    for (int c = 0; c < BATCHES; ++c) total[c].store_aligned(t + c * W);
  }
}

// D[j, k] (+)= T[k, j] for j < nr, k < K (D rows of stride ldd; T of row stride S); with
// !accumulate D is only written.
void add_transposed(const float* T, int S, int K, int nr, float* D, int ldd, bool accumulate) {
  int k0 = 0;
  if constexpr (detail::kHasTileTranspose) {
    for (; k0 + W <= K; k0 += W) {
      for (int c = 0; c * W < nr; ++c) {
        const float* rows[W];
        for (int r = 0; r < W; ++r) rows[r] = T + static_cast<std::ptrdiff_t>(k0 + r) * S;
        batch columns[W];
        detail::transpose_tile(rows, c * W, columns);  // columns[q] lane r = T[k0 + r, c·W + q]
        for (int q = 0; q < W && c * W + q < nr; ++q) {
          float* d = D + static_cast<std::ptrdiff_t>(c * W + q) * ldd + k0;
          (accumulate ? batch::load_unaligned(d) + columns[q] : columns[q]).store_unaligned(d);
        }
      }
    }
  }
  for (; k0 < K; ++k0) {
    for (int j = 0; j < nr; ++j) {
      float& d = D[static_cast<std::ptrdiff_t>(j) * ldd + k0];
      const float t = T[static_cast<std::ptrdiff_t>(k0) * S + j];
      d = accumulate ? d + t : t;
    }
  }
}

}  // namespace

void sparse_gemm_nt(const SparseRows& X, int N, const float* Wt, int ldw, float* Y, int ldy) {
  if (X.rows <= 0 || N <= 0) return;
  const int K = X.cols;
  for_each_panel(N, 2.0 * X.nonzeros() * N, [&](int j0, int nr) {
    const int S = round_up(nr, W);
    float* Bp = detail::scratch_floats(static_cast<std::size_t>(std::max(K, 1)) * S);
    if (K > 0) detail::pack_b_sliver(true, Wt + static_cast<std::ptrdiff_t>(j0) * ldw, ldw, K, nr, Bp);
    float* y = Y + j0;
    switch (S / W) {
      case 1: forward_panel<1>(X, Bp, nr, y, ldy); break;
      case 2: forward_panel<2>(X, Bp, nr, y, ldy); break;
      default: forward_panel<3>(X, Bp, nr, y, ldy); break;
    }
  });
}

void sparse_gemm_tn_accumulate(const SparseRows& X, int N, const float* G, int ldg, float* D, int ldd) {
  sparse_gemm_tn(X, N, G, ldg, D, ldd, true);
}

void sparse_gemm_tn(const SparseRows& X, int N, const float* G, int ldg, float* D, int ldd, bool accumulate) {
  if (N <= 0 || X.cols <= 0) return;
  if (X.rows <= 0) {  // an empty sum: D = 0 (or unchanged)
    if (!accumulate)
      for (int j = 0; j < N; ++j) std::memset(D + static_cast<std::ptrdiff_t>(j) * ldd, 0, sizeof(float) * static_cast<std::size_t>(X.cols));
    return;
  }
  const int K = X.cols;
  for_each_panel(N, 2.0 * X.nonzeros() * N, [&](int j0, int nr) {
    const int S = round_up(nr, W);
    // Scratch: T (K × S) then the packed panel of G (rows × S), both batch-aligned.
    float* T = detail::scratch_floats(static_cast<std::size_t>(K + X.rows) * S);
    float* Gp = T + static_cast<std::ptrdiff_t>(K) * S;
    for (int i = 0; i < X.rows; ++i) {
      const float* g = G + static_cast<std::ptrdiff_t>(i) * ldg + j0;
      float* gp = Gp + static_cast<std::ptrdiff_t>(i) * S;
      std::memcpy(gp, g, sizeof(float) * static_cast<std::size_t>(nr));
      std::memset(gp + nr, 0, sizeof(float) * static_cast<std::size_t>(S - nr));
    }
    switch (S / W) {
      case 1: weight_grad_panel<1>(X, Gp, T); break;
      case 2: weight_grad_panel<2>(X, Gp, T); break;
      default: weight_grad_panel<3>(X, Gp, T); break;
    }
    add_transposed(T, S, K, nr, D + static_cast<std::ptrdiff_t>(j0) * ldd, ldd, accumulate);
  });
}

namespace reference {

// Straight from the definitions, over the nonzeros, sums in double.
void sparse_gemm_nt(const SparseRows& X, int N, const float* Wt, int ldw, float* Y, int ldy) {
  for (int i = 0; i < X.rows; ++i) {
    for (int j = 0; j < N; ++j) {
      double s = 0.0;
      for (int n = X.row_start[static_cast<std::size_t>(i)]; n < X.row_start[static_cast<std::size_t>(i) + 1]; ++n)
        s += double(X.value[static_cast<std::size_t>(n)]) * Wt[static_cast<std::ptrdiff_t>(j) * ldw + X.index[static_cast<std::size_t>(n)]];
      Y[static_cast<std::ptrdiff_t>(i) * ldy + j] = static_cast<float>(s);
    }
  }
}

void sparse_gemm_tn_accumulate(const SparseRows& X, int N, const float* G, int ldg, float* D, int ldd) {
  std::vector<double> acc(static_cast<std::size_t>(N) * static_cast<std::size_t>(X.cols), 0.0);
  for (int i = 0; i < X.rows; ++i)
    for (int n = X.row_start[static_cast<std::size_t>(i)]; n < X.row_start[static_cast<std::size_t>(i) + 1]; ++n)
      for (int j = 0; j < N; ++j)
        acc[static_cast<std::size_t>(j) * X.cols + X.index[static_cast<std::size_t>(n)]] +=
            double(X.value[static_cast<std::size_t>(n)]) * G[static_cast<std::ptrdiff_t>(i) * ldg + j];
  for (int j = 0; j < N; ++j)
    for (int k = 0; k < X.cols; ++k)
      D[static_cast<std::ptrdiff_t>(j) * ldd + k] =
          static_cast<float>(D[static_cast<std::ptrdiff_t>(j) * ldd + k] + acc[static_cast<std::size_t>(j) * X.cols + k]);
}

}  // namespace reference

}  // namespace latentlab::kernels
