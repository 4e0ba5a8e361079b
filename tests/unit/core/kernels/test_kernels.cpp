// SIMD kernels against the scalar reference kernels (latentlab::kernels::reference).
//
// Tolerances. The SIMD kernels sum in fp32 in a different order than the reference, which
// sums in double and rounds once. For any summation order of n products, the classic bound
// (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1) is
//     |fl(Σ a_k b_k) − Σ a_k b_k| ≤ γ_n · Σ |a_k b_k|,   γ_n = n·u / (1 − n·u),  u = 2⁻²⁴,
// and FMA only tightens it. We allow (n + 4)·u·magnitude, the extra terms covering the
// reference's final rounding and the alpha/beta scaling. For GEMM the magnitude
// |alpha|·Σ_k |a_ik b_kj| + |beta·c_ij| is bounded above by the cheaper
// |alpha|·‖row i of op(A)‖₂·‖column j of op(B)‖₂ + |beta·c_ij| (Cauchy–Schwarz), which keeps
// the check rigorous without a third triple loop. The bound grows like K·u while the
// typical error grows like √K·u, so it never fails spuriously; an indexing, packing or edge
// bug, by contrast, produces errors of the order of the values themselves (and every unused
// padding element of A and B is NaN, so reading one poisons the result).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "latentlab/kernels/kernels.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "support/values.hpp"

namespace {

namespace kernels = latentlab::kernels;
namespace reference = latentlab::kernels::reference;

constexpr double kUnitRoundoff = 5.9604644775390625e-08;  // 2⁻²⁴
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

// Deterministic values in [-1, 1): the shared 32-bit LCG (support/values.hpp). The bounds below
// are derived from the values it draws.
using latentlab::test::Lcg;

// A row-major rows×cols matrix with leading dimension ld ≥ cols; padding columns hold `pad`.
struct Stored {
  int rows, cols, ld;
  std::vector<float> data;
  Stored(int r, int c, int extra, Lcg& rng, float pad) : rows(r), cols(c), ld(c + extra),
        data(static_cast<std::size_t>(r) * static_cast<std::size_t>(c + extra) + 1, pad) {
    for (int i = 0; i < rows; ++i) {
      for (int j = 0; j < cols; ++j) at(i, j) = rng.next();
    }
  }
  float& at(int i, int j) { return data[static_cast<std::size_t>(i) * ld + j]; }
  float at(int i, int j) const { return data[static_cast<std::size_t>(i) * ld + j]; }
};

struct GemmCase {
  bool trans_a, trans_b;
  int M, N, K;
  float alpha, beta;
  int lda_extra, ldb_extra, ldc_extra;
  int row_step;  // check every row_step-th row of C (1: all rows) against the reference

