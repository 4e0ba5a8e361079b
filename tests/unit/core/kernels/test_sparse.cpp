// The sparse-input products (latentlab/kernels/sparse.hpp) against their scalar reference and
// against the dense GEMM, on odd shapes (panels narrower than a tile, K not a multiple of the
// SIMD width) and densities from empty rows to all nonzero, at 1 and 2 threads; and the VAE
// encoder, whose first layer takes the sparse path on MNIST-like input, against the same
// layer computed densely.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "latentlab/kernels/kernels.hpp"
#include "latentlab/nn/linear.hpp"
#include "latentlab/nn/mlp.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/kernels/sparse.hpp"
#include "support/values.hpp"

using namespace latentlab;

namespace {

// rows×cols values in [-1, 1), each zero with probability `zeros`.
std::vector<float> sparse_matrix(int rows, int cols, double zeros, std::uint32_t seed) {
  return test::random_values(static_cast<std::size_t>(rows) * cols, zeros, seed);
}

// |got − want| ≤ (K + 4)·u·Σ|terms| with Σ|terms| ≤ K for values in [-1, 1] (see test_kernels.cpp).
void check_close(const std::vector<float>& got, const std::vector<float>& want, int K, const char* what) {
  REQUIRE(got.size() == want.size());
  const double bound = (K + 4) * 5.9604644775390625e-08 * K + 1e-30;
  double worst = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::fmax(worst, std::fabs(double(got[i]) - want[i]));
  INFO(what << ": worst error " << worst << ", bound " << bound);
  CHECK(worst <= bound);
}

}  // namespace

TEST_CASE("compress_rows keeps exactly the nonzeros in column order", "[sparse]") {
  const std::vector<float> x = {0, 1.5f, 0, -2, 0, 0, 0, 0, 3, 0, 0, 4};
  kernels::SparseRows s;
  kernels::compress_rows(x.data(), 3, 4, s);
  CHECK(s.row_start == std::vector<int>{0, 2, 2, 4});
  REQUIRE(s.nonzeros() == 4);
  CHECK(std::vector<int>(s.index.begin(), s.index.begin() + 4) == std::vector<int>{1, 3, 0, 3});
  CHECK(std::vector<float>(s.value.begin(), s.value.begin() + 4) == std::vector<float>{1.5f, -2, 3, 4});
  CHECK(s.density() == Approx(4.0 / 12));
  // The column view: column 0 holds row 2 (value 3), column 1 row 0, column 3 rows 0 and 2.
  CHECK(s.col_start == std::vector<int>{0, 1, 2, 2, 4});
  CHECK(std::vector<int>(s.col_row.begin(), s.col_row.begin() + 4) == std::vector<int>{2, 0, 0, 2});
  CHECK(std::vector<float>(s.col_value.begin(), s.col_value.begin() + 4) == std::vector<float>{3, 1.5f, -2, 4});
}

TEST_CASE("compress_rows at widths around the SIMD width keeps every nonzero once, NaN included", "[sparse]") {
  for (int cols : {1, 15, 16, 17, 31, 33, 784}) {
    const int rows = 5;
    std::vector<float> x = sparse_matrix(rows, cols, 0.6, static_cast<std::uint32_t>(cols));
    x[static_cast<std::size_t>(cols / 2)] = std::nanf("");
    x[static_cast<std::size_t>(cols - 1)] = -0.0f;  // negative zero is a zero
    kernels::SparseRows s;
    kernels::compress_rows(x.data(), rows, cols, s);
    kernels::compress_rows(x.data(), rows, cols, s);  // a refill gives the same (reused arrays)
    int expected = 0;
    for (int i = 0; i < rows; ++i) {
      INFO("cols " << cols << " row " << i);
      REQUIRE(s.row_start[static_cast<std::size_t>(i)] == expected);
      for (int k = 0; k < cols; ++k) {
        const float v = x[static_cast<std::size_t>(i) * cols + k];
        if (v == 0.0f) continue;
        REQUIRE(s.index[static_cast<std::size_t>(expected)] == k);
        const float got = s.value[static_cast<std::size_t>(expected)];
        REQUIRE((std::isnan(v) ? std::isnan(got) : got == v));
        ++expected;
      }
    }
    CHECK(s.nonzeros() == expected);
  }
}

