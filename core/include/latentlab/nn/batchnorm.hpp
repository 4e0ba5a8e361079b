// Batch normalisation over the batch dimension (Ioffe & Szegedy 2015), as torch.nn.BatchNorm1d:
//   training  μ_j = mean_i x_ij,  σ²_j = mean_i (x_ij − μ_j)²  (biased),  x̂ = (x − μ)/√(σ² + ε),
//             y = γ x̂ + β;  running_mean ← (1−m)·running_mean + m·μ,
//             running_var ← (1−m)·running_var + m·σ²·B/(B−1)  (unbiased, as PyTorch)
//   eval      y = γ (x − running_mean)/√(running_var + ε) + β
//   backward  dγ = Σ_i g x̂,  dβ = Σ_i g,
//             dx = γ/(B√(σ²+ε)) · (B·g − Σ_i g − x̂ Σ_i g x̂)     (per feature j; training mode)
//
// Synchronised BatchNorm (data-parallel training, docs/distributed.md): when a batch of B rows is
// split over several processes, each holding B_r of them, the sums above (Σx, Σ(x−μ)², Σg, Σg·x̂
// and B itself) are taken over the whole batch through a CrossBatchSum that the program sets;
// μ, σ², the running statistics and dx are then those of the whole batch. dγ and dβ stay the
// sums over this process's rows: the trainer sums every parameter gradient across processes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "latentlab/nn/parameters.hpp"

namespace latentlab {

// Sums values element-wise over every process that holds a part of the batch, leaving the same
// bits on each (a fixed summation order). Core knows no MPI: the native trainer implements it.
class CrossBatchSum {
 public:
  virtual ~CrossBatchSum() = default;
  virtual void sum(double* values, std::size_t n) const = 0;
};

// The group every training-mode BatchNorm sums its statistics over; nullptr (the default): this
// process holds the whole batch. Every process of the group must run the same training-mode
// forward and backward passes in the same order, since each of them is a collective call.
void set_cross_batch_sum(const CrossBatchSum* group);
const CrossBatchSum* cross_batch_sum();

class BatchNorm {
 public:
  // Declares "<name>.weight" (γ, init 1) and "<name>.bias" (β, init 0) in params and
  // "<name>.running_mean" (0), "<name>.running_var" (1) in buffers (saved, not trained).
  BatchNorm(ParameterSet& params, ParameterSet& buffers, const std::string& name, int features, float eps,
            float momentum = 0.1f);

  int features() const { return features_; }
  float eps() const { return eps_; }
  const float* gamma() const { return params_->values() + gamma_offset_; }
  const float* beta() const { return params_->values() + beta_offset_; }
  const float* running_mean() const { return buffers_->values() + mean_offset_; }
  const float* running_var() const { return buffers_->values() + var_offset_; }
  void init();

  // y may not alias x. Training mode normalises with the batch statistics (batch ≥ 2) and
  // updates the running statistics; eval mode uses the running statistics.
  void forward(const float* x, int batch, float* y, bool training);
  // grad (batch×features) is dL/dy on entry and dL/dx on return (training-mode forward only);
  // dγ, dβ are added to (ParamGrads::Accumulate), written (Write) or skipped.
  void backward(float* grad, int batch, ParamGrads mode = ParamGrads::Accumulate);

 private:
  ParameterSet* params_;
  ParameterSet* buffers_;
  int features_;
  float eps_, momentum_;
  std::size_t gamma_offset_, beta_offset_, mean_offset_, var_offset_;
  int capacity_ = 0;
  AlignedBuffer x_hat_;    // batch×features of the last training forward
  AlignedBuffer inv_std_;  // features
  // Per-feature double sums: mean and variance in forward, Σg and Σg·x̂ in backward.
  std::vector<double> sum_a_, sum_b_;
  double total_rows_ = 0;  // B of the last training forward: the rows of every process
  std::vector<double> shared_;  // what a synchronised step sums across processes
};

}  // namespace latentlab
