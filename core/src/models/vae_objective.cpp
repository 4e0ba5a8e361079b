// The VAE's latent and loss, forward and backward (math in vae_objective.hpp).
#include "latentlab/models/vae_objective.hpp"

#include <algorithm>

#include "latentlab/kernels/kernels.hpp"
#include "latentlab/nn/losses.hpp"
#include "latentlab/nn/reparameterize.hpp"

namespace latentlab {

void clamp_logvar(float* logvar, std::size_t n, float limit) {
  for (std::size_t i = 0; i < n; ++i) logvar[i] = std::clamp(logvar[i], -limit, limit);
}

VaeLosses vae_losses(const float* logits, const float* x, std::size_t n_pixels, const float* mu, const float* logvar,
                     std::size_t n_latent, float beta, float* grad_logits, float* grad_mu, float* grad_logvar) {
  VaeLosses losses;
  losses.reconstruction = bce_with_logits(logits, x, n_pixels, Reduction::Sum, grad_logits);
  losses.kl = gaussian_kl(mu, logvar, n_latent, Reduction::Sum, grad_mu, grad_logvar);
  losses.total = losses.reconstruction + static_cast<double>(beta) * losses.kl;
  return losses;
}

void vae_latent_backward(const float* logvar, const float* eps, const float* grad_z, float beta, float limit,
                         float* grad_mu, float* grad_logvar, std::size_t n_latent) {
  // The KL gradients are weighted by β, then the reparameterisation adds the path through z.
  kernels::scale(grad_mu, n_latent, beta);
  kernels::scale(grad_logvar, n_latent, beta);
  reparameterize_backward(logvar, eps, grad_z, grad_mu, grad_logvar, n_latent);
  // Where the clamp was active, logvar does not depend on the head's output.
  for (std::size_t i = 0; i < n_latent; ++i)
    if (logvar[i] >= limit || logvar[i] <= -limit) grad_logvar[i] = 0.0f;
}

}  // namespace latentlab
