// Private pieces of kernels::gemm: its paths (the rows of the table in kernels.cpp) and what
// they share. Every path has the contract of kernels::gemm (see kernels.hpp) but expects the
// caller to have handled the degenerate cases: M, N, K ≥ 1 and alpha ≠ 0. Each splits its work
// across threads in parts of at least kernels::kGemmMinFlopsPerThread.
#pragma once

#include <cstddef>

namespace latentlab::kernels::detail {

// Name of the path kernels::gemm takes for this shape ("nt_dot", "nn_dot", "tn_narrow",
// "n_tail_split", "direct", "packed"; "none" when M or N ≤ 0, "scale" when K ≤ 0): the table
// in kernels.cpp, for tests and diagnostics. Native builds only.
const char* gemm_path(bool trans_a, bool trans_b, int M, int N, int K);

// Cache-blocked GEMM on packed panels with a register-blocked micro-kernel: the fast path
// for every shape that has at least a few rows and columns.
void gemm_packed(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc);

// Unpacked GEMM for very thin shapes (a few rows of C, e.g. a single-sample forward pass,
// or a few columns with trans_b, e.g. a Linear layer with one output), where packing would
// cost as much as the arithmetic: dot products along K when trans_b (columns of op(B) are
// rows of B), axpy updates of C rows otherwise.
void gemm_direct(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc);

// nt_dot: C = alpha·A·Bᵀ + beta·C for row-major A (M×K) and B (N×K), i.e. gemm(N,T), as
// register-blocked dot products along K with no packing (gemm_dot.cpp). Only when
// gemm_dot_available() (AVX-512 builds); elsewhere gemm_packed serves these calls.
bool gemm_dot_available();
void gemm_nt_dot(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc);
// nn_dot: gemm(N,N) with a narrow op(B) (N ≤ 32 columns, B K×N row-major): transposes B into
// scratch (N×K) and runs gemm_nt_dot, so nothing of the wide A is packed.
void gemm_nn_dot(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc);

// tn_narrow: gemm(T,N) with narrow C (N ≤ 32, M large): computes Cᵀ = Bᵀ·A with gemm_packed
// into a per-thread buffer and adds it transposed onto C (gemm_narrow_tn.cpp).
void gemm_tn_narrow(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                    float beta, float* C, int ldc);

// op(A) packed once and reused by several products with the same A (a conv layer's weights
// over its chunks of images, conv.cpp): pack_a_whole writes the M × K op(A) into
// packed_a_floats(M, K) floats in the layout gemm_packed's blocking reads, and
// gemm_packed_prepacked_a is gemm_packed(trans_a, trans_b, M, N, K, …) on it: the same FMAs in
// the same order, so the same bits, without packing A again. Only for shapes where kernels::gemm
// takes the packed path (gemm_takes_packed_path). pack_a_whole and gemm_packed_prepacked_a are
// native-only: the page module (__wasm__) keeps packing per product, for its size.
std::size_t packed_a_floats(int M, int K);
void pack_a_whole(bool trans_a, int M, int K, const float* A, int lda, float* Ap);
void gemm_packed_prepacked_a(int M, int N, int K, float alpha, const float* Ap, bool trans_b, const float* B, int ldb,
                             float beta, float* C, int ldc);
// True when kernels::gemm would hand this shape (M, N, K ≥ 1, alpha ≠ 0) to gemm_packed.
bool gemm_takes_packed_path(bool trans_a, bool trans_b, int M, int N, int K);

// Packs the kc × nr block of op(B) at B_block (nr ≤ one register tile, 48 columns with
// AVX-512) into k-major rows of stride round_up(nr, W) at the batch-aligned Bp, padding lanes
// zero: Bp[p·stride + j] = op(B)(p, j). Also used by the sparse products (sparse.cpp).
void pack_b_sliver(bool trans_b, const float* B_block, int ldb, int kc, int nr, float* Bp);
// Columns of C one micro-kernel tile covers (the NR of gemm_packed.cpp).
int packed_tile_columns();

// Per-thread scratch memory for packing: at least `count` floats, 64-byte aligned, valid
// until the next call on the same thread. It only grows, so steady-state training calls do
// not allocate. This thread_local buffer is the one deliberate exception to "core has no
// global mutable state": it is private to each thread, never shared, and holds no value
// that outlives a single gemm call.
float* scratch_floats(std::size_t count);

}  // namespace latentlab::kernels::detail
