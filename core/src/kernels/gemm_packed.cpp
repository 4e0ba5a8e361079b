// Cache-blocked, packed single-precision GEMM: C = alpha·op(A)·op(B) + beta·C.
//
// The structure is the classic Goto/BLIS one:
//
//   for jc over N in steps of NC                 (a column block of C and op(B))
//     for pc over K in steps of KC               (a slice of the inner dimension)
//       for ic over M in steps of MC
//         pack op(A)[ic:ic+mc, pc:pc+kc] → Ap    (slivers of MR rows, k-major)
//         for jr over nc in steps of NR          (one B sliver: kc×NR floats, L1/L2)
//           if first ic: pack op(B)[pc:pc+kc, jc+jr:jc+jr+NR] → Bp sliver
//             (or, B not transposed and one row block, read B in place: kMaxRowsBInPlace)
//           for ir over mc in steps of MR        (one A sliver: MR×kc floats, streams from L2)
//             micro-kernel: C[ir:ir+MR, jr:jr+NR] += Ap sliver · Bp sliver
//
// Packing copies each operand into exactly the order the micro-kernel reads it, so the four
// transpose combinations differ only in the packing routines, and the micro-kernel reads
// both operands with unit stride from aligned memory.
//
// The micro-kernel keeps an MR × NB block of xsimd batches (NR = NB·W columns, W floats per
// batch) in registers for the whole kc loop: per k it loads NB batches of B, broadcasts MR
// scalars of A and issues MR·NB independent FMAs. Edge tiles (fewer than MR rows or NR
// columns) use instantiations with fewer rows / batches, so no arithmetic is wasted beyond
// rounding the column count up to a whole batch (padding lanes are packed as zeros and
// never stored).
//
// Threads (parallel.hpp): a column block of C (B offset by those columns, or rows with
// trans_b) or a row block (A offset) is an independent problem with the same K, so
// gemm_packed hands disjoint N (or M) ranges, in whole NR (MR) slivers, to the pool's
// threads; the scratch is per thread. The K blocking depends on K only, so every element of
// C sees the same sequence of FMAs whatever the split: results are identical for any thread
// count.
#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <new>
#include <utility>

#include "detail/gemm_blocking.hpp"
#include "detail/gemm_internal.hpp"
#include "latentlab/kernels/kernels.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "detail/gemm_transpose.hpp"

namespace latentlab::kernels::detail {
namespace {

// With a non-transposed B and at most one row block (M ≤ MC: every training batch), op(B)'s
// rows are already what the micro-kernel reads (NR consecutive floats per k), so whole-batch
// slivers are read in place (stride ldb) instead of being copied first: each B element is then
// read by the same ceil(M/MR) micro-kernels, minus one pass over B.
// Only the last sliver, when N is not a multiple of W, is still packed (zero padding).
// The same FMAs in the same order either way, so results do not change.
constexpr int kMaxRowsBInPlace = MC;

// Likewise a transposed A (op(A)(i, p) = A[p·lda + i]): a sliver's MR values for one k are
// already consecutive, so with few rows of C (M ≤ MC, A ≤ KC·MC floats, L2-resident; the
// weight gradients dW = dyᵀ·x of narrow layers) the micro-kernel broadcasts them from A in
// place, stride lda, and A is not packed at all. Native only: the wasm build keeps packing
// (not measured there). Same FMAs in the same order, so results do not change.
#if defined(__wasm__)
constexpr int kMaxRowsAInPlace = 0;
#else
constexpr int kMaxRowsAInPlace = MC;
#endif

// ---------------------------------------------------------------------------------------
// Micro-kernel: C[0:ROWS, 0:n_valid] = alpha · (Ap · Bp) + beta · C   (beta == 0: C not read)
//   Ap: kc × ROWS, k-major, rows a_stride floats apart (Ap[p·a_stride + i] = op(A)(i, p)):
//       a packed sliver (a_stride = ROWS) or a transposed A itself (a_stride = lda, see
//       kMaxRowsAInPlace)
//   Bp: kc × (BATCHES·W), k-major, rows b_stride floats apart (Bp[p·b_stride + j] = op(B)(p, j)):
//       a packed sliver (b_stride = BATCHES·W) or B itself (b_stride = ldb, see kMaxRowsBInPlace)
// n_valid ≤ BATCHES·W is the number of real columns; the remaining lanes are padding.
// ---------------------------------------------------------------------------------------
template <int ROWS, int BATCHES>
void micro_kernel(int kc, const float* __restrict Ap, int a_stride, const float* __restrict Bp, int b_stride,
                  float* C, int ldc, int n_valid, float alpha, float beta) {
  batch acc[ROWS][BATCHES];
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; ++i) {
#pragma GCC unroll 4
    for (int b = 0; b < BATCHES; ++b) acc[i][b] = batch(0.0f);
  }

