// Batch normalisation per channel, forward and backward side by side (math in batchnorm2d.hpp).
// Every loop runs image by image, channel by channel, pixel by pixel (the storage order), so with
// plane = 1 it is BatchNorm1d's row-by-row order.
#include "latentlab/nn/batchnorm2d.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

namespace latentlab {

BatchNorm2d::BatchNorm2d(ParameterSet& params, ParameterSet& buffers, const std::string& name, int channels, int plane,
                         float eps, float momentum)
    : params_(&params), buffers_(&buffers), channels_(channels), plane_(plane), eps_(eps), momentum_(momentum) {
  if (channels <= 0 || plane <= 0)
    throw std::invalid_argument("BatchNorm " + name + ": " + std::to_string(channels) + " channels of " +
                                std::to_string(plane) + " values each (both must be positive)");
  gamma_offset_ = params.declare(name + ".weight", {channels});
  beta_offset_ = params.declare(name + ".bias", {channels});
  mean_offset_ = buffers.declare(name + ".running_mean", {channels});
  var_offset_ = buffers.declare(name + ".running_var", {channels});
  inv_std_.reserve_discard(static_cast<std::size_t>(channels));
}

void BatchNorm2d::init() {
  float* gamma = params_->values() + gamma_offset_;
  float* beta = params_->values() + beta_offset_;
  float* mean = buffers_->values() + mean_offset_;
  float* var = buffers_->values() + var_offset_;
  for (int c = 0; c < channels_; ++c) {
    gamma[c] = 1.0f;
    beta[c] = 0.0f;
    mean[c] = 0.0f;
    var[c] = 1.0f;
  }
}

void BatchNorm2d::forward(const float* x, int batch, float* y, bool training) {
  const int C = channels_, P = plane_;
  const float* gamma = params_->values() + gamma_offset_;
  const float* beta = params_->values() + beta_offset_;
  float* running_mean = buffers_->values() + mean_offset_;
  float* running_var = buffers_->values() + var_offset_;
  // Element (n, c, p) is at (n·C + c)·P + p.
  const auto index = [C, P](int n, int c, int p) { return (static_cast<std::size_t>(n) * C + c) * P + p; };

  if (!training) {
    for (int c = 0; c < C; ++c) inv_std_[c] = 1.0f / std::sqrt(running_var[c] + eps_);
    for (int n = 0; n < batch; ++n)
      for (int c = 0; c < C; ++c)
        for (int p = 0; p < P; ++p) {
          const std::size_t k = index(n, c, p);
          y[k] = gamma[c] * (x[k] - running_mean[c]) * inv_std_[c] + beta[c];
        }
    return;
  }

  const std::size_t total = static_cast<std::size_t>(batch) * C * P;
  if (batch > capacity_) {
    x_hat_.reserve_discard(total);
    capacity_ = batch;
  }
  const long long count = static_cast<long long>(batch) * P;  // N values per channel
  std::vector<double>& mean = sum_a_;
  std::vector<double>& var = sum_b_;
  mean.assign(static_cast<std::size_t>(C), 0.0);  // sized once: no allocation per step
  var.assign(static_cast<std::size_t>(C), 0.0);
  for (int n = 0; n < batch; ++n)
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < P; ++p) mean[c] += x[index(n, c, p)];
  for (int c = 0; c < C; ++c) mean[c] /= count;
  for (int n = 0; n < batch; ++n)
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < P; ++p) {
        const double d = x[index(n, c, p)] - mean[c];
        var[c] += d * d;
      }
  for (int c = 0; c < C; ++c) {
    var[c] /= count;
    inv_std_[c] = static_cast<float>(1.0 / std::sqrt(var[c] + eps_));
    const double unbiased = count > 1 ? var[c] * count / (count - 1) : var[c];
    running_mean[c] = static_cast<float>((1.0 - momentum_) * running_mean[c] + momentum_ * mean[c]);
    running_var[c] = static_cast<float>((1.0 - momentum_) * running_var[c] + momentum_ * unbiased);
  }
  for (int n = 0; n < batch; ++n)
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < P; ++p) {
        const std::size_t k = index(n, c, p);
        const float xh = static_cast<float>(x[k] - mean[c]) * inv_std_[c];
        x_hat_[k] = xh;
        y[k] = gamma[c] * xh + beta[c];
      }
}

void BatchNorm2d::backward(float* grad, int batch, ParamGrads mode) {
  const int C = channels_, P = plane_;
  const float* gamma = params_->values() + gamma_offset_;
  const auto index = [C, P](int n, int c, int p) { return (static_cast<std::size_t>(n) * C + c) * P + p; };
  const long long count = static_cast<long long>(batch) * P;
  std::vector<double>& sum_g = sum_a_;
  std::vector<double>& sum_g_xhat = sum_b_;
  sum_g.assign(static_cast<std::size_t>(C), 0.0);
  sum_g_xhat.assign(static_cast<std::size_t>(C), 0.0);
  for (int n = 0; n < batch; ++n)
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < P; ++p) {
        const std::size_t k = index(n, c, p);
        sum_g[c] += grad[k];
        sum_g_xhat[c] += static_cast<double>(grad[k]) * x_hat_[k];
      }
  if (mode != ParamGrads::Skip) {
    float* dgamma = params_->grads() + gamma_offset_;
    float* dbeta = params_->grads() + beta_offset_;
    const bool add = mode == ParamGrads::Accumulate;
    for (int c = 0; c < C; ++c) {
      dgamma[c] = (add ? dgamma[c] : 0.0f) + static_cast<float>(sum_g_xhat[c]);
      dbeta[c] = (add ? dbeta[c] : 0.0f) + static_cast<float>(sum_g[c]);
    }
  }
  // dx = γ/(N√(σ²+ε)) · (N·g − Σg − x̂·Σ(g x̂))
  for (int n = 0; n < batch; ++n)
    for (int c = 0; c < C; ++c) {
      const double scale = static_cast<double>(gamma[c]) * inv_std_[c] / count;
      for (int p = 0; p < P; ++p) {
        const std::size_t k = index(n, c, p);
        grad[k] = static_cast<float>(scale * (static_cast<double>(count) * grad[k] - sum_g[c] - x_hat_[k] * sum_g_xhat[c]));
      }
    }
}

}  // namespace latentlab
