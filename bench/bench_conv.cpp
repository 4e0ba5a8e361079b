// Convolution kernels on the DCGAN and conv-VAE layers at batch 64 (issue 13): GFLOP/s of the
// forward, input-gradient (dX) and weight-gradient (dW) products at 1 and 2 threads, and their
// share of the fp32 FMA peak measured in the same run (fma_peak.hpp) at the same thread count.
// Each figure is the best of several timed repetitions (a shared machine's other load only slows
// a run down). At 1 thread both the kernels and the peak are timed in the thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID), which leaves out the time the thread waits descheduled on a loaded
// machine; at 2 threads in wall-clock time (the pool's threads cannot be timed apart), so those
// figures are only meaningful on an idle host. The CPU family/model is printed beside the
// figures: compare only one host's.
//
// Usage: bench_conv [REPETITIONS]   (default 7)
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "fma_peak.hpp"
#include "latentlab/kernels/conv.hpp"
#include "latentlab/kernels/kernels.hpp"
#include "latentlab/kernels/parallel.hpp"

using namespace latentlab;
using kernels::ConvShape;

namespace {

std::string cpu_description() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, family = "?", model = "?", name = "?";
  while (std::getline(in, line)) {
    const auto value = [&] { return line.substr(line.find(':') + 2); };
    if (line.rfind("cpu family", 0) == 0 && family == "?") family = value();
    else if (line.rfind("model name", 0) == 0 && name == "?") name = value();
    else if (line.rfind("model", 0) == 0 && line.rfind("model name", 0) != 0 && model == "?") model = value();
  }
  return name + " (family " + family + ", model " + model + ")";
}

struct Layer {
  const char* name;
  bool transposed;  // ConvTranspose2d: forward = the conv's backward_input, dX = its forward
  ConvShape conv;   // the convolution (for a ConvTranspose2d: its output → its input)
};

// Seconds on the calling thread's CPU clock (cpu_time) or the wall clock.
double now(bool cpu_time) {
  if (!cpu_time) return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double best_seconds(int repetitions, bool cpu_time, const std::function<void()>& run) {
  run();  // warm-up: scratch buffers grow, pages fault in
  double best = 1e30;
  for (int r = 0; r < repetitions; ++r) {
    const double t0 = now(cpu_time);
    run();
    best = std::min(best, now(cpu_time) - t0);
  }
  return best;
}

// The FMA peak of `threads` threads: 1 thread on its CPU clock (as the kernels), more on the wall clock.
double fma_peak_gflops(int threads, float& sink) {
  if (threads > 1) return fma_peak::measure(threads, 0.999f, 0.0001f, sink);
  const long iterations = 20000000;
  const double seconds = best_seconds(5, true, [&] { sink += fma_peak::run_chains(iterations, 0.999f, 0.0001f); });
  return 2.0 * fma_peak::batch::size * fma_peak::kChains * static_cast<double>(iterations) / seconds * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  const int repetitions = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
  const int batch = 64;
  const Layer layers[] = {
      {"DCGAN G ConvT(128->64) 7->14", true, ConvShape::make(64, 14, 14, 128, 4, 2, 1)},
      {"DCGAN G ConvT(64->1) 14->28", true, ConvShape::make(1, 28, 28, 64, 4, 2, 1)},
      {"DCGAN D Conv(1->64) 28->14", false, ConvShape::make(1, 28, 28, 64, 4, 2, 1)},
      {"DCGAN D Conv(64->128) 14->7", false, ConvShape::make(64, 14, 14, 128, 4, 2, 1)},
      {"VAE enc Conv(1->32) 28->14", false, ConvShape::make(1, 28, 28, 32, 4, 2, 1)},
      {"VAE enc Conv(32->64) 14->7", false, ConvShape::make(32, 14, 14, 64, 4, 2, 1)},
      {"VAE dec ConvT(64->32) 7->14", true, ConvShape::make(32, 14, 14, 64, 4, 2, 1)},
      {"VAE dec ConvT(32->1) 14->28", true, ConvShape::make(1, 28, 28, 32, 4, 2, 1)},
  };

  std::printf("CPU: %s\nkernels: %s; batch %d, best of %d\n", cpu_description().c_str(), kernels::simd_arch_name(), batch,
              repetitions);
  float sink = 0.0f;
  fma_peak::run_chains(1000000, 0.999f, 0.0001f);
  for (int threads : {1, 2}) {
    const bool cpu_time = threads == 1;
    const double peak = fma_peak_gflops(threads, sink);
    parallel::set_thread_count(threads);
    std::printf("\n%d thread%s: fp32 FMA peak %.1f GFLOP/s (measured now; %s time)\n", threads, threads > 1 ? "s" : "", peak,
                cpu_time ? "thread CPU" : "wall-clock");
    std::printf("%-30s %8s | %8s %6s | %8s %6s | %8s %6s\n", "layer (batch 64)", "MFLOP", "fwd", "%peak", "dX", "%peak",
                "dW", "%peak");
    double total_flops = 0.0, total_seconds = 0.0;
    for (const Layer& l : layers) {
      const ConvShape& g = l.conv;
      std::vector<float> big(static_cast<std::size_t>(batch) * g.in_size(), 0.5f);     // the conv's input
      std::vector<float> small(static_cast<std::size_t>(batch) * g.out_size(), 0.25f);  // the conv's output
      std::vector<float> w(static_cast<std::size_t>(g.weight_size()), 0.01f), dw(w.size());
      kernels::ConvScratch scratch;
      const auto conv = [&] { kernels::conv2d_forward(g, big.data(), batch, w.data(), small.data(), scratch); };
      const auto conv_t = [&] { kernels::conv2d_backward_input(g, small.data(), batch, w.data(), big.data(), scratch); };
      const auto weight = [&] {
        kernels::conv2d_backward_weight(g, big.data(), small.data(), batch, dw.data(), false, scratch);
      };
      const double flops = g.flops(batch);
      const double t_fwd = best_seconds(repetitions, cpu_time, l.transposed ? std::function<void()>(conv_t) : conv);
      const double t_dx = best_seconds(repetitions, cpu_time, l.transposed ? std::function<void()>(conv) : conv_t);
      const double t_dw = best_seconds(repetitions, cpu_time, weight);
      const auto gflops = [&](double t) { return flops / t * 1e-9; };
      std::printf("%-30s %8.1f | %8.1f %5.1f%% | %8.1f %5.1f%% | %8.1f %5.1f%%\n", l.name, flops * 1e-6, gflops(t_fwd),
                  100 * gflops(t_fwd) / peak, gflops(t_dx), 100 * gflops(t_dx) / peak, gflops(t_dw),
                  100 * gflops(t_dw) / peak);
      total_flops += 3 * flops;
      total_seconds += t_fwd + t_dx + t_dw;
      sink += small[0] + big[0] + dw[0];
    }
    const double all = total_flops / total_seconds * 1e-9;
    std::printf("%-30s %8.1f | all three products of all layers: %.1f GFLOP/s, %.1f%% of peak\n", "total",
                total_flops * 1e-6, all, 100 * all / peak);
  }
  parallel::set_thread_count(1);
  std::printf("\n(checksum %g)\n", static_cast<double>(sink));
  return 0;
}
