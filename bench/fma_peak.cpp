// Measures the single-core fp32 FMA peak reachable with xsimd::batch<float> (fma_peak.hpp):
// the ceiling the GEMM micro-kernel is judged against.
#include "fma_peak.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

using fma_peak::batch;
using fma_peak::kChains;
using fma_peak::measure;
using fma_peak::run_chains;

// Usage: fma_peak [THREADS]   (default 1)
int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1;
  // m < 1 and a small keep every chain bounded (it converges to a / (1 - m)).
  const float m = 0.999f;
  const float a = 0.0001f;
  run_chains(1000000, m, a);  // warm-up: lets the core reach its sustained clock
  float sink = 0.0f;
  const double best = measure(threads, m, a, sink);
  std::printf("arch %s, %d floats per batch, %d independent FMA chains\n",
              xsimd::default_arch::name(), static_cast<int>(batch::size), kChains);
  if (threads == 1) {
    std::printf("single-core fp32 FMA peak: %.1f GFLOP/s (checksum %g)\n", best, static_cast<double>(sink));
  } else {
    std::printf("%d-thread fp32 FMA peak: %.1f GFLOP/s (checksum %g)\n", threads, best, static_cast<double>(sink));
  }
  return 0;
}
