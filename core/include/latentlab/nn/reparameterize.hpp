// The VAE reparameterisation trick: sampling z ~ N(μ, σ²) as a differentiable function of μ and logvar.
//   forward   σ = exp(½ logvar),  z = μ + σ ⊙ ε          (ε ~ N(0, I) given)
//   backward  dL/dμ += dL/dz,  dL/dlogvar += dL/dz ⊙ ε ⊙ ½σ
#pragma once

#include <cstddef>

namespace latentlab {

void reparameterize_forward(const float* mu, const float* logvar, const float* eps, float* z, std::size_t n);
// Accumulates into grad_mu and grad_logvar.
void reparameterize_backward(const float* logvar, const float* eps, const float* grad_z, float* grad_mu,
                             float* grad_logvar, std::size_t n);

}  // namespace latentlab
