// Measures the single-core fp32 FMA peak reachable with xsimd::batch<float>.
//
// The loop runs CHAINS independent accumulator chains, acc[c] = acc[c] * m + a. Each chain
// waits for its previous FMA (latency ~4 cycles), so with two FMA pipes at least 8 chains
// are needed to keep both pipes busy; 24 leaves margin and still fits in 32 vector
// registers. Each FMA is 2 flops per lane, so flops = 2 · lanes · CHAINS · iterations.
// The result is the ceiling the GEMM micro-kernel is judged against.
#include <xsimd/xsimd.hpp>

#include <chrono>
#include <cstdio>

namespace {

using batch = xsimd::batch<float>;
constexpr int kChains = 24;

// Returns the sum of all lanes so the compiler cannot drop the work.
__attribute__((noinline)) float run_chains(long iterations, float m, float a) {
  batch acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = batch(1.0f + 0.001f * static_cast<float>(c));
  const batch vm(m);
  const batch va(a);
  for (long it = 0; it < iterations; ++it) {
#pragma GCC unroll 24
    for (int c = 0; c < kChains; ++c) acc[c] = xsimd::fma(acc[c], vm, va);
  }
  batch total(0.0f);
  for (int c = 0; c < kChains; ++c) total += acc[c];
  return xsimd::hadd(total);
}

}  // namespace

int main() {
  // m < 1 and a small keep every chain bounded (it converges to a / (1 - m)).
  const float m = 0.999f;
  const float a = 0.0001f;
  run_chains(1000000, m, a);  // warm-up: lets the core reach its sustained clock

  const long iterations = 20000000;
  double best = 0.0;
  float sink = 0.0f;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    sink += run_chains(iterations, m, a);
    const auto t1 = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(t1 - t0).count();
    const double flops = 2.0 * batch::size * kChains * static_cast<double>(iterations);
    const double gflops = flops / seconds * 1e-9;
    if (gflops > best) best = gflops;
  }
  std::printf("arch %s, %d floats per batch, %d independent FMA chains\n",
              xsimd::default_arch::name(), static_cast<int>(batch::size), kChains);
  std::printf("single-core fp32 FMA peak: %.1f GFLOP/s (checksum %g)\n", best,
              static_cast<double>(sink));
  return 0;
}
