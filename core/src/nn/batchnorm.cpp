// Batch normalisation, forward and backward side by side (math in batchnorm.hpp).
#include "latentlab/nn/batchnorm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace latentlab {

namespace {
const CrossBatchSum* g_cross_batch_sum = nullptr;
}  // namespace

void set_cross_batch_sum(const CrossBatchSum* group) { g_cross_batch_sum = group; }
const CrossBatchSum* cross_batch_sum() { return g_cross_batch_sum; }

BatchNorm::BatchNorm(ParameterSet& params, ParameterSet& buffers, const std::string& name, int features, float eps,
                     float momentum)
    : params_(&params), buffers_(&buffers), features_(features), eps_(eps), momentum_(momentum) {
  gamma_offset_ = params.declare(name + ".weight", {features});
  beta_offset_ = params.declare(name + ".bias", {features});
  mean_offset_ = buffers.declare(name + ".running_mean", {features});
  var_offset_ = buffers.declare(name + ".running_var", {features});
  inv_std_.reserve_discard(static_cast<std::size_t>(features));
}

void BatchNorm::init() {
  float* gamma = params_->values() + gamma_offset_;
  float* beta = params_->values() + beta_offset_;
  float* mean = buffers_->values() + mean_offset_;
  float* var = buffers_->values() + var_offset_;
  for (int j = 0; j < features_; ++j) {
    gamma[j] = 1.0f;
    beta[j] = 0.0f;
    mean[j] = 0.0f;
    var[j] = 1.0f;
  }
}

void BatchNorm::forward(const float* x, int batch, float* y, bool training) {
  const int F = features_;
  const float* gamma = params_->values() + gamma_offset_;
  const float* beta = params_->values() + beta_offset_;
  float* running_mean = buffers_->values() + mean_offset_;
  float* running_var = buffers_->values() + var_offset_;

  if (!training) {
    for (int j = 0; j < F; ++j) inv_std_[j] = 1.0f / std::sqrt(running_var[j] + eps_);
    for (int i = 0; i < batch; ++i)
      for (int j = 0; j < F; ++j) {
        const std::size_t k = static_cast<std::size_t>(i) * F + j;
        y[k] = gamma[j] * (x[k] - running_mean[j]) * inv_std_[j] + beta[j];
      }
    return;
  }

  if (batch > capacity_) {
    x_hat_.reserve_discard(static_cast<std::size_t>(batch) * F);
    capacity_ = batch;
  }
  // Statistics per feature, accumulated row by row (rows are contiguous) in double. A
  // synchronised BatchNorm sums Σx (with this process's row count appended) and then Σ(x − μ)²
  // over the group: two passes, as here, so the variance keeps the two-pass accuracy.
  const CrossBatchSum* group = g_cross_batch_sum;
  std::vector<double>& mean = sum_a_;
  std::vector<double>& var = sum_b_;
  mean.assign(static_cast<std::size_t>(F) + (group ? 1 : 0), 0.0);  // sized once: no allocation per step
  var.assign(static_cast<std::size_t>(F), 0.0);
  for (int i = 0; i < batch; ++i)
    for (int j = 0; j < F; ++j) mean[j] += x[static_cast<std::size_t>(i) * F + j];
  double rows = batch;
  if (group) {
    mean[static_cast<std::size_t>(F)] = batch;
    group->sum(mean.data(), mean.size());
    rows = mean[static_cast<std::size_t>(F)];
  }
  total_rows_ = rows;
  for (int j = 0; j < F; ++j) mean[j] /= rows;
  for (int i = 0; i < batch; ++i)
    for (int j = 0; j < F; ++j) {
      const double d = x[static_cast<std::size_t>(i) * F + j] - mean[j];
      var[j] += d * d;
    }
  if (group) group->sum(var.data(), var.size());
  for (int j = 0; j < F; ++j) {
    var[j] /= rows;
    inv_std_[j] = static_cast<float>(1.0 / std::sqrt(var[j] + eps_));
    const double unbiased = rows > 1 ? var[j] * rows / (rows - 1) : var[j];
    running_mean[j] = static_cast<float>((1.0 - momentum_) * running_mean[j] + momentum_ * mean[j]);
    running_var[j] = static_cast<float>((1.0 - momentum_) * running_var[j] + momentum_ * unbiased);
  }
  for (int i = 0; i < batch; ++i)
    for (int j = 0; j < F; ++j) {
      const std::size_t k = static_cast<std::size_t>(i) * F + j;
      const float xh = static_cast<float>(x[k] - mean[j]) * inv_std_[j];
      x_hat_[k] = xh;
      y[k] = gamma[j] * xh + beta[j];
    }
}

void BatchNorm::backward(float* grad, int batch, ParamGrads mode) {
  const int F = features_;
  const float* gamma = params_->values() + gamma_offset_;
  std::vector<double>& sum_g = sum_a_;
  std::vector<double>& sum_g_xhat = sum_b_;
  sum_g.assign(static_cast<std::size_t>(F), 0.0);
  sum_g_xhat.assign(static_cast<std::size_t>(F), 0.0);
  for (int i = 0; i < batch; ++i)
    for (int j = 0; j < F; ++j) {
      const std::size_t k = static_cast<std::size_t>(i) * F + j;
      sum_g[j] += grad[k];
      sum_g_xhat[j] += static_cast<double>(grad[k]) * x_hat_[k];
    }
  if (mode != ParamGrads::Skip) {
    float* dgamma = params_->grads() + gamma_offset_;
    float* dbeta = params_->grads() + beta_offset_;
    const bool add = mode == ParamGrads::Accumulate;
    for (int j = 0; j < F; ++j) {
      dgamma[j] = (add ? dgamma[j] : 0.0f) + static_cast<float>(sum_g_xhat[j]);
      dbeta[j] = (add ? dbeta[j] : 0.0f) + static_cast<float>(sum_g[j]);
    }
  }
  // dγ, dβ above are this process's share; dx needs Σg and Σg·x̂ over the whole batch.
  if (const CrossBatchSum* group = g_cross_batch_sum) {
    shared_.resize(2 * static_cast<std::size_t>(F));
    std::copy(sum_g.begin(), sum_g.end(), shared_.begin());
    std::copy(sum_g_xhat.begin(), sum_g_xhat.end(), shared_.begin() + F);
    group->sum(shared_.data(), shared_.size());
    std::copy(shared_.begin(), shared_.begin() + F, sum_g.begin());
    std::copy(shared_.begin() + F, shared_.end(), sum_g_xhat.begin());
  }
  // dx = γ/(B√(σ²+ε)) · (B·g − Σg − x̂·Σ(g x̂)), B the rows of the last training forward
  const double rows = total_rows_;
  for (int i = 0; i < batch; ++i)
    for (int j = 0; j < F; ++j) {
      const std::size_t k = static_cast<std::size_t>(i) * F + j;
      const double scale = static_cast<double>(gamma[j]) * inv_std_[j] / rows;
      grad[k] = static_cast<float>(scale * (rows * grad[k] - sum_g[j] - x_hat_[k] * sum_g_xhat[j]));
    }
}

}  // namespace latentlab
