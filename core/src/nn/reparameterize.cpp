// z = μ + σ ⊙ ε with σ = exp(½ logvar); its backward (math in reparameterize.hpp).
#include "latentlab/nn/reparameterize.hpp"

#include <cmath>

namespace latentlab {

void reparameterize_forward(const float* mu, const float* logvar, const float* eps, float* z, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) z[i] = mu[i] + std::exp(0.5f * logvar[i]) * eps[i];
}

void reparameterize_backward(const float* logvar, const float* eps, const float* grad_z, float* grad_mu,
                             float* grad_logvar, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    grad_mu[i] += grad_z[i];                                              // ∂z/∂μ = 1
    grad_logvar[i] += grad_z[i] * eps[i] * 0.5f * std::exp(0.5f * logvar[i]);  // ∂z/∂logvar = ½σε
  }
}

}  // namespace latentlab