  for (int p = 0; p < kc; ++p) {
    batch bv[BATCHES];
#pragma GCC unroll 4
    for (int b = 0; b < BATCHES; ++b) bv[b] = batch::load_unaligned(Bp + b * W);
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; ++i) {
      const batch a(Ap[i]);
#pragma GCC unroll 4
      for (int b = 0; b < BATCHES; ++b) acc[i][b] = madd(a, bv[b], acc[i][b]);
    }
    Ap += a_stride;
    Bp += b_stride;
  }

  const batch valpha(alpha);
  const batch vbeta(beta);
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; ++i) {
    float* c = C + static_cast<std::ptrdiff_t>(i) * ldc;
#pragma GCC unroll 4
    for (int b = 0; b < BATCHES; ++b) {
      const int j0 = b * W;
      if (j0 + W <= n_valid) {
        batch out = valpha * acc[i][b];
        if (beta != 0.0f) out = xsimd::fma(vbeta, batch::load_unaligned(c + j0), out);
        out.store_unaligned(c + j0);
      } else if (j0 < n_valid) {
        alignas(64) float lanes[W];
        (valpha * acc[i][b]).store_aligned(lanes);
        for (int j = j0; j < n_valid; ++j) {
          c[j] = (beta != 0.0f) ? lanes[j - j0] + beta * c[j] : lanes[j - j0];
        }
      }
    }
  }
}

using MicroKernel = void (*)(int, const float*, int, const float*, int, float*, int, int, float, float);

// kMicroKernels[b - 1][r - 1] is the kernel for an r-row, b-batch tile.
template <int BATCHES, std::size_t... R>
constexpr std::array<MicroKernel, MR> kernels_with_batches(std::index_sequence<R...>) {
  return {{&micro_kernel<static_cast<int>(R) + 1, BATCHES>...}};
}
template <std::size_t... B>
constexpr std::array<std::array<MicroKernel, MR>, NB> make_kernel_table(std::index_sequence<B...>) {
  return {{kernels_with_batches<static_cast<int>(B) + 1>(std::make_index_sequence<MR>{})...}};
}
constexpr auto kMicroKernels = make_kernel_table(std::make_index_sequence<NB>{});

// ---------------------------------------------------------------------------------------
// Packing
// ---------------------------------------------------------------------------------------

