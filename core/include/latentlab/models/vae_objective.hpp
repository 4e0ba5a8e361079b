// The part of a VAE between its encoder and its decoder, shared by every VAE kind (the MLP VAE,
// the conv VAE): the clamped log-variance, the reparameterised latent and the loss
//   logvar   clamp(logvar, −limit, limit)            (gradient 0 where the clamp binds)
//   z        μ + e^{½ logvar} ⊙ ε                     (reparameterize.hpp; z = μ when no ε)
//   loss     BCE_with_logits(logits, x) summed over pixels and batch + β · KL(μ, logvar) summed
// and the backward pass from dL/dz and the loss's own gradients to dL/dμ and dL/dlogvar:
//   dL/dμ = β·μ + dL/dz,  dL/dlogvar = [|logvar| < limit] · (β·½(e^logvar − 1) + dL/dz ⊙ ε ⊙ ½σ)
#pragma once

#include <cstddef>

namespace latentlab {

// Loss terms summed over a batch (divide by the batch size for per-example values).
struct VaeLosses {
  double total = 0, reconstruction = 0, kl = 0;
};

// logvar ← clamp(logvar, −limit, limit), in place (n values).
void clamp_logvar(float* logvar, std::size_t n, float limit);

// The losses of a batch (n_pixels = batch·image, n_latent = batch·latent), writing the
// gradients of the unweighted terms: grad_logits = dBCE/dlogits, grad_mu, grad_logvar = dKL/d·.
VaeLosses vae_losses(const float* logits, const float* x, std::size_t n_pixels, const float* mu, const float* logvar,
                     std::size_t n_latent, float beta, float* grad_logits, float* grad_mu, float* grad_logvar);

// From vae_losses' KL gradients (in grad_mu, grad_logvar) and the decoder's dL/dz: the whole
// dL/dμ and dL/dlogvar, in place (the KL part weighted by β, the clamp's zero gradient applied).
void vae_latent_backward(const float* logvar, const float* eps, const float* grad_z, float beta, float limit,
                         float* grad_mu, float* grad_logvar, std::size_t n_latent);

}  // namespace latentlab
