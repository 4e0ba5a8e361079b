// A stack of Linear layers. Forward keeps each layer's output (what the
// activation backward needs); backward walks the stack in reverse, feeding each
// layer's input gradient to the layer below.
#include "latentlab/nn/mlp.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace latentlab {

Mlp::Mlp(ParameterSet& params, const std::string& prefix, int input, const std::vector<LayerSpec>& layers,
         ParameterSet* buffers)
    : input_(input) {
  if (layers.empty()) throw std::invalid_argument("Mlp " + prefix + ": no layers");
  layers_.reserve(layers.size());
  int in = input;
  for (const auto& spec : layers) {
    const std::string name = prefix + "." + spec.name;
    if (spec.batchnorm) {
      if (!buffers) throw std::invalid_argument("Mlp " + prefix + ": BatchNorm needs a buffer set");
      layers_.emplace_back(params, name, in, spec.out, ActivationSpec{Activation::Identity, 0.0f});
      norms_.push_back(std::make_unique<BatchNorm>(params, *buffers, name + ".bn", spec.out, spec.batchnorm_eps));
    } else {
      layers_.emplace_back(params, name, in, spec.out, spec.activation);
      norms_.push_back(nullptr);
    }
    activations_.push_back(spec.activation);
    in = spec.out;
  }
  outputs_.resize(layers_.size());
  grads_.resize(layers_.size());
  pre_norm_.resize(layers_.size());
}

void Mlp::init(Rng& rng) {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    layers_[i].init(rng);
    if (norms_[i]) norms_[i]->init();
  }
}

void Mlp::reserve(int batch) {
  if (batch <= capacity_) return;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    outputs_[i].reserve_discard(static_cast<std::size_t>(batch) * layers_[i].out());
    if (norms_[i]) pre_norm_[i].reserve_discard(static_cast<std::size_t>(batch) * layers_[i].out());
    if (i > 0) grads_[i].reserve_discard(static_cast<std::size_t>(batch) * layers_[i].in());
  }
  capacity_ = batch;
}

const float* Mlp::forward(const float* x, int batch) {
  reserve(batch);
  const float* in = x;
  sparse_used_ = false;
  if (sparse_input_ && !norms_[0]) {
    kernels::compress_rows(x, batch, input_, sparse_x_);
    sparse_used_ = sparse_x_.density() <= kSparseDensity;
  }
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (i == 0 && sparse_used_) {
      layers_[0].forward(sparse_x_, outputs_[0].data());
    } else if (norms_[i]) {
      // Linear → BatchNorm → activation.
      layers_[i].forward(in, batch, pre_norm_[i].data());
      norms_[i]->forward(pre_norm_[i].data(), batch, outputs_[i].data(), training_);
      activation_forward(activations_[i], outputs_[i].data(), static_cast<std::size_t>(batch) * layers_[i].out());
    } else {
      layers_[i].forward(in, batch, outputs_[i].data());
    }
    in = outputs_[i].data();
  }
  return in;
}

void Mlp::backward(const float* x, float* grad_out, int batch, float* grad_x, ParamGrads mode) {
  float* g = grad_out;  // dL/d(output of layer i)
  for (std::size_t i = layers_.size(); i-- > 0;) {
    const float* in = i == 0 ? x : outputs_[i - 1].data();
    float* grad_in = i == 0 ? grad_x : grads_[i].data();
    if (norms_[i]) {
      // Reverse order of the forward: activation, then the norm; the Linear itself is linear.
      activation_backward(activations_[i], outputs_[i].data(), g, static_cast<std::size_t>(batch) * layers_[i].out());
      norms_[i]->backward(g, batch, mode);
      layers_[i].backward(in, pre_norm_[i].data(), g, batch, grad_in, mode);
    } else if (i == 0 && sparse_used_ && !grad_in) {
      layers_[0].backward(sparse_x_, outputs_[0].data(), g, mode);
    } else {
      layers_[i].backward(in, outputs_[i].data(), g, batch, grad_in, mode);
    }
    g = grad_in;
  }
}

bool Mlp::piecewise_linear() const {
  if (output_size() != 1) return false;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Activation f = activations_[i].kind;
    if (norms_[i] || !(f == Activation::Identity || f == Activation::ReLU || f == Activation::LeakyReLU)) return false;
  }
  return true;
}

void Mlp::input_gradient(const float* x, int batch, float* g) {
  if (!piecewise_linear()) throw std::logic_error("Mlp::input_gradient: needs a scalar-output stack of Linear layers with piecewise-linear activations and no BatchNorm");
  forward(x, batch);
  ones_.reserve_discard(static_cast<std::size_t>(batch));
  ones_.fill(1.0f);
  backward(x, ones_.data(), batch, g, ParamGrads::Skip);
}

void Mlp::input_gradient_backward(const float* u, int batch) {
  // The adjoints backward left behind: layer i's a_i was written in place over dL/d(output of
  // layer i), which is ones_ for the last layer and grads_[i + 1] (the next layer's input gradient) below it.
  std::size_t widest = 0;
  for (const Linear& layer : layers_) widest = std::max<std::size_t>(widest, static_cast<std::size_t>(layer.out()));
  tangent_.reserve_discard(static_cast<std::size_t>(batch) * widest);
  tangent_next_.reserve_discard(static_cast<std::size_t>(batch) * widest);
  const float* t = u;  // t_{i−1}
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const float* a = i + 1 == layers_.size() ? ones_.data() : grads_[i + 1].data();
    layers_[i].weight_gradient(t, a, batch, ParamGrads::Accumulate, /*with_bias=*/false);  // dP/dW_i += a_iᵀ t_{i−1}
    if (i + 1 == layers_.size()) break;
    float* v = tangent_next_.data();
    layers_[i].tangent_forward(t, batch, v);  // t_{i−1} W_iᵀ
    activation_backward_rows(activations_[i], outputs_[i].data(), v, batch, layers_[i].out());  // ⊙ f_i′
    std::swap(tangent_, tangent_next_);
    t = tangent_.data();
  }
}

}  // namespace latentlab
