// A stack of Linear layers (each with its activation) plus the activation
// buffers of one batch size. Buffers grow when a larger batch arrives and are
// reused afterwards: no allocation in the training loop.
#pragma once

#include <string>
#include <vector>

#include <memory>

#include "latentlab/nn/batchnorm.hpp"
#include "latentlab/nn/linear.hpp"

namespace latentlab {

struct LayerSpec {
  std::string name;  // e.g. "fc1": the parameters become "<prefix>.<name>.weight"
  int out;
  ActivationSpec activation;
  bool batchnorm = false;  // Linear → BatchNorm → activation (the Linear then has no activation of its own)
  float batchnorm_eps = 1e-5f;
};

class Mlp {
 public:
  // `buffers` receives the running statistics of BatchNorm layers (required when any layer has one).
  Mlp(ParameterSet& params, const std::string& prefix, int input, const std::vector<LayerSpec>& layers,
      ParameterSet* buffers = nullptr);
  Mlp(const Mlp&) = delete;
  Mlp& operator=(const Mlp&) = delete;

  int input_size() const { return input_; }
  int output_size() const { return layers_.back().out(); }
  std::vector<Linear>& layers() { return layers_; }
  const std::vector<Linear>& layers() const { return layers_; }
  // Layer i's BatchNorm (null when it has none) and the activation applied after it (for a
  // layer without a norm, the Linear's own): what PackedLinear needs to freeze the layer.
  const BatchNorm* norm(std::size_t i) const { return norms_[i].get(); }
  const ActivationSpec& activation(std::size_t i) const { return activations_[i]; }

  void init(Rng& rng);
  // Training mode (default) normalises BatchNorm layers with batch statistics; eval mode with running ones.
  void set_training(bool training) { training_ = training; }
  bool training() const { return training_; }
  // Declares the input mostly zero (raw pixels: ~81% of MNIST's are 0). The first layer then
  // multiplies only the nonzero inputs, forward and weight gradient (sparse.hpp), whenever at
  // most kSparseDensity of a batch's inputs are nonzero; denser batches take the dense GEMM.
  void set_sparse_input(bool sparse) { sparse_input_ = sparse; }
  static constexpr double kSparseDensity = 0.35;
  // Runs the stack on x (batch×input); returns the output (batch×output), owned by the Mlp
  // and valid until the next forward.
  const float* forward(const float* x, int batch);
  // The output of the last forward.
  const float* output() const { return outputs_.back().data(); }
  // grad_out (batch×output) is dL/d(output) and is consumed (overwritten). x must be the input
  // of the last forward. The parameter gradients are added to (ParamGrads::Accumulate), written
  // (Write: no zeroing needed first) or skipped; dL/dx is written into grad_x (batch×input)
  // when it is not null.
  void backward(const float* x, float* grad_out, int batch, float* grad_x, ParamGrads mode = ParamGrads::Accumulate);

  // Second order, for a penalty P(g) on a scalar-output network's input gradient g = ∂D/∂x
  // (WGAN-GP, nn/gradient_penalty.hpp). With piecewise-linear activations (Identity, ReLU,
  // LeakyReLU) and no BatchNorm, g = W₁ᵀ a₁ where a_l = f_l′ ⊙ (W_{l+1}ᵀ a_{l+1}) are the
  // backward pass's pre-activation adjoints for ∂D/∂out = 1, and the masks f_l′ are piecewise
  // constant in the parameters. Hence, with u = ∂P/∂g:
  //   t₀ = u,   dP/dW_l = a_lᵀ t_{l−1},   t_l = f_l′ ⊙ (t_{l−1} W_lᵀ),   dP/db_l = 0 (a.e.)
  // — one forward-mode pass along u (the "double backward" of torch.autograd.grad(create_graph)).
  // True when the stack qualifies (the penalty functions refuse other stacks).
  bool piecewise_linear() const;
  // forward(x), then the backward for ∂D/∂out = 1 per row with parameter gradients skipped:
  // writes g (batch×input) and keeps the adjoints a_l for input_gradient_backward.
  void input_gradient(const float* x, int batch, float* g);
  // Adds dP/dW_l to every layer's weight gradient for u = ∂P/∂g (batch×input), after
  // input_gradient on the same batch. Biases get nothing (their dP/db is 0).
  void input_gradient_backward(const float* u, int batch);

 private:
  void reserve(int batch);
  std::vector<Linear> layers_;
  std::vector<std::unique_ptr<BatchNorm>> norms_;  // null where a layer has none
  std::vector<ActivationSpec> activations_;         // applied after the norm (norm layers only)
  std::vector<AlignedBuffer> pre_norm_;             // Linear output before the norm (norm layers only)
  bool training_ = true;
  bool sparse_input_ = false;
  bool sparse_used_ = false;          // the last forward's first layer used sparse_x_
  kernels::SparseRows sparse_x_;      // that forward's input in compressed rows
  int input_;
  int capacity_ = 0;
  std::vector<AlignedBuffer> outputs_;  // post-activation output of each layer
  std::vector<AlignedBuffer> grads_;    // scratch for dL/d(input of layer i), i ≥ 1
  AlignedBuffer ones_;                  // ∂D/∂out = 1, then a_last (input_gradient)
  AlignedBuffer tangent_, tangent_next_;  // t_{l−1}, t_l of input_gradient_backward
};

}  // namespace latentlab
