// WGAN-GP's gradient penalty (math in gradient_penalty.hpp).
#include "latentlab/nn/gradient_penalty.hpp"

#include <cmath>
#include <cstddef>

#include "latentlab/rng.hpp"

namespace latentlab {

void interpolate_images(const float* real, const float* fake, int n, int dim, Rng& rng, float* out) {
  for (int i = 0; i < n; ++i) {
    const float eps = static_cast<float>(rng.uniform());
    const std::size_t row = static_cast<std::size_t>(i) * static_cast<std::size_t>(dim);
    for (int j = 0; j < dim; ++j) out[row + j] = eps * real[row + j] + (1.0f - eps) * fake[row + j];
  }
}

void interpolate_images(const float* real, const float* fake, const float* eps, int n, int dim, float* out) {
  for (int i = 0; i < n; ++i) {
    const std::size_t row = static_cast<std::size_t>(i) * static_cast<std::size_t>(dim);
    for (int j = 0; j < dim; ++j) out[row + j] = eps[i] * real[row + j] + (1.0f - eps[i]) * fake[row + j];
  }
}

double gradient_penalty(const float* g, int n, int dim, float lambda, float* grad_g) {
  return gradient_penalty(g, n, dim, dim, lambda, grad_g);
}

double gradient_penalty(const float* g, int n, int width, int columns, float lambda, float* grad_g) {
  if (n <= 0) return 0.0;
  double total = 0.0;
  for (int i = 0; i < n; ++i) {
    const float* gi = g + static_cast<std::size_t>(i) * static_cast<std::size_t>(width);
    double squares = 0.0;
    for (int j = 0; j < columns; ++j) squares += static_cast<double>(gi[j]) * gi[j];
    const double norm = std::sqrt(squares);
    total += (norm - 1.0) * (norm - 1.0);
    if (grad_g) {
      float* out = grad_g + static_cast<std::size_t>(i) * static_cast<std::size_t>(width);
      const double scale = norm > 0.0 ? 2.0 * lambda * (norm - 1.0) / (norm * n) : 0.0;
      for (int j = 0; j < columns; ++j) out[j] = static_cast<float>(scale * gi[j]);
      for (int j = columns; j < width; ++j) out[j] = 0.0f;
    }
  }
  return lambda * total / n;
}

double CriticGradientPenalty::add(Mlp& critic, const float* interpolates, int n, float lambda) {
  const int dim = critic.input_size();
  const std::size_t size = static_cast<std::size_t>(n) * static_cast<std::size_t>(dim);
  g_.reserve_discard(size);
  grad_g_.reserve_discard(size);
  critic.input_gradient(interpolates, n, g_.data());
  const double penalty = gradient_penalty(g_.data(), n, dim, lambda, grad_g_.data());
  critic.input_gradient_backward(grad_g_.data(), n);
  double norms = 0.0;
  for (int i = 0; i < n; ++i) {
    double squares = 0.0;
    for (int j = 0; j < dim; ++j) {
      const double v = g_[static_cast<std::size_t>(i) * dim + j];
      squares += v * v;
    }
    norms += std::sqrt(squares);
  }
  mean_norm_ = n > 0 ? norms / n : 0.0;
  return penalty;
}

}  // namespace latentlab
