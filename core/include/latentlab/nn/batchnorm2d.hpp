// Batch normalisation per channel over (batch, H, W), as torch.nn.BatchNorm2d(C, eps, momentum)
// (Ioffe & Szegedy 2015). Input NCHW rows (image_shape.hpp); with P = H·W pixels per channel
// plane and N = batch·P values per channel c:
//   training  μ_c = mean_{n,p} x,  σ²_c = mean_{n,p} (x − μ_c)²  (biased),  x̂ = (x − μ_c)/√(σ²_c + ε),
//             y = γ_c x̂ + β_c;  running_mean ← (1−m)·running_mean + m·μ,
//             running_var ← (1−m)·running_var + m·σ²·N/(N−1)  (unbiased, as PyTorch)
//   eval      y = γ (x − running_mean)/√(running_var + ε) + β
//   backward  dγ_c = Σ_{n,p} g x̂,  dβ_c = Σ_{n,p} g,
//             dx = γ/(N√(σ²+ε)) · (N·g − Σ_{n,p} g − x̂ Σ_{n,p} g x̂)     (per channel; training mode)
// BatchNorm (batchnorm.hpp, torch.nn.BatchNorm1d over features) is the case P = 1.
//
// Synchronised BatchNorm (data-parallel training, docs/distributed.md): when a batch is split over
// several processes, each holding some of its images, the sums above (Σx, Σ(x−μ)², Σg, Σg·x̂ and N
// itself) are taken over the whole batch through a CrossBatchSum that the program sets; μ, σ², the
// running statistics and dx are then those of the whole batch. dγ and dβ stay the sums over this
// process's images: the trainer sums every parameter gradient across processes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "latentlab/nn/image_shape.hpp"
#include "latentlab/nn/parameters.hpp"

namespace latentlab {

// Sums values element-wise over every process that holds a part of the batch, leaving the same
// bits on each (a fixed summation order). Core knows no MPI: the native trainer implements it.
class CrossBatchSum {
 public:
  virtual ~CrossBatchSum() = default;
  virtual void sum(double* values, std::size_t n) const = 0;
};

// The group every training-mode BatchNorm / BatchNorm2d sums its statistics over; nullptr (the
// default): this process holds the whole batch. Every process of the group must run the same
// training-mode forward and backward passes in the same order, since each of them is a collective call.
void set_cross_batch_sum(const CrossBatchSum* group);
const CrossBatchSum* cross_batch_sum();

class BatchNorm2d {
 public:
  // Declares "<name>.weight" (γ, init 1) and "<name>.bias" (β, init 0) in params and
  // "<name>.running_mean" (0), "<name>.running_var" (1) in buffers (saved, not trained), each
  // [channels]. Throws std::invalid_argument unless channels and plane are positive.
  BatchNorm2d(ParameterSet& params, ParameterSet& buffers, const std::string& name, int channels, int plane, float eps,
              float momentum = 0.1f);
  BatchNorm2d(ParameterSet& params, ParameterSet& buffers, const std::string& name, ImageShape shape, float eps,
              float momentum = 0.1f)
      : BatchNorm2d(params, buffers, name, shape.channels, shape.plane(), eps, momentum) {}

  int channels() const { return channels_; }
  int plane() const { return plane_; }
  float eps() const { return eps_; }
  float momentum() const { return momentum_; }
  const float* gamma() const { return params_->values() + gamma_offset_; }
  const float* beta() const { return params_->values() + beta_offset_; }
  const float* running_mean() const { return buffers_->values() + mean_offset_; }
  const float* running_var() const { return buffers_->values() + var_offset_; }
  void init();

  // x, y: batch × channels·plane; y may not alias x. Training mode normalises with the batch
  // statistics (batch·plane ≥ 2) and updates the running statistics; eval mode uses the running
  // statistics.
  void forward(const float* x, int batch, float* y, bool training);
  // grad (batch × channels·plane) is dL/dy on entry and dL/dx on return (after a training-mode
  // forward); dγ, dβ are added to (ParamGrads::Accumulate), written (Write) or skipped.
  void backward(float* grad, int batch, ParamGrads mode = ParamGrads::Accumulate);

 private:
  ParameterSet* params_;
  ParameterSet* buffers_;
  int channels_, plane_;
  float eps_, momentum_;
  std::size_t gamma_offset_, beta_offset_, mean_offset_, var_offset_;
  int capacity_ = 0;
  AlignedBuffer x_hat_;    // batch × channels·plane of the last training forward
  AlignedBuffer inv_std_;  // channels
  // Per-channel double sums: mean and variance in forward, Σg and Σg·x̂ in backward.
  std::vector<double> sum_a_, sum_b_;
  double total_count_ = 0;      // N of the last training forward: the values of every process
  std::vector<double> shared_;  // what a synchronised step sums across processes
};

}  // namespace latentlab
