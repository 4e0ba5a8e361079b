// Repairing an image with a VAE's decoder (inpainting, denoising, super-resolution): look for the
// latent z whose decoding best explains the observed pixels only, by gradient steps on z from the
// encoder's guess μ(x). The decoder's weights stay fixed; only z moves.
//
//   objective  L(z) = Σ_i m_i · BCE(ℓ_i(z), x_i) + ½ λ ‖z‖²
//                ℓ = decoder logits of z (n × image; [z | onehot(y)] for a conditional decoder),
//                x the damaged image in [0, 1], m_i ≥ 0 the weight of pixel i (1 observed, 0 missing),
//                λ the weight of the N(0, I) prior (λ = 1: −log p(x_obs | z) − log p(z) + const,
//                the MAP estimate of z given the observed pixels)
//   backward   dL/dℓ_i = m_i · (σ(ℓ_i) − x_i)                          (BCE on logits, nn/losses.hpp)
//              dL/dz   = (∂ℓ/∂z)ᵀ dL/dℓ + λ z                           (the decoder's backward for its
//              input, first `latent` columns; its parameter gradients are skipped)
//
// LatentRepair::gradient is one forward and one backward of L on n images at once (each image's
// L depends on its own z only, so the sum over images is n independent problems).
#pragma once

#include <vector>

#include "latentlab/nn/mlp.hpp"
#include "latentlab/nn/parameters.hpp"

namespace latentlab {

struct RepairLoss {
  double reconstruction = 0;  // Σ m ⊙ BCE, summed over the images
  double prior = 0;           // ½ λ ‖z‖², summed over the images
  double total() const { return reconstruction + prior; }
};

class LatentRepair {
 public:
  // decoder: a VAE decoder MLP whose input is latent (+ classes one-hot columns) wide and whose
  // output is Bernoulli logits (a model's mlp_decoder() with sigmoid_output). Kept by reference;
  // gradient() runs its forward and backward, which write only its activation buffers.
  LatentRepair(Mlp& decoder, int latent, int classes);

  int latent() const { return latent_; }
  int image_size() const { return decoder_.output_size(); }

  // L(z) and dL/dz (n × latent) for z (n × latent), labels (n classes, conditional decoders;
  // else nullptr), x and mask (n × image).
  RepairLoss gradient(const float* z, const int* labels, int n, const float* x, const float* mask, float prior,
                      float* grad_z);

 private:
  Mlp& decoder_;
  int latent_, classes_;
  std::vector<float> input_, grad_input_, grad_logits_;
};

}  // namespace latentlab