TEST_CASE("compress_rows gives the same rows and column view at any thread count", "[sparse][parallel]") {
  // Large enough to be split by rows (≥ 32k pixels per part); dense and empty rows at the part
  // boundaries, NaNs, and widths with and without a scalar tail.
  for (int cols : {784, 401}) {
    const int rows = 200;
    std::vector<float> x = sparse_matrix(rows, cols, 0.81, static_cast<std::uint32_t>(cols) + 5u);
    for (int k = 0; k < cols; ++k) {
      x[static_cast<std::size_t>(99) * cols + k] = 0.5f;   // row 99 all nonzero (end of part 0 of 2)
      x[static_cast<std::size_t>(100) * cols + k] = 0.0f;  // row 100 empty
      x[static_cast<std::size_t>(199) * cols + k] = 1.0f;  // the last row all nonzero
    }
    x[static_cast<std::size_t>(7) * cols + 3] = std::nanf("");
    kernels::SparseRows want;
    // The column view straight from the definition: for each column, its nonzeros by row.
    std::vector<int> col_row;
    std::vector<float> col_value;
    std::vector<int> col_start{0};
    for (int k = 0; k < cols; ++k) {
      for (int i = 0; i < rows; ++i) {
        const float v = x[static_cast<std::size_t>(i) * cols + k];
        if (v == 0.0f) continue;
        col_row.push_back(i);
        col_value.push_back(v);
      }
      col_start.push_back(static_cast<int>(col_row.size()));
    }
    for (int threads : {1, 2, 3}) {
      INFO("cols " << cols << ", threads " << threads);
      parallel::set_thread_count(threads);
      kernels::SparseRows s;
      kernels::compress_rows(x.data(), rows, cols, s);
      kernels::compress_rows(x.data(), rows, cols, s);  // a refill gives the same (reused arrays)
      parallel::set_thread_count(1);
      const int n = s.nonzeros();
      REQUIRE(n == static_cast<int>(col_row.size()));
      CHECK(s.col_start == col_start);
      CHECK(std::vector<int>(s.col_row.begin(), s.col_row.begin() + n) == col_row);
      for (int e = 0; e < n; ++e) {
        const float got = s.col_value[static_cast<std::size_t>(e)], w = col_value[static_cast<std::size_t>(e)];
        REQUIRE((std::isnan(w) ? std::isnan(got) : got == w));
      }
      if (threads == 1) {
        want = s;
      } else {
        CHECK(s.row_start == want.row_start);
        CHECK(std::vector<int>(s.index.begin(), s.index.begin() + n) == std::vector<int>(want.index.begin(), want.index.begin() + n));
        for (int e = 0; e < n; ++e) {
          const float got = s.value[static_cast<std::size_t>(e)], w = want.value[static_cast<std::size_t>(e)];
          REQUIRE((std::isnan(w) ? std::isnan(got) : got == w));
        }
      }
    }
  }
}

TEST_CASE("sparse products match the reference and the dense GEMM on odd shapes", "[sparse]") {
  struct Shape {
    int M, N, K;
    double zeros;
  };
  const Shape shapes[] = {{128, 400, 784, 0.81}, {7, 13, 5, 0.5}, {33, 49, 97, 0.9}, {5, 100, 17, 0.0},
                          {9, 47, 33, 1.0},      {64, 96, 31, 0.7}, {1, 1, 1, 0.0}};
  for (const Shape& sh : shapes) {
    const std::vector<float> x = sparse_matrix(sh.M, sh.K, sh.zeros, 1);
    const std::vector<float> w = sparse_matrix(sh.N, sh.K, 0.0, 2);   // N×K weight
    const std::vector<float> g = sparse_matrix(sh.M, sh.N, 0.0, 3);   // M×N upstream gradient
    const std::vector<float> d0 = sparse_matrix(sh.N, sh.K, 0.0, 4);  // existing gradient
    kernels::SparseRows xs;
    kernels::compress_rows(x.data(), sh.M, sh.K, xs);
    INFO("M=" << sh.M << " N=" << sh.N << " K=" << sh.K << " zeros=" << sh.zeros);

    std::vector<float> y_ref(static_cast<std::size_t>(sh.M) * sh.N), d_ref = d0;
    kernels::reference::sparse_gemm_nt(xs, sh.N, w.data(), sh.K, y_ref.data(), sh.N);
    kernels::reference::sparse_gemm_tn_accumulate(xs, sh.N, g.data(), sh.N, d_ref.data(), sh.K);
    // The reference itself equals the dense definition (zeros add nothing).
    std::vector<float> y_dense(y_ref.size()), d_dense = d0;
    kernels::reference::gemm(false, true, sh.M, sh.N, sh.K, 1.0f, x.data(), sh.K, w.data(), sh.K, 0.0f, y_dense.data(), sh.N);
    kernels::reference::gemm(true, false, sh.N, sh.K, sh.M, 1.0f, g.data(), sh.N, x.data(), sh.K, 1.0f, d_dense.data(), sh.K);
    check_close(y_ref, y_dense, sh.K, "reference forward vs dense");
    check_close(d_ref, d_dense, sh.M + 1, "reference weight grad vs dense");

    std::vector<float> y_one;
    for (int threads : {1, 2}) {
      parallel::set_thread_count(threads);
      std::vector<float> y(y_ref.size(), std::nanf("")), d = d0;
      kernels::sparse_gemm_nt(xs, sh.N, w.data(), sh.K, y.data(), sh.N);
      kernels::sparse_gemm_tn_accumulate(xs, sh.N, g.data(), sh.N, d.data(), sh.K);
      INFO("threads " << threads);
      check_close(y, y_ref, sh.K, "forward");
      check_close(d, d_ref, sh.M + 1, "weight grad");
      if (threads == 1) y_one = y;
      else CHECK(y == y_one);
    }
    parallel::set_thread_count(1);
  }
}

TEST_CASE("an MLP with sparse input gives the dense layer's output and gradients", "[sparse]") {
  const int batch = 37, in = 61, out = 50;
  const std::vector<float> x = sparse_matrix(batch, in, 0.8, 9);
  std::vector<std::vector<float>> outputs, grads;
  for (bool sparse : {false, true}) {
    ParameterSet params;
    Mlp mlp(params, "m", in, {{"fc1", out, {Activation::ReLU, 0.0f}}, {"fc2", 3, {Activation::Identity, 0.0f}}});
    params.allocate();
    Rng rng(5, 0);
    mlp.init(rng);
    mlp.set_sparse_input(sparse);
    const float* y = mlp.forward(x.data(), batch);
    outputs.emplace_back(y, y + batch * 3);
    std::vector<float> upstream = sparse_matrix(batch, 3, 0.0, 10);
    params.zero_grads();
    mlp.backward(x.data(), upstream.data(), batch, nullptr);
    grads.emplace_back(params.grads(), params.grads() + params.size());
  }
  check_close(outputs[1], outputs[0], in * out, "MLP output");
  check_close(grads[1], grads[0], in * out, "MLP parameter gradients");
}