  std::string describe() const {
    std::ostringstream s;
    s << "gemm(" << (trans_a ? "T" : "N") << (trans_b ? "T" : "N") << ") M=" << M << " N=" << N
      << " K=" << K << " alpha=" << alpha << " beta=" << beta << " ld extras=" << lda_extra << ","
      << ldb_extra << "," << ldc_extra;
    return s.str();
  }
};

// Runs one GEMM case through kernels::gemm and reference::gemm and checks every checked
// element against the bound described at the top of the file. With beta == 0 the initial C
// is all NaN; the padding columns of C (ldc > N) must come back untouched.
void check_gemm(const GemmCase& g, std::uint32_t seed) {
  INFO(g.describe());
  Lcg rng(seed);
  const float sentinel = -12345.0f;
  // Stored shapes: A is M×K (K×M when transposed), B is K×N (N×K when transposed).
  const Stored A(g.trans_a ? g.K : g.M, g.trans_a ? g.M : g.K, g.lda_extra, rng, kNaN);
  const Stored B(g.trans_b ? g.N : g.K, g.trans_b ? g.K : g.N, g.ldb_extra, rng, kNaN);
  Stored C0(g.M, g.N, g.ldc_extra, rng, sentinel);
  if (g.beta == 0.0f) {
    for (int i = 0; i < g.M; ++i) {
      for (int j = 0; j < g.N; ++j) C0.at(i, j) = kNaN;
    }
  }
  const auto op_a = [&](int i, int k) { return g.trans_a ? A.at(k, i) : A.at(i, k); };
  const auto op_b = [&](int k, int j) { return g.trans_b ? B.at(j, k) : B.at(k, j); };

  Stored C = C0;
  kernels::gemm(g.trans_a, g.trans_b, g.M, g.N, g.K, g.alpha, A.data.data(), A.ld, B.data.data(), B.ld,
                g.beta, C.data.data(), C.ld);

  std::vector<double> col_norm(static_cast<std::size_t>(g.N), 0.0);
  for (int j = 0; j < g.N; ++j) {
    double s = 0.0;
    for (int k = 0; k < g.K; ++k) s += static_cast<double>(op_b(k, j)) * op_b(k, j);
    col_norm[static_cast<std::size_t>(j)] = std::sqrt(s);
  }

  Stored expected = C0;
  const double gamma = (g.K + 4) * kUnitRoundoff;
  int checked_rows = 0;
  long violations = 0;
  std::string first_violation;
  for (int i = 0; i < g.M; ++i) {
    const bool last_row = (i == g.M - 1);
    if (i % g.row_step != 0 && !last_row) continue;
    ++checked_rows;
    // Reference result for row i alone (a 1×N GEMM on offset pointers).
    const float* a_row = g.trans_a ? A.data.data() + i : A.data.data() + static_cast<std::size_t>(i) * A.ld;
    float* e_row = expected.data.data() + static_cast<std::size_t>(i) * expected.ld;
    reference::gemm(g.trans_a, g.trans_b, 1, g.N, g.K, g.alpha, a_row, A.ld, B.data.data(), B.ld, g.beta,
                    e_row, expected.ld);
    double row_norm = 0.0;
    for (int k = 0; k < g.K; ++k) row_norm += static_cast<double>(op_a(i, k)) * op_a(i, k);
    row_norm = std::sqrt(row_norm);

    for (int j = 0; j < g.N + g.ldc_extra; ++j) {
      const float got = C.at(i, j);
      bool ok;
      if (j >= g.N) {
        ok = (got == sentinel);
      } else {
        const double c0 = (g.beta == 0.0f) ? 0.0 : std::fabs(static_cast<double>(g.beta) * C0.at(i, j));
        const double magnitude = std::fabs(g.alpha) * row_norm * col_norm[static_cast<std::size_t>(j)] + c0;
        const double tol = gamma * magnitude + 1e-30;
        ok = std::isfinite(got) && std::fabs(static_cast<double>(got) - expected.at(i, j)) <= tol;
      }
      if (!ok) {
        if (violations == 0) {
          std::ostringstream s;
          s << "C(" << i << "," << j << ") = " << got << ", reference " << expected.at(i, j);
          first_violation = s.str();
        }
        ++violations;
      }
    }
  }
  INFO("rows checked: " << checked_rows << "; first violation: " << first_violation);
  CHECK(violations == 0);
}

}  // namespace

TEST_CASE("gemm matches the reference on odd shapes, all transposes, alpha, beta and ld", "[kernels]") {
  // 1-3 rows, K ≤ 2 and (with trans_b) up to 8 columns take the unpacked path, N ≤ 32 (with
  // A not transposed) the dot-product path on AVX-512, the rest the packed one.
  const int dims[] = {1, 2, 3, 4, 17, 33, 100};
  const float alphas[] = {1.0f, -0.75f, 2.5f};
  const float betas[] = {0.0f, 1.0f, 0.5f};
  int index = 0;
  for (int M : dims) {
    for (int N : dims) {
      for (int K : dims) {
        for (int t = 0; t < 4; ++t) {
          // Rotate alpha, beta and the leading-dimension padding through the shapes so that
          // each shape meets several combinations over the four transposes.
          GemmCase g{(t & 1) != 0, (t & 2) != 0, M, N, K,
                     alphas[index % 3], betas[(index / 3) % 3],
                     (index % 2) * 3, (index % 4 < 2) ? 0 : 5, (index % 5 == 0) ? 0 : 7, 1};
          check_gemm(g, static_cast<std::uint32_t>(index));
          ++index;
        }
      }
    }
  }
}

