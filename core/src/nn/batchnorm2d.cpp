// Batch normalisation per channel, forward and backward side by side (math in batchnorm2d.hpp).
// Every loop runs image by image, channel by channel, pixel by pixel (the storage order). Each
// (image, channel) plane's share of a sum is formed first (plane_sum), then added to the channel's
// total; with plane = 1 that share is the one value itself, so BatchNorm1d sums row by row.
// Threads: the sums split over whole channels (each channel's total is added image by image on
// one thread whatever the split), the elementwise passes over whole (image, channel) planes: the
// same bits for any thread count.
#include "latentlab/nn/batchnorm2d.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "latentlab/kernels/parallel.hpp"

namespace latentlab {

namespace {
const CrossBatchSum* g_cross_batch_sum = nullptr;

// body(begin, end) over `rows` rows of `cols` values: natively split across the pool's threads in
// whole rows (parallel::for_rows); in the page module (__wasm__, no threads) one call, since the
// pool's task wrappers of the four passes grew latentlab_core.wasm by ≈ 1 KB gzipped.
template <class Body>
void for_whole_rows(std::size_t rows, std::size_t cols, Body&& body) {
#if defined(__wasm__)
  (void)cols;
  body(std::size_t{0}, rows);
#else
  parallel::for_rows(rows, cols, parallel::Cost::Cheap, body);
#endif
}

// body(c0, c1) over the channel ranges of the per-channel sums (each channel's batch·plane values
// summed on one thread).
template <class Body>
void for_channels(int channels, int batch, int plane, Body&& body) {
  for_whole_rows(static_cast<std::size_t>(channels), static_cast<std::size_t>(batch) * plane,
                 [&](std::size_t c0, std::size_t c1) { body(static_cast<int>(c0), static_cast<int>(c1)); });
}

// Σ_{p < P} term(p) in double: blocks of 8 consecutive pixels go to 8 interleaved partial sums
// (one vector; lane j takes pixels j, j + 8, …), added in lane order, then the < 8 remaining
// pixels one by one. A plane of fewer than 8 (BatchNorm1d: 1) is a plain running sum.
template <class Term>
double plane_sum(int P, Term term) {
  constexpr int L = 8;
  double total = 0.0;
  int p = 0;
  if (P >= L) {
    double lanes[L] = {};
    for (; p + L <= P; p += L)
      for (int j = 0; j < L; ++j) lanes[j] += term(p + j);
    for (int j = 0; j < L; ++j) total += lanes[j];
  }
  for (; p < P; ++p) total += term(p);
  return total;
}
}  // namespace

void set_cross_batch_sum(const CrossBatchSum* group) { g_cross_batch_sum = group; }
const CrossBatchSum* cross_batch_sum() { return g_cross_batch_sum; }

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
  // Statistics per channel in double. A synchronised BatchNorm sums Σx (with this process's
  // value count appended) and then Σ(x − μ)² over the group: two passes, as here, so the variance
  // keeps the two-pass accuracy.
  const CrossBatchSum* group = g_cross_batch_sum;
  std::vector<double>& mean = sum_a_;
  std::vector<double>& var = sum_b_;
  mean.assign(static_cast<std::size_t>(C) + (group ? 1 : 0), 0.0);  // sized once: no allocation per step
  var.assign(static_cast<std::size_t>(C), 0.0);
  for_channels(C, batch, P, [&](int c0, int c1) {
    for (int n = 0; n < batch; ++n)
      for (int c = c0; c < c1; ++c) {
        const float* row = x + index(n, c, 0);
        mean[c] += plane_sum(P, [row](int p) { return static_cast<double>(row[p]); });
      }
  });
  double count = static_cast<double>(batch) * P;  // N values per channel
  if (group) {
    mean[static_cast<std::size_t>(C)] = count;
    group->sum(mean.data(), mean.size());
    count = mean[static_cast<std::size_t>(C)];
  }
  total_count_ = count;
  for (int c = 0; c < C; ++c) mean[c] /= count;
  for_channels(C, batch, P, [&](int c0, int c1) {
    for (int n = 0; n < batch; ++n)
      for (int c = c0; c < c1; ++c) {
        const float* row = x + index(n, c, 0);
        const double m = mean[c];
        var[c] += plane_sum(P, [row, m](int p) {
          const double d = row[p] - m;
          return d * d;
        });
      }
  });
  if (group) group->sum(var.data(), var.size());
  for (int c = 0; c < C; ++c) {
    var[c] /= count;
    inv_std_[c] = static_cast<float>(1.0 / std::sqrt(var[c] + eps_));
    const double unbiased = count > 1 ? var[c] * count / (count - 1) : var[c];
    running_mean[c] = static_cast<float>((1.0 - momentum_) * running_mean[c] + momentum_ * mean[c]);
    running_var[c] = static_cast<float>((1.0 - momentum_) * running_var[c] + momentum_ * unbiased);
  }
  float* __restrict x_hat = x_hat_.data();
  const float* inv_std = inv_std_.data();
  for_whole_rows(static_cast<std::size_t>(batch) * C, P, [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r) {  // plane r = (n, c)
      const int c = static_cast<int>(r % C);
      const std::size_t k0 = r * P;
      const double m = mean[c];
      const float s = inv_std[c], gm = gamma[c], bt = beta[c];
      for (int p = 0; p < P; ++p) {
        const float xh = static_cast<float>(x[k0 + p] - m) * s;
        x_hat[k0 + p] = xh;
        y[k0 + p] = gm * xh + bt;
      }
    }
  });
}

