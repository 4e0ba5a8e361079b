// The kernels' thread pool (latentlab/kernels/parallel.hpp) and the kernels that use it: the split
// covers every item once, every part runs once, and threaded GEMM, Adam and whole training
// steps give bit-identical results for 1, 2 and 3 threads (the documented property: each
// output element is computed by the same float operations whatever the split).
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "support/cli.hpp"
#include "latentlab/nn/adam.hpp"
#include "latentlab/kernels/kernels.hpp"
#include "latentlab/nn/losses.hpp"
#include "latentlab/nn/parameters.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "train/gan_trainer.hpp"
#include "train/vae_trainer.hpp"
#include "support/values.hpp"

using namespace latentlab;

namespace {

using test::ScopedThreads;

// n values in [-1, 1) (the bit-identity checks need only some floats; the GEMM bound needs |v| ≤ 1).
std::vector<float> filled(std::size_t n, std::uint32_t seed) { return test::random_values(n, 0.0, seed); }

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("parallel::split covers the items once in granule-aligned ranges", "[parallel]") {
  for (int total : {0, 1, 7, 48, 100, 784, 1000}) {
    for (int parts = 1; parts <= 5; ++parts) {
      for (int granule : {1, 8, 48}) {
        int next = 0;
        for (int p = 0; p < parts; ++p) {
          const parallel::Range r = parallel::split(total, parts, p, granule);
          INFO("total " << total << " parts " << parts << " granule " << granule << " part " << p);
          REQUIRE(r.begin == next);  // contiguous, in order, no overlap
          REQUIRE(r.end >= r.begin);
          if (r.end < total) REQUIRE(r.end % granule == 0);
          next = r.end;
        }
        REQUIRE(next == total);
      }
    }
  }
}

TEST_CASE("parallel::run runs every part exactly once for any thread count", "[parallel]") {
  for (int threads : {1, 2, 3}) {
    ScopedThreads pool(threads);
    CHECK(parallel::thread_count() == threads);
    for (int parts = 0; parts <= 7; ++parts) {
      std::vector<std::atomic<int>> runs(static_cast<std::size_t>(parts));
      for (auto& r : runs) r = 0;
      parallel::run(parts, [&](int p) { runs[static_cast<std::size_t>(p)]++; });
      for (int p = 0; p < parts; ++p) CHECK(runs[static_cast<std::size_t>(p)] == 1);
    }
    // A nested call runs inline on the calling thread instead of deadlocking.
    std::atomic<int> inner{0};
    parallel::run(2, [&](int) { parallel::run(3, [&](int) { inner++; }); });
    CHECK(inner == 6);
    // Many short tasks back to back: a worker is often late (still waking, or descheduled) and
    // the caller runs its parts instead; still every part of every task runs exactly once.
    std::vector<std::atomic<int>> runs(5);
    for (auto& r : runs) r = 0;
    constexpr int kTasks = 20000;
    for (int t = 0; t < kTasks; ++t) parallel::run(5, [&](int p) { runs[static_cast<std::size_t>(p)]++; });
    for (int p = 0; p < 5; ++p) CHECK(runs[static_cast<std::size_t>(p)] == kTasks);
  }
  CHECK(parallel::thread_count() == 1);
}

TEST_CASE("threaded gemm equals the single-threaded result bit for bit and the reference", "[parallel]") {
  struct Shape {
    bool ta, tb;
    int M, N, K;
    float beta;
  };
  // Training shapes (split by columns and by rows) and odd ones with partial slivers.
  const Shape shapes[] = {{false, true, 128, 400, 784, 0.0f}, {true, false, 400, 784, 128, 1.0f},
                          {false, false, 128, 784, 400, 0.0f}, {false, true, 128, 20, 400, 0.0f},
                          {true, true, 301, 97, 389, 0.5f},     {false, false, 77, 1001, 130, 1.0f}};
  for (const Shape& s : shapes) {
    const std::vector<float> A = filled(static_cast<std::size_t>(s.M) * s.K, 1);
    const std::vector<float> B = filled(static_cast<std::size_t>(s.K) * s.N, 2);
    const std::vector<float> C0 = filled(static_cast<std::size_t>(s.M) * s.N, 3);
    const int lda = s.ta ? s.M : s.K, ldb = s.tb ? s.K : s.N;
    std::vector<float> expected = C0;
    kernels::reference::gemm(s.ta, s.tb, s.M, s.N, s.K, 1.0f, A.data(), lda, B.data(), ldb, s.beta, expected.data(), s.N);
    std::vector<float> single;
    for (int threads : {1, 2, 3}) {
      ScopedThreads pool(threads);
      std::vector<float> C = C0;
      kernels::gemm(s.ta, s.tb, s.M, s.N, s.K, 1.0f, A.data(), lda, B.data(), ldb, s.beta, C.data(), s.N);
      INFO("M=" << s.M << " N=" << s.N << " K=" << s.K << " threads " << threads);
      if (threads == 1) {
        single = C;
        // Against the double-precision reference: |a|,|b| ≤ 1, so the error is ≤ K·u·K + …
        double worst = 0.0;
        for (std::size_t i = 0; i < C.size(); ++i) worst = std::fmax(worst, std::fabs(C[i] - expected[i]));
        CHECK(worst <= 1e-6 * s.K + 1e-5);
      } else {
        CHECK(same_bits(C, single));
      }
    }
  }
}

TEST_CASE("threaded Adam steps equal the single-threaded ones bit for bit", "[parallel]") {
  const std::size_t n = 200003;  // several 32k-element parts and a scalar tail
  std::vector<float> single;
  for (int threads : {1, 2, 3}) {
    ScopedThreads pool(threads);
    std::vector<float> params = filled(n, 4);
    AdamConfig config;
    config.weight_decay = 0.01f;
    Adam adam(n, config);
    for (int step = 0; step < 3; ++step) {
      const std::vector<float> grads = filled(n, 10 + static_cast<std::uint32_t>(step));
      adam.step(params.data(), grads.data());
    }
    if (threads == 1) single = params;
    else CHECK(same_bits(params, single));
  }
}

TEST_CASE("threaded bce_with_logits and zero_grads equal the single-threaded ones bit for bit", "[parallel]") {
  const std::size_t n = 128 * 784 + 5;  // a VAE batch of pixels and a scalar tail
  const std::vector<float> logits = filled(n, 21);
  std::vector<float> targets = filled(n, 22);
  for (auto& t : targets) t = t < 0.0f ? 0.0f : t;
  double single_loss = 0.0;
  std::vector<float> single_grad;
  for (int threads : {1, 2, 3}) {
    ScopedThreads pool(threads);
    std::vector<float> grad(n);
    const double loss = bce_with_logits(logits.data(), targets.data(), n, Reduction::Sum, grad.data());
    ParameterSet params;
    params.declare("w", {600, 1000});
    params.allocate();
    for (std::size_t i = 0; i < params.size(); ++i) params.grads()[i] = 1.0f;
    params.zero_grads();
    std::size_t nonzero = 0;
    for (std::size_t i = 0; i < params.size(); ++i) nonzero += params.grads()[i] != 0.0f;
    CHECK(nonzero == 0);
    if (threads == 1) {
      single_loss = loss;
      single_grad = grad;
    } else {
      CHECK(loss == single_loss);
      CHECK(same_bits(grad, single_grad));
    }
  }
}

TEST_CASE("VAE and GAN training steps with 2 threads reproduce 1 thread exactly", "[parallel]") {
  using namespace latentlab::native;
  const DatasetPair data = latentlab::test::mnist_subset(1280, 10);
  TrainingOptions options;
  options.seed = 3;
  std::vector<float> vae_single, gan_single;
  for (int threads : {1, 2}) {
    ScopedThreads pool(threads);
    options.batch = 128;
    VaeTrainer vae(VaeConfig{}, options);
    vae.train_epoch(data.train, 1280, nullptr);  // 10 steps at the default 784-400-20 shape
    const ParameterSet& vp = vae.vae().parameters();
    std::vector<float> v(vp.values(), vp.values() + vp.size());

    options.batch = 64;
    GanConfig gan_config;
    gan_config.generator_leaky = gan_config.generator_batchnorm = true;
    GanTrainer gan(gan_config, options);
    gan.train_epoch(data.train, 640, nullptr);  // 10 iterations of the default GAN
    const ParameterSet& gp = gan.gan().generator_parameters();
    const ParameterSet& dp = gan.gan().discriminator_parameters();
    std::vector<float> g(gp.values(), gp.values() + gp.size());
    g.insert(g.end(), dp.values(), dp.values() + dp.size());

    if (threads == 1) {
      vae_single = v;
      gan_single = g;
    } else {
      CHECK(same_bits(v, vae_single));
      CHECK(same_bits(g, gan_single));
    }
  }
}