TEST_CASE("gemm with one dimension of 1000 and with more columns than one cache block", "[kernels]") {
  struct Shape { int M, N, K; };
  const Shape shapes[] = {{1000, 33, 100}, {100, 1000, 33}, {33, 100, 1000}, {1, 1000, 1000},
                          {1000, 1, 1000}, {1000, 1000, 1}, {1000, 17, 3},   {5, 3100, 20}};
  int index = 0;
  for (const Shape& s : shapes) {
    for (int t = 0; t < 4; ++t) {
      const float beta = (index % 3 == 0) ? 0.0f : (index % 3 == 1 ? 1.0f : 0.5f);
      GemmCase g{(t & 1) != 0, (t & 2) != 0, s.M, s.N, s.K, (t == 3) ? -1.5f : 1.0f, beta,
                 1, 2, 3, 1};
      check_gemm(g, 1000u + static_cast<std::uint32_t>(index));
      ++index;
    }
  }
}

TEST_CASE("gemm on the training shapes of a Linear layer", "[kernels]") {
  // y = x·Wᵀ: forward gemm(N,T, batch,out,in); dW = dyᵀ·x: gemm(T,N, out,in,batch) accumulated
  // (beta = 1); dx = dy·W: gemm(N,N, batch,in,out). Large ones are checked on every 5th row
  // (5 is coprime to the micro-tile heights, so the checked rows cover every tile position).
  struct Layer { int batch, in, out; };
  const Layer layers[] = {{128, 784, 400}, {128, 400, 20}, {128, 20, 400}, {128, 400, 784},
                          {64, 100, 128},  {64, 128, 256}, {64, 256, 512}, {64, 512, 1024},
                          {64, 1024, 784}, {64, 784, 1024}, {64, 1024, 512}, {64, 512, 256},
                          {64, 256, 1}};
  std::uint32_t seed = 5000;
  for (const Layer& l : layers) {
    const long work = static_cast<long>(l.batch) * l.in * l.out;
    const int step = work > 4000000 ? 5 : 1;
    check_gemm({false, true, l.batch, l.out, l.in, 1.0f, 0.0f, 0, 0, 0, step}, seed++);
    check_gemm({true, false, l.out, l.in, l.batch, 1.0f, 1.0f, 0, 0, 0, step}, seed++);
    check_gemm({false, false, l.batch, l.in, l.out, 1.0f, 0.0f, 0, 0, 0, step}, seed++);
  }
}

TEST_CASE("gemm's narrow, thin and in-place paths at their edges, all transposes", "[kernels]") {
  // Every path kernels::gemm dispatches to, at and around its boundaries:
  //  * narrow C, N ≤ 32 (dot products along K, gemm_dot.cpp; NN transposes B first, 16×16
  //    tiles when N ≥ 16, the last one overlapping): N around 16, the 4-column groups and the
  //    32 limit, K around the 16-lane steps (masked tails), M around the tile heights (4, or
  //    16/N for N < 4) and the 3-row limit of the direct path;
  //  * gemm(T,N) with N ≤ 32 and M ≥ 64 computed as Cᵀ and added transposed (gemm_narrow_tn.cpp,
  //    16×16 tiles plus scalar edges: M and N around multiples of 16);
  //  * K ≤ 2 outer products and M ≤ 3 rows (gemm_direct.cpp): N around its 8-batch chunks;
  //  * B read in place by the packed path (B not transposed, M ≤ one row block of 144 rows),
  //    and likewise a transposed A: M = 144 and 145, N with and without a partial last batch,
  //    M = 20 and 129 with partial row tiles;
  //  * (N,N) and (T,N) with 1-4 columns past a multiple of 16 (N = 33, 35, 50, 100): those
  //    columns through the narrow paths, the rest packed; M, K around the split's limits.
  struct Shape { int M, N, K; };
  const Shape shapes[] = {
      {128, 20, 400}, {128, 1, 256}, {64, 1, 15}, {17, 2, 16}, {16, 3, 17}, {5, 4, 33}, {7, 5, 31},
      {33, 31, 100}, {40, 32, 64}, {40, 33, 64}, {4, 20, 1}, {2, 20, 40}, {100, 7, 2},
      {64, 256, 1}, {3, 300, 50}, {1, 256, 64}, {2, 129, 2}, {144, 96, 50}, {145, 96, 50},
      {64, 100, 70}, {20, 400, 128}, {400, 20, 128}, {64, 32, 16}, {63, 32, 16}, {65, 33, 15}, {200, 1, 40},
      {64, 16, 40}, {50, 15, 33}, {129, 100, 64}, {70, 17, 20}, {100, 32, 16}, {64, 50, 16},
      {63, 35, 17}, {64, 37, 15}, {3, 36, 20}};
  int index = 0;
  for (const Shape& s : shapes) {
    for (int t = 0; t < 4; ++t) {
      const float beta = (index % 3 == 0) ? 0.0f : (index % 3 == 1 ? 1.0f : -0.5f);
      GemmCase g{(t & 1) != 0, (t & 2) != 0, s.M, s.N, s.K, (index % 2) ? 1.0f : 0.625f, beta,
                 index % 3, (index + 1) % 4, index % 2, 1};
      check_gemm(g, 7000u + static_cast<std::uint32_t>(index));
      ++index;
    }
  }
}