// Packs the mc × kc block of op(A) whose top-left element is `A_block` into MR-row slivers.
// Sliver s (rows s·MR …, mr = min(MR, mc − s·MR) of them) starts at Ap + s·MR·kc and holds
// op(A)(s·MR + i, p) at [p·mr + i].
void pack_a(bool trans_a, const float* A_block, int lda, int mc, int kc, float* Ap) {
  const auto a_row = [&](int i) { return A_block + static_cast<std::ptrdiff_t>(i) * lda; };
  int i0 = 0;
  if constexpr (kHasTileTranspose && W % MR == 0) {
    // op(A)(i, p) = A[i·lda + p] with W rows = W/MR whole slivers at a time: transpose W×W
    // tiles, column p of a tile holds rows i0 … i0+W−1 and is split into the W/MR slivers.
    if (!trans_a) {
      for (; i0 + W <= mc; i0 += W) {
        const float* rows[W];
        for (int r = 0; r < W; ++r) rows[r] = a_row(i0 + r);
        float* slivers = Ap + static_cast<std::ptrdiff_t>(i0) * kc;
        int p = 0;
        for (; p + W <= kc; p += W) {
          batch columns[W];
          transpose_tile(rows, p, columns);
          for (int q = 0; q < W; ++q) {
            for (int c = 0; c < W / MR; ++c) {
              store_lanes(columns[q], c * MR, MR, slivers + c * MR * kc + (p + q) * MR);
            }
          }
        }
        for (; p < kc; ++p) {
          for (int r = 0; r < W; ++r) slivers[(r / MR) * MR * kc + p * MR + r % MR] = rows[r][p];
        }
      }
    }
  }
  for (; i0 < mc; i0 += MR) {
    const int mr = std::min(MR, mc - i0);
    float* sliver = Ap + static_cast<std::ptrdiff_t>(i0) * kc;
    if (!trans_a) {
      // op(A)(i, p) = A[i·lda + p]: read each row contiguously, scatter with stride mr.
      for (int i = 0; i < mr; ++i) {
        const float* row = a_row(i0 + i);
        for (int p = 0; p < kc; ++p) sliver[p * mr + i] = row[p];
      }
    } else {
      // op(A)(i, p) = A[p·lda + i]: mr contiguous values per p.
      for (int p = 0; p < kc; ++p) {
        const float* src = A_block + static_cast<std::ptrdiff_t>(p) * lda + i0;
        for (int i = 0; i < mr; ++i) sliver[p * mr + i] = src[i];
      }
    }
  }
}

// Address of op(X)(row, col) for a matrix stored row-major with leading dimension ld.
const float* op_element(const float* X, int ld, bool trans, int row, int col) {
  return trans ? X + static_cast<std::ptrdiff_t>(col) * ld + row
               : X + static_cast<std::ptrdiff_t>(row) * ld + col;
}

// Per-thread packing scratch (see scratch_floats in gemm_internal.hpp).
struct AlignedScratch {
  static constexpr std::align_val_t kAlignment{64};
  float* data = nullptr;
  std::size_t capacity = 0;

  AlignedScratch() = default;
  AlignedScratch(const AlignedScratch&) = delete;
  AlignedScratch& operator=(const AlignedScratch&) = delete;
  ~AlignedScratch() { ::operator delete(data, kAlignment); }

  float* reserve(std::size_t count) {
    if (count > capacity) {
      ::operator delete(data, kAlignment);
      data = static_cast<float*>(::operator new(count * sizeof(float), kAlignment));
      capacity = count;
    }
    return data;
  }
};

}  // namespace

// Packs one sliver: the kc × nr block of op(B) whose top-left element is `B_block`
// (nr ≤ NR). The sliver has row stride s = nr rounded up to a whole batch and holds
// op(B)(p, j) at Bp[p·s + j]; lanes j ≥ nr are zero. Bp must be batch-aligned.
void pack_b_sliver(bool trans_b, const float* B_block, int ldb, int kc, int nr, float* Bp) {
  const int s = round_up(nr, W);
  if (!trans_b) {
    // op(B)(p, j) = B[p·ldb + j]: a contiguous row segment per p.
    for (int p = 0; p < kc; ++p) {
      const float* src = B_block + static_cast<std::ptrdiff_t>(p) * ldb;
      float* dst = Bp + p * s;
      int j = 0;
      for (; j + W <= nr; j += W) batch::load_unaligned(src + j).store_aligned(dst + j);
      for (; j < nr; ++j) dst[j] = src[j];
      for (; j < s; ++j) dst[j] = 0.0f;
    }
    return;
  }
  // op(B)(p, j) = B[j·ldb + p]: W rows of B at a time through W×W tile transposes (column p
  // of a tile is W consecutive j of packed row p), the remaining rows one at a time.
  int j = 0;
  if constexpr (kHasTileTranspose) {
    for (; j + W <= nr; j += W) {
      const float* rows[W];
      for (int r = 0; r < W; ++r) rows[r] = B_block + static_cast<std::ptrdiff_t>(j + r) * ldb;
      int p = 0;
      for (; p + W <= kc; p += W) {
        batch columns[W];
        transpose_tile(rows, p, columns);
        for (int q = 0; q < W; ++q) columns[q].store_aligned(Bp + (p + q) * s + j);
      }
      for (; p < kc; ++p) {
        for (int r = 0; r < W; ++r) Bp[p * s + j + r] = rows[r][p];
      }
    }
  }
  for (; j < nr; ++j) {
    const float* row = B_block + static_cast<std::ptrdiff_t>(j) * ldb;
    for (int p = 0; p < kc; ++p) Bp[p * s + j] = row[p];
  }
  for (int p = 0; p < kc; ++p) {
    for (int jj = nr; jj < s; ++jj) Bp[p * s + jj] = 0.0f;
  }
}

