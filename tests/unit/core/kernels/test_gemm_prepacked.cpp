// gemm_packed_prepacked_a (core/src/kernels/detail/gemm_internal.hpp: op(A) packed once by
// pack_a_whole, then reused, as the conv kernels do with their weights) against kernels::gemm on
// the same operands: it claims the same FMAs in the same order, so the results must be the same
// bits, for 1, 2 and 3 threads, with op(A) transposed or not, M not a multiple of the register
// tile's rows, K over several K blocks, and B transposed or not. A wrong sliver offset reads
// other rows' or other K blocks' values and changes C by the order of the values.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "../core/src/kernels/detail/gemm_internal.hpp"
#include "latentlab/kernels/kernels.hpp"
#include "support/values.hpp"

using namespace latentlab;
using latentlab::test::Lcg;
using latentlab::test::ScopedThreads;

namespace {

std::vector<float> values(std::size_t n, std::uint32_t seed) {
  Lcg rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.next();
  return v;
}

}  // namespace

TEST_CASE("gemm with op(A) packed once gives the bits of kernels::gemm", "[kernels][gemm][parallel]") {
  const struct {
    bool trans_a, trans_b;
    int M, N, K;
  } cases[] = {
      {false, false, 128, 490, 1024},  // a conv forward chunk: W (Co × Ci·k²) · columns, 3 K blocks
      {true, false, 1024, 490, 128},   // a conv input-gradient chunk: Wᵀ · dY, rows split across threads
      {false, false, 37, 101, 805},    // M, N, K multiples of nothing
      {true, true, 203, 61, 419},
  };
  for (const auto& c : cases) {
    INFO("trans_a " << c.trans_a << " trans_b " << c.trans_b << " M " << c.M << " N " << c.N << " K " << c.K);
    REQUIRE(kernels::detail::gemm_takes_packed_path(c.trans_a, c.trans_b, c.M, c.N, c.K));
    const int lda = c.trans_a ? c.M : c.K, ldb = c.trans_b ? c.K : c.N;
    const std::vector<float> A = values(static_cast<std::size_t>(c.M) * c.K, 1);
    const std::vector<float> B = values(static_cast<std::size_t>(c.K) * c.N, 2);
    std::vector<float> packed(kernels::detail::packed_a_floats(c.M, c.K));
    kernels::detail::pack_a_whole(c.trans_a, c.M, c.K, A.data(), lda, packed.data());
    for (int threads : {1, 2, 3}) {
      ScopedThreads pool(threads);
      INFO(threads << " threads");
      for (float beta : {0.0f, 0.5f}) {
        std::vector<float> expected = values(static_cast<std::size_t>(c.M) * c.N, 3), got = expected;
        kernels::gemm(c.trans_a, c.trans_b, c.M, c.N, c.K, 1.0f, A.data(), lda, B.data(), ldb, beta, expected.data(),
                      c.N);
        kernels::detail::gemm_packed_prepacked_a(c.M, c.N, c.K, 1.0f, packed.data(), c.trans_b, B.data(), ldb, beta,
                                                 got.data(), c.N);
        CHECK(got == expected);
      }
    }
  }
}