TEST_CASE("gemm's narrow-C paths give the same bits for any thread count", "[kernels]") {
  // Large enough to be split (≥ 8 MFLOP): by rows for N = 20 (M = 1024), by rows for N = 1;
  // (T,N) with N = 20 splits the transposed product (20 × 1024) by its columns.
  struct Shape { bool ta, tb; int M, N, K; };
  const Shape shapes[] = {{false, true, 1024, 20, 400}, {false, false, 1024, 20, 400}, {false, true, 4096, 1, 1100},
                          {true, false, 1024, 20, 400}};
  for (const Shape& s : shapes) {
    Lcg rng(99);
    const Stored A(s.ta ? s.K : s.M, s.ta ? s.M : s.K, 0, rng, kNaN);
    const Stored B(s.tb ? s.N : s.K, s.tb ? s.K : s.N, 0, rng, kNaN);
    std::vector<float> single;
    for (int threads : {1, 2, 3}) {
      latentlab::parallel::set_thread_count(threads);
      std::vector<float> C(static_cast<std::size_t>(s.M) * s.N, 0.5f);
      kernels::gemm(s.ta, s.tb, s.M, s.N, s.K, 1.0f, A.data.data(), A.ld, B.data.data(), B.ld, 1.0f, C.data(), s.N);
      latentlab::parallel::set_thread_count(1);
      if (threads == 1) {
        single = C;
      } else {
        INFO("M=" << s.M << " N=" << s.N << " K=" << s.K << " threads " << threads);
        CHECK(std::memcmp(C.data(), single.data(), C.size() * sizeof(float)) == 0);
      }
    }
  }
}

TEST_CASE("gemm degenerate sizes: K = 0 and alpha = 0 give beta·C, M or N = 0 touch nothing", "[kernels]") {
  std::vector<float> C = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
  const std::vector<float> A(6, kNaN), B(6, kNaN);  // must not be read
  kernels::gemm(false, false, 2, 3, 0, 1.0f, A.data(), 1, B.data(), 3, 0.5f, C.data(), 3);
  CHECK(C == std::vector<float>{0.5f, 1.0f, 1.5f, 2.0f, 2.5f, 3.0f});
  kernels::gemm(true, true, 2, 3, 2, 0.0f, A.data(), 2, B.data(), 2, 2.0f, C.data(), 3);
  CHECK(C == std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f});
  std::vector<float> D(6, kNaN);
  kernels::gemm(false, false, 2, 3, 0, 1.0f, A.data(), 1, B.data(), 3, 0.0f, D.data(), 3);
  CHECK(D == std::vector<float>(6, 0.0f));
  kernels::gemm(false, false, 0, 3, 2, 1.0f, A.data(), 2, B.data(), 3, 0.0f, C.data(), 3);
  kernels::gemm(false, false, 2, 0, 2, 1.0f, A.data(), 2, B.data(), 3, 0.0f, C.data(), 3);
  CHECK(C == std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f});
}

TEST_CASE("gemm small example computed by hand", "[kernels]") {
  // [1 2; 3 4] · [5 6 7; 8 9 10] = [21 24 27; 47 54 61]; with alpha = 2, beta = -1, C = 1s.
  const std::vector<float> A = {1, 2, 3, 4};
  const std::vector<float> B = {5, 6, 7, 8, 9, 10};
  std::vector<float> C(6, 1.0f);
  kernels::gemm(false, false, 2, 3, 2, 2.0f, A.data(), 2, B.data(), 3, -1.0f, C.data(), 3);
  CHECK(C == std::vector<float>{41, 47, 53, 93, 107, 121});
}

