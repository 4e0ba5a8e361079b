// Fully connected layer, forward and backward side by side (math in linear.hpp).
#include "latentlab/nn/linear.hpp"

#include <algorithm>
#include <cmath>

#include "latentlab/kernels/kernels.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "latentlab/rng.hpp"

namespace latentlab {

namespace {
// FLOPs below which kernels::gemm runs on the calling thread alone (gemm_packed.cpp and
// gemm_dot.cpp give each thread at least 4 MFLOP).
constexpr double kSmallGemmFlops = 8e6;

// Parts to split an elementwise pass over n outputs into: one per thread when the pass costs
// clearly more than a pool join (a few µs); a sigmoid/tanh forward costs ~10× a ReLU per element.
int elementwise_parts(bool transcendental, std::size_t n) {
  return parallel::parts_for(n, transcendental ? std::size_t{1} << 12 : std::size_t{1} << 15);
}

// g ⊙= f′ over n elements, split into ranges whose boundaries are multiples of 64 floats: each
// element then takes the same SIMD-or-scalar path as in one pass, so the result does not depend
// on the thread count.
void activation_backward_split(const ActivationSpec& f, const float* y, float* g, std::size_t n) {
  // Every derivative is cheap, written from y.
  parallel::for_ranges(n, elementwise_parts(false, n), 64, [&](std::size_t begin, std::size_t end) {
    activation_backward(f, y + begin, g + begin, end - begin);
  });
}
}  // namespace

Linear::Linear(ParameterSet& params, const std::string& name, int in, int out, ActivationSpec activation)
    : params_(&params), name_(name), in_(in), out_(out), activation_(activation) {
  weight_offset_ = params.declare(name + ".weight", {out, in});
  bias_offset_ = params.declare(name + ".bias", {out});
}

void Linear::init(Rng& rng) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(in_));
  rng.fill_uniform(weight(), static_cast<std::size_t>(out_) * in_, -bound, bound);
  rng.fill_uniform(bias(), static_cast<std::size_t>(out_), -bound, bound);
}

void Linear::forward(const float* x, int batch, float* y) const {
  // y = x Wᵀ (batch×in · in×out), then the bias and the activation.
  kernels::gemm(false, true, batch, out_, in_, 1.0f, x, in_, weight(), in_, 0.0f, y, out_);
  bias_and_activation(batch, y);
}

void Linear::forward(const kernels::SparseRows& x, float* y) const {
  // The same y = x Wᵀ over x's nonzeros only.
  kernels::sparse_gemm_nt(x, out_, weight(), in_, y, out_);
  bias_and_activation(x.rows, y);
}

void Linear::bias_and_activation(int batch, float* y) const {
  // One pass per row while it is still in cache; rows are independent, so large batches are
  // split by rows across the kernels' threads (same per-row work: identical results).
  const bool transcendental = activation_.kind == Activation::Sigmoid || activation_.kind == Activation::Tanh;
  const int parts = std::min(batch, elementwise_parts(transcendental, static_cast<std::size_t>(batch) * out_));
  parallel::for_ranges(static_cast<std::size_t>(batch), parts, 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t r = begin; r < end; ++r) {
      float* row = y + r * out_;
      kernels::add_row_bias(row, bias(), 1, out_);
      activation_forward(activation_, row, static_cast<std::size_t>(out_));
    }
  });
}

void Linear::backward(const kernels::SparseRows& x, const float* y, float* grad_y, ParamGrads mode) {
  const int batch = x.rows;
  activation_backward_split(activation_, y, grad_y, static_cast<std::size_t>(batch) * out_);
  if (mode == ParamGrads::Skip) return;
  const bool add = mode == ParamGrads::Accumulate;
  kernels::sparse_gemm_tn(x, out_, grad_y, out_, weight_grad(), in_, add);  // dL/dW (+)= gᵀ x
  kernels::column_sums(grad_y, batch, out_, bias_grad(), add);              // dL/db (+)= Σ g
}

void Linear::backward(const float* x, const float* y, float* grad_y, int batch, float* grad_x, ParamGrads mode) {
  // g = dL/dy ⊙ f'(pre-activation), computed from y.
  activation_backward_split(activation_, y, grad_y, static_cast<std::size_t>(batch) * out_);
  const auto parameter_grads = [&] {
    const bool add = mode == ParamGrads::Accumulate;
    // dL/dW (out×in) (+)= gᵀ (out×batch) · x (batch×in); β = 0 writes without reading dW
    kernels::gemm(true, false, out_, in_, batch, 1.0f, grad_y, out_, x, in_, add ? 1.0f : 0.0f, weight_grad(), in_);
    // dL/db (+)= Σ over the batch of g
    kernels::column_sums(grad_y, batch, out_, bias_grad(), add);
  };
  const auto input_grad = [&] {
    // dL/dx (batch×in) = g (batch×out) · W (out×in)
    kernels::gemm(false, false, batch, in_, out_, 1.0f, grad_y, out_, weight(), in_, 0.0f, grad_x, in_);
  };
  const bool want_params = mode != ParamGrads::Skip, want_input = grad_x != nullptr;
  // The two products read g and write disjoint outputs. Below the GEMM's own threading
  // threshold (8 MFLOP each: the VAE's 20-wide heads and first decoder layer, the GAN's
  // 100→256) each runs on one thread anyway, so they run side by side instead (the same
  // arithmetic wherever each runs: identical results); not when they are too small to
  // outweigh a pool join (D's 256→1).
  const double flops = 2.0 * batch * in_ * out_;
  if (want_params && want_input && flops >= 1e6 && flops < kSmallGemmFlops && parallel::thread_count() > 1) {
    parallel::run(2, [&](int part) { part == 0 ? parameter_grads() : input_grad(); });
    return;
  }
  if (want_params) parameter_grads();
  if (want_input) input_grad();
}

}  // namespace latentlab
