// Products with a mostly-zero input matrix: the first Linear layer of a model fed raw MNIST
// pixels, ~81% of which are exactly 0. Only the nonzero inputs are multiplied:
//   forward      Y (M×N)  = X · Wᵀ       X: M×K sparse, W: N×K row-major (the layer's weight)
//   weight grad  D (N×K) += Gᵀ · X       G: M×N row-major (dL/d pre-activation)
// which are kernels::gemm(false, true, …) and gemm(true, false, …, beta = 1) with X in
// compressed rows. The results equal the dense products up to float summation order (the
// zero terms, which the dense GEMM adds exactly, are skipped).
#pragma once

#include <vector>

namespace latentlab::kernels {

// Row i's nonzeros are columns index[row_start[i] … row_start[i+1]) with those values, in
// increasing column order; the same nonzeros by column: column k's are rows
// col_row[col_start[k] … col_start[k+1]) with values col_value[…], in increasing row order.
// The arrays may be longer than nonzeros() (compress_rows keeps the largest size seen, so it
// does not allocate once warm); only the first nonzeros() entries are meaningful.
struct SparseRows {
  int rows = 0, cols = 0;
  std::vector<int> row_start, index;
  std::vector<float> value;
  std::vector<int> col_start, col_row;
  std::vector<float> col_value;
  std::vector<int> col_fill;  // scratch of compress_rows
  int nonzeros() const { return row_start.empty() ? 0 : row_start.back(); }
  double density() const { return rows && cols ? static_cast<double>(nonzeros()) / (double(rows) * cols) : 0.0; }
};
void compress_rows(const float* X, int rows, int cols, SparseRows& out);

// Y = X · Wᵀ (Y: X.rows × N, row stride ldy; W: N × X.cols, row stride ldw). Y is overwritten.
void sparse_gemm_nt(const SparseRows& X, int N, const float* W, int ldw, float* Y, int ldy);
// D += Gᵀ · X (D: N × X.cols, row stride ldd; G: X.rows × N, row stride ldg).
void sparse_gemm_tn_accumulate(const SparseRows& X, int N, const float* G, int ldg, float* D, int ldd);
// D = Gᵀ · X when !accumulate (D is written without being read), else D += Gᵀ · X.
void sparse_gemm_tn(const SparseRows& X, int N, const float* G, int ldg, float* D, int ldd, bool accumulate);

namespace reference {
void sparse_gemm_nt(const SparseRows& X, int N, const float* W, int ldw, float* Y, int ldy);
void sparse_gemm_tn_accumulate(const SparseRows& X, int N, const float* G, int ldg, float* D, int ldd);
}  // namespace reference

}  // namespace latentlab::kernels
