// Losses and their gradients (math in losses.hpp). Sums are accumulated in double:
// a VAE batch sums 100k BCE terms, where float accumulation would lose digits (the BCE
// adds short float partial sums of 64 SIMD batches into its double total).
#include "latentlab/nn/losses.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "latentlab/nn/activations.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "../kernels/detail/simd_math.hpp"

namespace latentlab {

namespace {
double reduce(double total, std::size_t n, Reduction r) {
  return r == Reduction::Mean && n > 0 ? total / static_cast<double>(n) : total;
}
float grad_scale(std::size_t n, Reduction r) {
  return r == Reduction::Mean && n > 0 ? 1.0f / static_cast<float>(n) : 1.0f;
}
// Per-thread scratch for the BCE's block sums (grows once, then reused: no allocation per step).
std::vector<double>& bce_block_sums() {
  thread_local std::vector<double> sums;
  return sums;
}
}  // namespace

double bce_with_logits(const float* logits, const float* targets, std::size_t n, Reduction reduction,
                       float* grad) {
  // ℓ = softplus(x) − y·x,  dℓ/dx = σ(x) − y
  // SIMD over whole batches (one e^−|x| gives σ and softplus, see simd_math.hpp). The loss is
  // summed in float lanes over fixed blocks of kBlock elements, and the block sums are added
  // to a double in block order. The blocks do not depend on how the pass is split, so neither
  // does the result: the parts (parallel.hpp) take whole blocks.
  using simd::batch;
  constexpr std::size_t kBlock = 64 * simd::W;
  const float scale = grad_scale(n, reduction);
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double>& block_sums = bce_block_sums();
  block_sums.resize(blocks);
  const auto block = [&](std::size_t first, std::size_t last) {
    const batch vscale(scale);
    batch lanes(0.0f);
    std::size_t i = first;
    for (; i + simd::W <= last; i += simd::W) {
      const batch x = simd::load(logits + i), y = simd::load(targets + i);
      const simd::SigmoidSoftplus f = simd::sigmoid_softplus(x);
      lanes += f.softplus - y * x;
      if (grad) ((f.sigmoid - y) * vscale).store_unaligned(grad + i);
    }
    double total = static_cast<double>(xsimd::hadd(lanes));
    for (; i < last; ++i) {
      const float x = logits[i], y = targets[i];
      total += static_cast<double>(softplus(x) - y * x);
      if (grad) grad[i] = (stable_sigmoid(x) - y) * scale;
    }
    return total;
  };
  constexpr std::size_t kMinBlocksPerThread = 16;
  parallel::for_ranges(blocks, parallel::parts_for(blocks, kMinBlocksPerThread), 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; ++k) {
      const std::size_t first = k * kBlock;
      block_sums[k] = block(first, std::min(n, first + kBlock));
    }
  });
  double total = 0.0;
  for (double b : block_sums) total += b;
  return reduce(total, n, reduction);
}

double mse(const float* predictions, const float* targets, std::size_t n, Reduction reduction, float* grad) {
  // ℓ = (p − t)²,  dℓ/dp = 2(p − t)
  double total = 0.0;
  const float scale = grad_scale(n, reduction);
  for (std::size_t i = 0; i < n; ++i) {
    const float d = predictions[i] - targets[i];
    total += static_cast<double>(d) * d;
    if (grad) grad[i] = 2.0f * d * scale;
  }
  return reduce(total, n, reduction);
}

double gaussian_kl(const float* mu, const float* logvar, std::size_t n, Reduction reduction, float* grad_mu,
                   float* grad_logvar) {
  // KL = −½ (1 + logvar − μ² − e^logvar),  ∂/∂μ = μ,  ∂/∂logvar = ½ (e^logvar − 1)
  double total = 0.0;
  const float scale = grad_scale(n, reduction);
  for (std::size_t i = 0; i < n; ++i) {
    const float var = std::exp(logvar[i]);
    total += -0.5 * (1.0 + static_cast<double>(logvar[i]) - static_cast<double>(mu[i]) * mu[i] - var);
    if (grad_mu) grad_mu[i] = mu[i] * scale;
    if (grad_logvar) grad_logvar[i] = 0.5f * (var - 1.0f) * scale;
  }
  return reduce(total, n, reduction);
}

double gan_discriminator_loss(const float* real_logits, const float* fake_logits, std::size_t n,
                              float* grad_real, float* grad_fake) {
  // L_D = mean softplus(−r) + mean softplus(f);  dL/dr = −σ(−r)/n,  dL/df = σ(f)/n
  double real_total = 0.0, fake_total = 0.0;
  const float inv_n = n > 0 ? 1.0f / static_cast<float>(n) : 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    real_total += softplus(-real_logits[i]);
    fake_total += softplus(fake_logits[i]);
    if (grad_real) grad_real[i] = -stable_sigmoid(-real_logits[i]) * inv_n;
    if (grad_fake) grad_fake[i] = stable_sigmoid(fake_logits[i]) * inv_n;
  }
  return n > 0 ? (real_total + fake_total) / static_cast<double>(n) : 0.0;
}

double gan_generator_loss(const float* fake_logits, std::size_t n, float* grad_fake) {
  // L_G = mean softplus(−f);  dL/df = −σ(−f)/n
  double total = 0.0;
  const float inv_n = n > 0 ? 1.0f / static_cast<float>(n) : 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    total += softplus(-fake_logits[i]);
    if (grad_fake) grad_fake[i] = -stable_sigmoid(-fake_logits[i]) * inv_n;
  }
  return n > 0 ? total / static_cast<double>(n) : 0.0;
}

double softmax_cross_entropy(const float* logits, const std::uint8_t* labels, std::size_t n, int classes,
                             Reduction reduction, float* grad, std::size_t* correct) {
  // ℓ = logsumexp(x) − x_y,  dℓ/dx_j = softmax(x)_j − [j = y]; per row, in double.
  double total = 0.0;
  std::size_t right = 0;
  const double scale = reduction == Reduction::Mean && n > 0 ? 1.0 / static_cast<double>(n) : 1.0;
  const std::size_t k = static_cast<std::size_t>(classes);
  for (std::size_t r = 0; r < n; ++r) {
    const float* x = logits + r * k;
    const std::size_t y = labels[r];
    std::size_t argmax = 0;
    for (std::size_t j = 1; j < k; ++j)
      if (x[j] > x[argmax]) argmax = j;
    const double max = x[argmax];
    double sum = 0.0;
    for (std::size_t j = 0; j < k; ++j) sum += std::exp(static_cast<double>(x[j]) - max);
    const double log_sum = max + std::log(sum);
    total += log_sum - static_cast<double>(x[y]);
    right += argmax == y;
    if (grad) {
      float* g = grad + r * k;
      for (std::size_t j = 0; j < k; ++j)
        g[j] = static_cast<float>((std::exp(static_cast<double>(x[j]) - log_sum) - (j == y ? 1.0 : 0.0)) * scale);
    }
  }
  if (correct) *correct = right;
  return total * scale;
}

}  // namespace latentlab