// ---- elementwise maps and reductions ----

namespace {

const std::size_t kLengths[] = {0, 1, 3, 15, 16, 17, 1000};

std::vector<float> random_vector(std::size_t n, std::uint32_t seed) {
  Lcg rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.next();
  return v;
}

// Bound on the error of an fp32 sum of n terms of total magnitude `magnitude` (see top).
double sum_tolerance(std::size_t n, double magnitude) {
  return (static_cast<double>(n) + 4.0) * kUnitRoundoff * magnitude + 1e-30;
}

}  // namespace

TEST_CASE("scale, axpy and add_row_bias match the reference at every length and alignment", "[kernels]") {
  for (std::size_t n : kLengths) {
    for (std::size_t offset : {0u, 1u}) {  // offset 1 makes every pointer unaligned
      INFO("n = " << n << ", offset = " << offset);
      const std::vector<float> x0 = random_vector(n + 1, 7u + static_cast<std::uint32_t>(n));
      const std::vector<float> y0 = random_vector(n + 1, 9u + static_cast<std::uint32_t>(n));

      std::vector<float> xs = x0, xr = x0;
      kernels::scale(xs.data() + offset, n, -1.25f);
      reference::scale(xr.data() + offset, n, -1.25f);
      CHECK(xs == xr);  // one rounded multiply per element: bit-identical

      std::vector<float> ys = y0, yr = y0;
      kernels::axpy(ys.data() + offset, x0.data() + offset, n, 0.3f);
      reference::axpy(yr.data() + offset, x0.data() + offset, n, 0.3f);
      for (std::size_t i = 0; i < n + 1; ++i) {
        // With or without FMA the result is within two roundings of the exact y + a·x.
        const double tol = 2.0 * kUnitRoundoff * (std::fabs(y0[i]) + std::fabs(0.3 * x0[i]));
        REQUIRE(std::fabs(ys[i] - yr[i]) <= tol);
      }
      if (offset == 0 && n > 0) CHECK(ys[n] == y0[n]);  // the element past the end is untouched

      std::vector<float> self = x0;  // y may alias x: y += 2·y
      kernels::axpy(self.data() + offset, self.data() + offset, n, 2.0f);
      for (std::size_t i = offset; i < offset + n; ++i) REQUIRE(self[i] == 3.0f * x0[i]);

      // add_row_bias on a 3×n matrix.
      const int rows = 3;
      const int cols = static_cast<int>(n);
      const std::vector<float> X0 = random_vector(static_cast<std::size_t>(rows) * n + 1, 11);
      std::vector<float> Xs = X0, Xr = X0;
      kernels::add_row_bias(Xs.data() + offset, y0.data() + offset, rows, cols);
      reference::add_row_bias(Xr.data() + offset, y0.data() + offset, rows, cols);
      CHECK(Xs == Xr);  // one rounded add per element: bit-identical
    }
  }
}

TEST_CASE("sum, dot and sum_squares match the reference at every length and alignment", "[kernels]") {
  for (std::size_t n : kLengths) {
    for (std::size_t offset : {0u, 1u}) {
      INFO("n = " << n << ", offset = " << offset);
      const std::vector<float> x = random_vector(n + 1, 21u + static_cast<std::uint32_t>(n));
      const std::vector<float> y = random_vector(n + 1, 23u + static_cast<std::uint32_t>(n));
      const float* px = x.data() + offset;
      const float* py = y.data() + offset;
      double abs_x = 0.0, abs_xy = 0.0, sq = 0.0;
      for (std::size_t i = 0; i < n; ++i) {
        abs_x += std::fabs(px[i]);
        abs_xy += std::fabs(static_cast<double>(px[i]) * py[i]);
        sq += static_cast<double>(px[i]) * px[i];
      }
      CHECK(std::fabs(kernels::sum(px, n) - reference::sum(px, n)) <= sum_tolerance(n, abs_x));
      CHECK(std::fabs(kernels::dot(px, py, n) - reference::dot(px, py, n)) <= sum_tolerance(n, abs_xy));
      CHECK(std::fabs(kernels::sum_squares(px, n) - reference::sum_squares(px, n)) <= sum_tolerance(n, sq));
    }
  }
  // Known values: Σ 1..1000 = 500500, Σ i² = 333833500 (exact in double, within fp32 tolerance).
  std::vector<float> ramp(1000);
  for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<float>(i + 1);
  CHECK(kernels::sum(ramp.data(), ramp.size()) == 500500.0f);
  CHECK(std::fabs(kernels::sum_squares(ramp.data(), ramp.size()) - 333833500.0) <= sum_tolerance(1000, 333833500.0));
  CHECK(std::fabs(kernels::dot(ramp.data(), ramp.data(), ramp.size()) - 333833500.0) <= sum_tolerance(1000, 333833500.0));
}

