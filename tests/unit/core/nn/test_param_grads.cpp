// Writing parameter gradients instead of zeroing then accumulating (ParamGrads::Write, used by
// the VAE and GAN steps): the written gradients equal zero_grads() + Accumulate bit for bit,
// whatever the buffer held before (NaN included: it is never read), for dense, sparse-input
// and BatchNorm layers; the sparse weight gradient's write mode against its reference; and the
// trainer's divergence scan (ParameterSet::first_gradient_beyond) against a scalar loop at
// 1, 2 and 3 threads.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "latentlab/nn/mlp.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/kernels/sparse.hpp"
#include "support/values.hpp"

using namespace latentlab;

namespace {

using test::random_values;
using test::ScopedThreads;


bool same_bits(const float* a, const float* b, std::size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

// Gradients of one forward + backward of `mlp` on x, either zeroed then accumulated or written
// into a buffer that first holds NaN everywhere but the padding (which no layer touches).
std::vector<float> gradients(bool write, bool sparse, bool batchnorm) {
  const int batch = 33, in = 61;
  ParameterSet params, buffers;
  std::vector<LayerSpec> layers = {{"fc1", 50, {Activation::ReLU, 0.0f}},
                                   {"fc2", 40, {Activation::LeakyReLU, 0.2f}},
                                   {"out", 3, {Activation::Identity, 0.0f}}};
  layers[1].batchnorm = batchnorm;
  Mlp mlp(params, "m", in, layers, &buffers);
  params.allocate();
  buffers.allocate();
  Rng rng(5, 0);
  mlp.init(rng);
  mlp.set_sparse_input(sparse);
  const std::vector<float> x = random_values(static_cast<std::size_t>(batch) * in, 0.8, 9);
  mlp.forward(x.data(), batch);
  std::vector<float> upstream = random_values(static_cast<std::size_t>(batch) * 3, 0.0, 10);
  if (write) {
    for (const auto& t : params.tensors())
      for (std::size_t i = 0; i < t.size; ++i) params.grads()[t.offset + i] = std::nanf("");
    mlp.backward(x.data(), upstream.data(), batch, nullptr, ParamGrads::Write);
  } else {
    for (std::size_t i = 0; i < params.size(); ++i) params.grads()[i] = 1.0f;
    params.zero_grads();
    mlp.backward(x.data(), upstream.data(), batch, nullptr, ParamGrads::Accumulate);
  }
  return std::vector<float>(params.grads(), params.grads() + params.size());
}

}  // namespace

TEST_CASE("ParamGrads::Write gives zero_grads + Accumulate bit for bit without reading the buffer", "[param_grads]") {
  for (bool sparse : {false, true})
    for (bool batchnorm : {false, true}) {
      INFO("sparse " << sparse << ", batchnorm " << batchnorm);
      const std::vector<float> accumulated = gradients(false, sparse, batchnorm);
      const std::vector<float> written = gradients(true, sparse, batchnorm);
      CHECK(same_bits(written.data(), accumulated.data(), written.size()));
    }
}

TEST_CASE("sparse weight gradient in write mode equals the reference on a zeroed D", "[param_grads][sparse]") {
  const int M = 29, N = 70, K = 45;
  for (double zeros : {1.0, 0.8, 0.0}) {
    const std::vector<float> x = random_values(static_cast<std::size_t>(M) * K, zeros, 3);
    const std::vector<float> g = random_values(static_cast<std::size_t>(M) * N, 0.0, 4);
    kernels::SparseRows xs;
    kernels::compress_rows(x.data(), M, K, xs);
    std::vector<float> want(static_cast<std::size_t>(N) * K, 0.0f);
    kernels::reference::sparse_gemm_tn_accumulate(xs, N, g.data(), N, want.data(), K);
    for (int threads : {1, 2}) {
      ScopedThreads pool(threads);
      std::vector<float> got(want.size(), std::nanf(""));
      kernels::sparse_gemm_tn(xs, N, g.data(), N, got.data(), K, /*accumulate=*/false);
      double worst = 0.0;
      for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(double(got[i]) - want[i]));
      INFO("zeros " << zeros << ", threads " << threads);
      CHECK(worst <= (M + 4) * 5.9604644775390625e-08 * M);  // summation-order bound, see test_sparse.cpp
    }
  }
}

TEST_CASE("first_gradient_beyond finds the first NaN, inf or too-large gradient at any thread count", "[param_grads][parallel]") {
  ParameterSet params;
  params.declare("a", {700, 1000});  // large enough to be split across threads
  params.declare("b", {13});
  params.allocate();
  const float limit = std::sqrt(std::numeric_limits<float>::max());
  const auto scalar = [&] {
    for (std::size_t i = 0; i < params.size(); ++i)
      if (!(std::fabs(params.grads()[i]) <= limit)) return i;
    return params.size();
  };
  const std::vector<float> base = random_values(params.size(), 0.1, 12);
  const float bad[] = {std::nanf(""), std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                       limit * 2.0f, -limit * 1.5f};
  const std::vector<std::vector<std::size_t>> plantings = {
      {}, {0}, {params.size() - 1}, {333333}, {699999, 12}, {500001, 400000, 650000}, {17, 18, 19}};
  for (int threads : {1, 2, 3}) {
    ScopedThreads pool(threads);
    int which = 0;
    for (const auto& at : plantings) {
      std::memcpy(params.grads(), base.data(), base.size() * sizeof(float));
      for (std::size_t i : at) params.grads()[i] = bad[which++ % 5];
      INFO("threads " << threads << ", first planted " << (at.empty() ? 0 : at[0]));
      CHECK(params.first_gradient_beyond(limit) == scalar());
    }
    std::memcpy(params.grads(), base.data(), base.size() * sizeof(float));
    params.grads()[5] = limit;  // exactly at the limit is fine
    CHECK(params.first_gradient_beyond(limit) == params.size());
  }
}
