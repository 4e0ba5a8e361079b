// Private pieces of kernels::gemm, shared by kernels.cpp, gemm_packed.cpp and gemm_direct.cpp.
//
// Both paths have the contract of kernels::gemm (see kernels.hpp) but expect the caller to
// have handled the degenerate cases: M, N, K ≥ 1 and alpha ≠ 0.
#pragma once

#include <cstddef>

namespace latentlab::kernels::detail {

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

// Per-thread scratch memory for packing: at least `count` floats, 64-byte aligned, valid
// until the next call on the same thread. It only grows, so steady-state training calls do
// not allocate. This thread_local buffer is the one deliberate exception to "core has no
// global mutable state": it is private to each thread, never shared, and holds no value
// that outlives a single gemm call.
float* scratch_floats(std::size_t count);

}  // namespace latentlab::kernels::detail
