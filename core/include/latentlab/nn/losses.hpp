// Losses with their gradients. Each returns the reduced loss and, when `grad`
// pointers are non-null, writes (not accumulates) dLoss/dInput.
//   Reduction::Sum  — Σ over all elements
//   Reduction::Mean — Σ / number of elements
#pragma once

#include <cstddef>
#include <cstdint>

namespace latentlab {

enum class Reduction { Sum, Mean };

// Binary cross-entropy on logits x against targets y ∈ [0,1], in the stable form
//   ℓ = softplus(x) − y·x = max(x,0) − y·x + log(1 + e^−|x|),   dℓ/dx = σ(x) − y.
double bce_with_logits(const float* logits, const float* targets, std::size_t n, Reduction reduction,
                       float* grad);

// Mean squared error ℓ = (p − t)²,  dℓ/dp = 2 (p − t). Test hook: no model uses it;
// tests/unit/core/nn/test_gradients.cpp checks its gradient.
double mse(const float* predictions, const float* targets, std::size_t n, Reduction reduction, float* grad);

// KL(N(μ, e^logvar) ‖ N(0, 1)) per element = −½ (1 + logvar − μ² − e^logvar)
//   dKL/dμ = μ,   dKL/dlogvar = ½ (e^logvar − 1)
double gaussian_kl(const float* mu, const float* logvar, std::size_t n, Reduction reduction, float* grad_mu,
                   float* grad_logvar);

// GAN discriminator loss on logits, mean over each batch of n:
//   L_D = mean BCE(D(real), 1) + mean BCE(D(fake), 0) = mean softplus(−r) + mean softplus(f)
//   dL/dr = −σ(−r)/n,  dL/df = σ(f)/n
double gan_discriminator_loss(const float* real_logits, const float* fake_logits, std::size_t n,
                              float* grad_real, float* grad_fake);

// Non-saturating generator loss (Goodfellow et al. 2014): L_G = mean BCE(D(G(z)), 1)
//   = mean softplus(−f),   dL/df = −σ(−f)/n
double gan_generator_loss(const float* fake_logits, std::size_t n, float* grad_fake);

// Softmax cross-entropy on logits x (n rows × classes) against integer labels y ∈ [0, classes):
//   ℓ = −log softmax(x)_y = logsumexp(x) − x_y          (logsumexp with the row max subtracted)
//   dℓ/dx_j = softmax(x)_j − [j = y]
// Reduction::Mean divides by the number of ROWS n (not n·classes), as torch's cross_entropy.
// `correct` (optional) receives the number of rows whose argmax is the label. Labels must be
// < classes (the data loaders and the classifier trainer check it).
double softmax_cross_entropy(const float* logits, const std::uint8_t* labels, std::size_t n, int classes,
                             Reduction reduction, float* grad, std::size_t* correct = nullptr);

}  // namespace latentlab
