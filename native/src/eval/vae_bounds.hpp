// Metrics only a VAE has (it has an encoder q(z|x) and a likelihood p(x|z)):
//
// IWAE bound (Burda et al. 2016) of the log-likelihood of an image x, with k samples
//   z_j = μ(x) + σ(x) ⊙ ε_j,  ε_j ~ N(0, I)
//   log w_j = log p(x|z_j) + log p(z_j) − log q(z_j|x)
//           = −BCE(decoder(z_j), x) − ½‖z_j‖² + ½‖ε_j‖² + ½ Σ logvar(x)   (the 2π terms cancel)
//   L_k(x) = log (1/k) Σ_j w_j = logsumexp_j(log w_j) − log k            (in double)
// L_k ≤ log p(x), L_1 is the ELBO in expectation, and L_k ≥ (1/k) Σ_j log w_j (Jensen) for the
// same samples. Reported in nats per image; p(x|z) is the Bernoulli likelihood of the trainer
// on pixel intensities in [0,1] (not binarised MNIST, so values are not comparable to papers'
// binarised-MNIST numbers).
//
// Reconstruction error  mean over images and pixels of (x − σ(decoder(μ(x))))².
// Latent smoothness     for pairs of consecutive test images (a, b): decode `frames` latents
//                       on the straight line μ(a) → μ(b) (lerp) and measure the mean absolute
//                       pixel change between consecutive frames. step_mean is its average; the
//                       jump ratio, max step / mean step per pair averaged over pairs, is 1 for
//                       an even morph and large when the morph happens in one jump.
#pragma once

#include <cstddef>
#include <cstdint>

#include "data/datasets.hpp"
#include "latentlab/models/model.hpp"
#include "latentlab/models/vae.hpp"

namespace latentlab::native {

// Each takes a model with an encoder (model.has_encoder()).

struct IwaeResult {
  double log_likelihood = 0;  // mean over images of L_k (nats, ≤ 0 per image up to the likelihood's scale)
  double elbo = 0;            // mean over images and samples of log w_j (the k = 1 bound, same samples)
  std::size_t images = 0;
  int k = 0;
};

// L_k on the first n images of `data`; ε from Rng(seed, stream). Decodes in batches of ≤ 500.
IwaeResult iwae_bound(GenerativeModel& model, const Dataset& data, std::size_t n, int k, std::uint64_t seed, std::uint64_t stream);

// Mean squared pixel error of reconstructions with z = μ, over the first n images.
double reconstruction_mse(GenerativeModel& model, const Dataset& data, std::size_t n);

struct Smoothness {
  double step_mean = 0;   // mean |Δpixel| between consecutive frames
  double jump_ratio = 0;  // mean over pairs of max step / mean step (≥ 1)
  std::size_t pairs = 0;
  int frames = 0;
};

// Over the pairs (i, i+1), i = 0, 2, 4, … of the first 2·pairs images. frames ≥ 2.
Smoothness latent_smoothness(GenerativeModel& model, const Dataset& data, std::size_t pairs, int frames);

}  // namespace latentlab::native