int packed_tile_columns() { return NR; }

float* scratch_floats(std::size_t count) {
  thread_local AlignedScratch scratch;
  return scratch.reserve(count);
}

namespace {
// A packed once by pack_a_whole (see gemm_internal.hpp): `data` holds all `rows` rows of op(A);
// this product covers rows row0 … (a multiple of MR, so its slivers are whole slivers there).
struct PrepackedA {
  const float* data;
  int rows, row0;
};

// prepacked == nullptr: op(A) is read from A (packed per row block, or in place).
void gemm_packed_serial(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
                        int lda, const float* B, int ldb, float beta, float* C, int ldc,
                        const PrepackedA* prepacked = nullptr) {
  const int kc_block = balanced_block(K, KC, 1);
  const int mc_block = balanced_block(M, MC, MR);
  const int nc_block = balanced_block(N, NC, NR);

  // Bp holds kc × round_up(nc, W) floats, Ap holds mc × kc; both start 64-byte aligned.
  const std::size_t b_size = static_cast<std::size_t>(kc_block) * round_up(nc_block, W);
  const std::size_t a_size = static_cast<std::size_t>(mc_block) * kc_block;
  float* Bp = scratch_floats(round_up(static_cast<int>(b_size), 16) + a_size);
  float* Ap = Bp + round_up(static_cast<int>(b_size), 16);
  const bool b_in_place = !trans_b && M <= kMaxRowsBInPlace;
  const bool a_in_place = !prepacked && trans_a && M <= kMaxRowsAInPlace;

  for (int jc = 0; jc < N; jc += nc_block) {
    const int nc = std::min(nc_block, N - jc);
    for (int pc = 0; pc < K; pc += kc_block) {
      const int kc = std::min(kc_block, K - pc);
      // The first K slice applies the caller's beta; later slices accumulate onto it.
      const float beta_here = (pc == 0) ? beta : 1.0f;
      for (int ic = 0; ic < M; ic += mc_block) {
        const int mc = std::min(mc_block, M - ic);
        if (!a_in_place && !prepacked) pack_a(trans_a, op_element(A, lda, trans_a, ic, pc), lda, mc, kc, Ap);
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = std::min(NR, nc - jr);
          const float* b_sliver = Bp + static_cast<std::ptrdiff_t>(jr) * kc;
          int b_stride = round_up(nr, W);
          if (b_in_place && nr % W == 0) {
            // Few rows of C: read op(B) = B's row segments where they are (see kMaxRowsBInPlace).
            b_sliver = op_element(B, ldb, false, pc, jc + jr);
            b_stride = ldb;
          } else if (ic == 0) {
            // B slivers are packed while the first row block uses them, so each is hot in L1
            // for its micro-kernels (not the whole kc×nc block up front, then swept); later row
            // blocks reuse the packed copies.
            pack_b_sliver(trans_b, op_element(B, ldb, trans_b, pc, jc + jr), ldb, kc, nr,
                          Bp + static_cast<std::ptrdiff_t>(jr) * kc);
          }
          const auto& kernels = kMicroKernels[ceil_div(nr, W) - 1];
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = std::min(MR, mc - ir);
            float* c_tile = C + static_cast<std::ptrdiff_t>(ic + ir) * ldc + (jc + jr);
            const float* a_sliver =
                a_in_place   ? op_element(A, lda, true, ic + ir, pc)
                : prepacked ? prepacked->data + static_cast<std::ptrdiff_t>(pc) * prepacked->rows +
                                  static_cast<std::ptrdiff_t>(prepacked->row0 + ic + ir) * kc
                            : Ap + static_cast<std::ptrdiff_t>(ir) * kc;
            kernels[mr - 1](kc, a_sliver, a_in_place ? lda : mr, b_sliver, b_stride, c_tile, ldc, nr, alpha,
                            beta_here);
          }
        }
      }
    }
  }
}

