// Fully connected layer, forward and backward side by side (math in linear.hpp).
#include "latentlab/nn/linear.hpp"

#include <cmath>

#include "latentlab/kernels/kernels.hpp"
#include "latentlab/rng.hpp"

namespace latentlab {

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
  kernels::gemm(false, true, batch, out_, in_, 1.0f, x, in_, weight(), in_, 0.0f, y, out_);  // y = x Wᵀ
  bias_activation_rows(activation_, bias(), y, batch, out_);                                  // y = f(y + b)
}

void Linear::forward(const kernels::SparseRows& x, float* y) const {
  kernels::sparse_gemm_nt(x, out_, weight(), in_, y, out_);  // y = x Wᵀ over x's nonzeros only
  bias_activation_rows(activation_, bias(), y, x.rows, out_);
}

void Linear::backward(const kernels::SparseRows& x, const float* y, float* grad_y, ParamGrads mode) {
  float* g = grad_y;
  activation_backward_rows(activation_, y, g, x.rows, out_);  // g = dL/dy ⊙ f′, from y
  if (mode == ParamGrads::Skip) return;
  const bool add = mode == ParamGrads::Accumulate;
  kernels::sparse_gemm_tn(x, out_, g, out_, weight_grad(), in_, add);  // dL/dW (+)= gᵀ x
  kernels::column_sums(g, x.rows, out_, bias_grad(), add);             // dL/db (+)= Σ_rows g
}

void Linear::backward(const float* x, const float* y, float* grad_y, int batch, float* grad_x, ParamGrads mode) {
  float* g = grad_y;
  activation_backward_rows(activation_, y, g, batch, out_);  // g = dL/dy ⊙ f′, from y
  const auto param_grads = [&] { weight_gradient(x, g, batch, mode); };
  const auto input_grad = [&] {  // dL/dx = g W
    kernels::gemm(false, false, batch, in_, out_, 1.0f, g, out_, weight(), in_, 0.0f, grad_x, in_);
  };
  const bool want_params = mode != ParamGrads::Skip, want_input = grad_x != nullptr;
  if (want_params && want_input) {
    kernels::two_products(2.0 * batch * in_ * out_, param_grads, input_grad);  // independent: any order
  } else if (want_params) {
    param_grads();
  } else if (want_input) {
    input_grad();
  }
}

void Linear::weight_gradient(const float* x, const float* g, int batch, ParamGrads mode, bool with_bias) {
  if (mode == ParamGrads::Skip) return;
  const bool add = mode == ParamGrads::Accumulate;  // Write: β = 0, dW is not read
  kernels::gemm(true, false, out_, in_, batch, 1.0f, g, out_, x, in_, add ? 1.0f : 0.0f, weight_grad(), in_);  // gᵀ x
  if (with_bias) kernels::column_sums(g, batch, out_, bias_grad(), add);                                        // Σ_rows g
}

void Linear::tangent_forward(const float* t, int batch, float* v) const {
  kernels::gemm(false, true, batch, out_, in_, 1.0f, t, in_, weight(), in_, 0.0f, v, out_);  // v = t Wᵀ
}

}  // namespace latentlab