TEST_CASE("column_sums matches the reference, overwriting and accumulating", "[kernels]") {
  for (std::size_t n : kLengths) {
    for (int rows : {0, 1, 5, 64}) {
      for (bool accumulate : {false, true}) {
        INFO("cols = " << n << ", rows = " << rows << ", accumulate = " << accumulate);
        const int cols = static_cast<int>(n);
        const std::vector<float> X = random_vector(static_cast<std::size_t>(rows) * n + 1, 31u + static_cast<std::uint32_t>(n));
        const std::vector<float> out0 = random_vector(n + 1, 37);
        std::vector<float> out_s = out0, out_r = out0;
        // offset 1: both the matrix and the output are unaligned
        kernels::column_sums(X.data() + 1, rows, cols, out_s.data() + 1, accumulate);
        reference::column_sums(X.data() + 1, rows, cols, out_r.data() + 1, accumulate);
        CHECK(out_s[0] == out0[0]);  // untouched before the start
        for (int j = 0; j < cols; ++j) {
          double magnitude = accumulate ? std::fabs(out0[static_cast<std::size_t>(j) + 1]) : 0.0;
          for (int r = 0; r < rows; ++r) magnitude += std::fabs(X[1 + static_cast<std::size_t>(r) * n + static_cast<std::size_t>(j)]);
          REQUIRE(std::fabs(out_s[static_cast<std::size_t>(j) + 1] - out_r[static_cast<std::size_t>(j) + 1]) <=
                  sum_tolerance(static_cast<std::size_t>(rows) + 1, magnitude));
        }
      }
    }
  }
}

TEST_CASE("all_finite finds NaN and Inf at every position, including the scalar tail", "[kernels]") {
  for (std::size_t n : kLengths) {
    for (std::size_t offset : {0u, 1u}) {
      INFO("n = " << n << ", offset = " << offset);
      std::vector<float> x = random_vector(n + 1, 41u + static_cast<std::uint32_t>(n));
      // Large, tiny, denormal and signed-zero values are all finite.
      if (n > 3) {
        x[offset] = std::numeric_limits<float>::max();
        x[offset + 1] = -std::numeric_limits<float>::max();
        x[offset + 2] = std::numeric_limits<float>::denorm_min();
        x[offset + 3] = -0.0f;
      }
      CHECK(kernels::all_finite(x.data() + offset, n));
      CHECK(reference::all_finite(x.data() + offset, n));
      std::vector<std::size_t> positions = {0, 1, n / 2, n - 1};
      if (n > 16) positions.push_back(n - 17);  // inside the last full batch for any width
      for (std::size_t pos : positions) {
        if (pos >= n) continue;
        for (float bad : {kNaN, kInf, -kInf}) {
          std::vector<float> y = x;
          y[offset + pos] = bad;
          INFO("bad value " << bad << " at " << pos);
          CHECK_FALSE(kernels::all_finite(y.data() + offset, n));
          CHECK_FALSE(reference::all_finite(y.data() + offset, n));
        }
      }
      // A non-finite value just outside the range is not looked at.
      std::vector<float> z = x;
      z[offset == 0 ? n : 0] = kNaN;
      CHECK(kernels::all_finite(z.data() + offset, n));
    }
  }
}

TEST_CASE("simd_arch_name names an instruction set", "[kernels]") {
  const std::string name = kernels::simd_arch_name();
  CHECK_FALSE(name.empty());
  CHECK(name != "<none>");
}
