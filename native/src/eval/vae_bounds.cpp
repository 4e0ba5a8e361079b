#include "eval/vae_bounds.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "latentlab/infer/generation.hpp"
#include "latentlab/nn/losses.hpp"
#include "latentlab/rng.hpp"

namespace latentlab::native {

namespace {
constexpr int kDecodeBatch = 500;

// The labels of images first … first+count−1 of `data` for a conditional model (each image is
// encoded and decoded with its own class); empty for an unconditional one.
std::vector<int> image_labels(const GenerativeModel& model, const Dataset& data, std::size_t first, std::size_t count) {
  if (!model.conditional()) return {};
  return std::vector<int>(data.labels.begin() + static_cast<std::ptrdiff_t>(first),
                          data.labels.begin() + static_cast<std::ptrdiff_t>(first + count));
}
const int* or_null(const std::vector<int>& v) { return v.empty() ? nullptr : v.data(); }
}

IwaeResult iwae_bound(GenerativeModel& model, const Dataset& data, std::size_t n, int k, std::uint64_t seed, std::uint64_t stream) {
  VariationalModel& vae = *model.variational();
  const std::size_t latent = static_cast<std::size_t>(model.latent_dim());
  const std::size_t pixels = static_cast<std::size_t>(model.image_size());
  Rng rng(seed, stream);
  std::vector<float> mu(latent), logvar(latent), eps(kDecodeBatch * latent), z(kDecodeBatch * latent);
  std::vector<double> log_w(static_cast<std::size_t>(k));
  IwaeResult result;
  result.k = k;
  result.images = n;
  double sum_bound = 0.0, sum_elbo = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<float> x = data.to_float(i, 1);
    const std::vector<int> y = image_labels(model, data, i, 1);
    const std::vector<int> y_k = y.empty() ? y : std::vector<int>(kDecodeBatch, y[0]);
    vae.encode(x.data(), or_null(y), 1, mu.data(), logvar.data());
    double half_logvar_sum = 0.0;
    for (std::size_t d = 0; d < latent; ++d) half_logvar_sum += 0.5 * logvar[d];
    for (int first = 0; first < k; first += kDecodeBatch) {
      const int count = std::min(kDecodeBatch, k - first);
      rng.fill_normal(eps.data(), static_cast<std::size_t>(count) * latent);
      for (int j = 0; j < count; ++j)
        for (std::size_t d = 0; d < latent; ++d) {
          const std::size_t at = static_cast<std::size_t>(j) * latent + d;
          z[at] = mu[d] + std::exp(0.5f * logvar[d]) * eps[at];
        }
      const float* logits = vae.decode_logits(z.data(), or_null(y_k), count);
      for (int j = 0; j < count; ++j) {
        const std::size_t row = static_cast<std::size_t>(j);
        const double log_px = -bce_with_logits(logits + row * pixels, x.data(), pixels, Reduction::Sum, nullptr);
        double zz = 0.0, ee = 0.0;
        for (std::size_t d = 0; d < latent; ++d) {
          zz += static_cast<double>(z[row * latent + d]) * z[row * latent + d];
          ee += static_cast<double>(eps[row * latent + d]) * eps[row * latent + d];
        }
        log_w[static_cast<std::size_t>(first + j)] = log_px - 0.5 * zz + 0.5 * ee + half_logvar_sum;
      }
    }
    // L_k = logsumexp(log w) − log k, with the max subtracted.
    const double max = *std::max_element(log_w.begin(), log_w.end());
    double sum = 0.0, mean = 0.0;
    for (double w : log_w) {
      sum += std::exp(w - max);
      mean += w;
    }
    sum_bound += max + std::log(sum) - std::log(static_cast<double>(k));
    sum_elbo += mean / static_cast<double>(k);
  }
  const double m = static_cast<double>(std::max<std::size_t>(n, 1));
  result.log_likelihood = sum_bound / m;
  result.elbo = sum_elbo / m;
  return result;
}

double reconstruction_mse(GenerativeModel& model, const Dataset& data, std::size_t n) {
  VariationalModel& vae = *model.variational();
  const std::size_t latent = static_cast<std::size_t>(model.latent_dim());
  const std::size_t pixels = static_cast<std::size_t>(model.image_size());
  std::vector<float> mu(kDecodeBatch * latent), logvar(kDecodeBatch * latent), out(kDecodeBatch * pixels);
  double total = 0.0;
  for (std::size_t first = 0; first < n; first += kDecodeBatch) {
    const int count = static_cast<int>(std::min<std::size_t>(kDecodeBatch, n - first));
    const std::vector<float> x = data.to_float(first, static_cast<std::size_t>(count));
    const std::vector<int> y = image_labels(model, data, first, static_cast<std::size_t>(count));
    vae.encode(x.data(), or_null(y), count, mu.data(), logvar.data());
    model.decode(mu.data(), or_null(y), count, out.data());
    const std::size_t values = static_cast<std::size_t>(count) * pixels;
    for (std::size_t i = 0; i < values; ++i) {
      const double d = static_cast<double>(x[i]) - out[i];
      total += d * d;
    }
  }
  return n ? total / (static_cast<double>(n) * static_cast<double>(pixels)) : 0.0;
}

Smoothness latent_smoothness(GenerativeModel& model, const Dataset& data, std::size_t pairs, int frames) {
  VariationalModel& vae = *model.variational();
  const int latent = model.latent_dim();
  const std::size_t pixels = static_cast<std::size_t>(model.image_size());
  std::vector<float> mu(2 * static_cast<std::size_t>(latent)), logvar(mu.size());
  std::vector<float> path(static_cast<std::size_t>(frames) * latent), images(static_cast<std::size_t>(frames) * pixels);
  Smoothness s;
  s.pairs = pairs;
  s.frames = frames;
  double step_total = 0.0, ratio_total = 0.0;
  for (std::size_t p = 0; p < pairs; ++p) {
    const std::vector<int> y = image_labels(model, data, 2 * p, 2);
    vae.encode(data.to_float(2 * p, 2).data(), or_null(y), 2, mu.data(), logvar.data());  // images 2p and 2p+1
    interpolate_latents(mu.data(), mu.data() + latent, latent, frames, LatentPath::Lerp, path.data());
    // A conditional model walks in the first image's class.
    const std::vector<int> y_path = y.empty() ? y : std::vector<int>(static_cast<std::size_t>(frames), y[0]);
    model.decode(path.data(), or_null(y_path), frames, images.data());
    double pair_total = 0.0, pair_max = 0.0;
    for (int f = 1; f < frames; ++f) {
      const float* a = images.data() + static_cast<std::size_t>(f - 1) * pixels;
      const float* b = images.data() + static_cast<std::size_t>(f) * pixels;
      double diff = 0.0;
      for (std::size_t i = 0; i < pixels; ++i) diff += std::fabs(static_cast<double>(b[i]) - a[i]);
      diff /= static_cast<double>(pixels);
      pair_total += diff;
      pair_max = std::max(pair_max, diff);
    }
    const double pair_mean = pair_total / (frames - 1);
    step_total += pair_mean;
    ratio_total += pair_mean > 0 ? pair_max / pair_mean : 1.0;
  }
  const double m = static_cast<double>(std::max<std::size_t>(pairs, 1));
  s.step_mean = step_total / m;
  s.jump_ratio = ratio_total / m;
  return s;
}

}  // namespace latentlab::native
