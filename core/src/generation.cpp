// Sampling, interpolation and decoding shared by the CLI and the page (contracts in generation.hpp).
#include "latentlab/generation.hpp"

#include <cmath>

#include "latentlab/rng.hpp"

namespace latentlab {

void sample_latents(std::uint64_t seed, float* z, std::size_t count) { Rng(seed, 0).fill_normal(z, count); }

void interpolate_latents(const float* a, const float* b, int dim, int steps, LatentPath path, float* out) {
  const std::size_t d = static_cast<std::size_t>(dim);
  double dot = 0, na = 0, nb = 0;
  for (std::size_t j = 0; j < d; ++j) {
    dot += static_cast<double>(a[j]) * b[j];
    na += static_cast<double>(a[j]) * a[j];
    nb += static_cast<double>(b[j]) * b[j];
  }
  double omega = 0, sin_omega = 0;
  if (na > 0 && nb > 0) {
    const double c = std::fmax(-1.0, std::fmin(1.0, dot / (std::sqrt(na) * std::sqrt(nb))));
    omega = std::acos(c);
    sin_omega = std::sin(omega);
  }
  const bool slerp = path == LatentPath::Slerp && sin_omega >= 1e-6;
  for (int i = 0; i < steps; ++i) {
    const double t = steps > 1 ? static_cast<double>(i) / (steps - 1) : 0.0;
    double wa = 1.0 - t, wb = t;
    if (slerp) {
      wa = std::sin((1.0 - t) * omega) / sin_omega;
      wb = std::sin(t * omega) / sin_omega;
    }
    float* row = out + static_cast<std::size_t>(i) * d;
    for (std::size_t j = 0; j < d; ++j) row[j] = static_cast<float>(wa * a[j] + wb * b[j]);
  }
}

void decode_to_pixels(LoadedModel& model, const float* z, int n, float* pixels) {
  if (model.vae) {
    model.vae->decode(z, n, pixels);
    return;
  }
  model.gan->generate(z, n, pixels);
  // The generator ends in tanh ∈ [−1, 1]; images are shown in [0, 1].
  const std::size_t count = static_cast<std::size_t>(n) * static_cast<std::size_t>(model.gan->config().image);
  for (std::size_t i = 0; i < count; ++i) pixels[i] = (pixels[i] + 1.0f) * 0.5f;
}

}  // namespace latentlab
