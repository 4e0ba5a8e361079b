#include "latentlab/infer/latent_repair.hpp"

#include <cstddef>
#include <stdexcept>

#include "latentlab/nn/activations.hpp"
#include "latentlab/nn/label_input.hpp"

namespace latentlab {

LatentRepair::LatentRepair(Mlp& decoder, int latent, int classes)
    : decoder_(decoder), latent_(latent), classes_(classes) {
  if (latent < 1 || classes < 0 || decoder.input_size() != latent + classes)
    throw std::invalid_argument("LatentRepair: the decoder's input is not latent + classes wide");
}

RepairLoss LatentRepair::gradient(const float* z, const int* labels, int n, const float* x, const float* mask,
                                  float prior, float* grad_z) {
  const std::size_t rows = static_cast<std::size_t>(n);
  const std::size_t width = static_cast<std::size_t>(latent_ + classes_);
  const std::size_t pixels = rows * static_cast<std::size_t>(image_size());
  input_.resize(rows * width);
  grad_input_.resize(rows * width);
  grad_logits_.resize(pixels);

  // Forward: ℓ = decoder([z | onehot(y)]).
  if (classes_ > 0) {
    if (!labels) throw std::invalid_argument("LatentRepair: a conditional decoder needs the images' labels");
    LabelInput(latent_, classes_).forward(z, labels, n, input_.data());
  } else {
    input_.assign(z, z + rows * width);
  }
  const float* logits = decoder_.forward(input_.data(), n);

  // L and dL/dℓ = m ⊙ (σ(ℓ) − x), with BCE = softplus(ℓ) − x·ℓ (stable for any ℓ).
  RepairLoss loss;
  for (std::size_t i = 0; i < pixels; ++i) {
    const float l = logits[i];
    loss.reconstruction += static_cast<double>(mask[i]) * (static_cast<double>(softplus(l)) - static_cast<double>(x[i]) * l);
    grad_logits_[i] = mask[i] * (stable_sigmoid(l) - x[i]);
  }

  // Backward: dL/d[z | onehot] through the decoder (parameters untouched), then its z columns + λ z.
  decoder_.backward(input_.data(), grad_logits_.data(), n, grad_input_.data(), ParamGrads::Skip);
  for (std::size_t r = 0; r < rows; ++r) {
    for (int k = 0; k < latent_; ++k) {
      const std::size_t i = r * static_cast<std::size_t>(latent_) + static_cast<std::size_t>(k);
      loss.prior += 0.5 * static_cast<double>(prior) * static_cast<double>(z[i]) * z[i];
      grad_z[i] = grad_input_[r * width + static_cast<std::size_t>(k)] + prior * z[i];
    }
  }
  return loss;
}

}  // namespace latentlab