// gemm_packed_serial over threads: the longer side of C split in parts of whole register tiles,
// each part packing its own share of one operand and all of the other. kPrepacked: A is op(A)
// packed whole by pack_a_whole (a row part reads its rows' slivers); a template parameter, so the
// plain product (the page module's only one) carries no code for it.
template <bool kPrepacked>
void gemm_packed_parts(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
                       const float* B, int ldb, float beta, float* C, int ldc) {
  const double flops = 2.0 * M * N * K;
  const int threads = std::min(parallel::thread_count(), static_cast<int>(flops / kGemmMinFlopsPerThread));
  const bool split_columns = N >= M;
  const int granule = split_columns ? NR : MR;
  const int parts = std::min(threads, ceil_div(split_columns ? N : M, granule));
  // C[row0 : row0 + rows, col0 : col0 + cols] from the same rows of op(A) and columns of op(B).
  const auto block = [&](int rows, int row0, int cols, int col0) {
    const PrepackedA packed{A, M, row0};
    gemm_packed_serial(trans_a, trans_b, rows, cols, K, alpha, kPrepacked ? nullptr : op_element(A, lda, trans_a, row0, 0),
                       lda, op_element(B, ldb, trans_b, 0, col0), ldb, beta,
                       C + static_cast<std::ptrdiff_t>(row0) * ldc + col0, ldc, kPrepacked ? &packed : nullptr);
  };
  if (parts <= 1) {
    block(M, 0, N, 0);
    return;
  }
  parallel::run(parts, [&](int part) {
    const parallel::Range r = parallel::split(split_columns ? N : M, parts, part, granule);
    if (r.begin >= r.end) return;
    if (split_columns) {
      block(M, 0, r.end - r.begin, r.begin);
    } else {
      block(r.end - r.begin, r.begin, N, 0);
    }
  });
}

}  // namespace

void gemm_packed(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  gemm_packed_parts<false>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

#if !defined(__wasm__)  // native only (conv.cpp packs per chunk in the page module)
// The K slices of gemm_packed_serial's blocking (kc_block depends on K only), one after the
// other: slice pc holds op(A)[0:M, pc:pc+kc] as MR-row slivers, sliver i0 at pc·M + i0·kc. A row
// block ic of any size (a multiple of MR) then starts at pc·M + ic·kc exactly as pack_a lays it
// out on its own, so the micro-kernels read the same values in the same order.
std::size_t packed_a_floats(int M, int K) { return static_cast<std::size_t>(M) * K; }

void pack_a_whole(bool trans_a, int M, int K, const float* A, int lda, float* Ap) {
  const int kc_block = balanced_block(K, KC, 1);
  for (int pc = 0; pc < K; pc += kc_block) {
    const int kc = std::min(kc_block, K - pc);
    pack_a(trans_a, op_element(A, lda, trans_a, 0, pc), lda, M, kc, Ap + static_cast<std::ptrdiff_t>(pc) * M);
  }
}

void gemm_packed_prepacked_a(int M, int N, int K, float alpha, const float* Ap, bool trans_b, const float* B, int ldb,
                             float beta, float* C, int ldc) {
  gemm_packed_parts<true>(false, trans_b, M, N, K, alpha, Ap, 0, B, ldb, beta, C, ldc);
}

#endif

}  // namespace latentlab::kernels::detail