void BatchNorm2d::backward(float* grad, int batch, ParamGrads mode) {
  const int C = channels_, P = plane_;
  const float* gamma = params_->values() + gamma_offset_;
  const auto index = [C, P](int n, int c, int p) { return (static_cast<std::size_t>(n) * C + c) * P + p; };
  std::vector<double>& sum_g = sum_a_;
  std::vector<double>& sum_g_xhat = sum_b_;
  sum_g.assign(static_cast<std::size_t>(C), 0.0);
  sum_g_xhat.assign(static_cast<std::size_t>(C), 0.0);
  const float* x_hat = x_hat_.data();
  for_channels(C, batch, P, [&](int c0, int c1) {
    for (int n = 0; n < batch; ++n)
      for (int c = c0; c < c1; ++c) {
        const float* g = grad + index(n, c, 0);
        const float* xh = x_hat + index(n, c, 0);
        sum_g[c] += plane_sum(P, [g](int p) { return static_cast<double>(g[p]); });
        sum_g_xhat[c] += plane_sum(P, [g, xh](int p) { return static_cast<double>(g[p]) * xh[p]; });
      }
  });
  if (mode != ParamGrads::Skip) {
    float* dgamma = params_->grads() + gamma_offset_;
    float* dbeta = params_->grads() + beta_offset_;
    const bool add = mode == ParamGrads::Accumulate;
    for (int c = 0; c < C; ++c) {
      dgamma[c] = (add ? dgamma[c] : 0.0f) + static_cast<float>(sum_g_xhat[c]);
      dbeta[c] = (add ? dbeta[c] : 0.0f) + static_cast<float>(sum_g[c]);
    }
  }
  // dγ, dβ above are this process's share; dx needs Σg and Σg·x̂ over the whole batch.
  if (const CrossBatchSum* group = g_cross_batch_sum) {
    shared_.resize(2 * static_cast<std::size_t>(C));
    std::copy(sum_g.begin(), sum_g.end(), shared_.begin());
    std::copy(sum_g_xhat.begin(), sum_g_xhat.end(), shared_.begin() + C);
    group->sum(shared_.data(), shared_.size());
    std::copy(shared_.begin(), shared_.begin() + C, sum_g.begin());
    std::copy(shared_.begin() + C, shared_.end(), sum_g_xhat.begin());
  }
  // dx = γ/(N√(σ²+ε)) · (N·g − Σg − x̂·Σ(g x̂)), N the values of the last training forward
  const double N = total_count_;
  const float* inv_std = inv_std_.data();
  for_whole_rows(static_cast<std::size_t>(batch) * C, P, [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r) {  // plane r = (n, c)
      const int c = static_cast<int>(r % C);
      const double scale = static_cast<double>(gamma[c]) * inv_std[c] / N;
      const double sg = sum_g[c], sgx = sum_g_xhat[c];
      float* __restrict g = grad + r * P;
      const float* __restrict xh = x_hat + r * P;
      for (int p = 0; p < P; ++p) g[p] = static_cast<float>(scale * (N * g[p] - sg - xh[p] * sgx));
    }
  });
}

}  // namespace latentlab
