// Convolutional VAE for one-channel square images of side S (MNIST: 28). With conv channels
// c₁…c_n (default 32,64), every (transposed) convolution k4 s2 p1, b = S/2ⁿ:
//   encoder  x → [Conv(cᵢ₋₁ → cᵢ) → ReLU] (c₀ = 1) → Linear(c_n·b² → fc) → ReLU → μ, logvar (latent each)
//   sample   z = μ + exp(½ logvar) ⊙ ε
//   decoder  z → Linear(latent → fc) → ReLU → Linear(fc → c_n·b²) → ReLU
//            → [ConvT(cᵢ → cᵢ₋₁) → ReLU] for i = n … 2 → ConvT(c₁ → 1) → logits;  image = σ(logits)
//   loss     BCE_with_logits(logits, x) summed over pixels and batch + β · KL (vae_objective.hpp)
// Activations are NCHW rows (nn/image_shape.hpp): flatten and unflatten are views.
// Conditional (classes > 0; Sohn et al. 2015, as the MLP CVAE): every image has a class y; the
// encoder's Linear reads [flattened conv features | onehot(y)] and the decoder's first Linear
// [z | onehot(y)] (LabelInput, nn/label_input.hpp). The convolutions themselves see no label.
#pragma once

#include <memory>
#include <vector>

#include "latentlab/models/model.hpp"
#include "latentlab/models/vae_objective.hpp"
#include "latentlab/nn/conv2d.hpp"
#include "latentlab/nn/conv_transpose2d.hpp"
#include "latentlab/nn/label_input.hpp"
#include "latentlab/nn/linear.hpp"

namespace latentlab {

struct ConvVaeConfig {
  int input = 784;                   // pixels of a square one-channel image (side divisible by 2ⁿ)
  std::vector<int> channels = {32, 64};
  int fc = 256;  // the encoder's and decoder's Linear width
  int latent = 20;
  float beta = 1.0f;
  float logvar_limit = 30.0f;        // as VaeConfig::logvar_limit
  // 0: unconditional; else the number of classes the encoder and decoder are conditioned on.
  int classes = 0;
};

class ConvVae : public GenerativeModel, public VariationalModel {
 public:
  // Throws std::invalid_argument for sizes the stacks cannot have (checked by the codec first).
  explicit ConvVae(const ConvVaeConfig& config);

  const ConvVaeConfig& config() const { return config_; }
  // The weight of the KL term in the training loss and its gradients, as Vae::kl_weight.
  float kl_weight() const { return kl_weight_; }
  void set_kl_weight(float weight) { kl_weight_ = weight; }
  ParameterSet& parameters() { return params_; }
  const ParameterSet& parameters() const { return params_; }
  // PyTorch's layer defaults (U(±1/√fan_in)), layer by layer in the order above.
  void init(Rng& rng);

  // GenerativeModel
  int latent_dim() const override { return config_.latent; }
  int image_size() const override { return config_.input; }
  PixelRange pixel_range() const override { return PixelRange::ZeroOne; }
  int classes() const override { return config_.classes; }
  VariationalModel* variational() override { return this; }

  // As Vae: forward + backward on a batch of images in [0, 1] with ε drawn from rng (batch ×
  // latent normals) or given; writes every gradient; returns the summed losses.
  // labels: the batch's classes (batch values in [0, classes)) for a conditional model, else
  // nullptr; a conditional model throws std::invalid_argument without them (every method here).
  VaeLosses compute_gradients(const float* x, const int* labels, int batch, Rng& rng);
  VaeLosses compute_gradients(const float* x, const int* labels, int batch, const float* eps);
  // The unconditional forms (labels = nullptr).
  VaeLosses compute_gradients(const float* x, int batch, Rng& rng) { return compute_gradients(x, nullptr, batch, rng); }
  VaeLosses compute_gradients(const float* x, int batch, const float* eps) {
    return compute_gradients(x, nullptr, batch, eps);
  }
  // Loss without gradients: z sampled from rng, or z = μ when rng is null.
  VaeLosses evaluate(const float* x, const int* labels, int batch, Rng* rng);

  void encode(const float* x, const int* labels, int n, float* mu, float* logvar) override;
  void decode(const float* z, const int* labels, int n, float* pixels) override;
  const float* decode_logits(const float* z, const int* labels, int n) override;

  // Values of the last forward pass (batch × latent, batch × input).
  const float* last_mu() const { return mu_.data(); }
  const float* last_logvar() const { return logvar_.data(); }
  const float* last_z() const { return z_.data(); }
  const float* last_logits() const { return logits_.data(); }
  // Test hook (gradient checks): appends [unit > 0] for every ReLU output of the last pass.
  void unit_states(int batch, std::vector<char>& states) const;

 private:
  enum class Eps { None, Given, Draw };
  void reserve(int batch);
  // Encoder and heads: μ, logvar (clamped) into mu, logvar.
  void encoder_forward(const float* x, const int* labels, int batch, float* mu, float* logvar);
  const float* decoder_forward(const float* z, const int* labels, int batch);
  VaeLosses forward(const float* x, const int* labels, int batch, Eps eps, Rng* rng = nullptr);
  VaeLosses gradients(const float* x, const int* labels, int batch, Eps eps, Rng* rng = nullptr);
  void require_labels(const int* labels) const;

  ConvVaeConfig config_;
  float kl_weight_ = config_.beta;
  ParameterSet params_;
  std::vector<std::unique_ptr<Conv2d>> enc_conv_;
  std::unique_ptr<Linear> enc_fc_, mu_head_, logvar_head_, dec_fc1_, dec_fc2_;
  std::vector<std::unique_ptr<ConvTranspose2d>> dec_deconv_;  // n of them; the last outputs the logits
  // The label inputs (width = features when unconditional: classes 0 adds no column).
  LabelInput enc_label_{0, 0}, dec_label_{0, 0};
  int capacity_ = 0;
  // enc_act_[i]: conv i's output; dec_act_[i]: the input of deconv i (dec_act_[0] = fc2's output).
  std::vector<AlignedBuffer> enc_act_, enc_grad_, dec_act_, dec_grad_;
  AlignedBuffer h_, grad_h_, grad_h2_, d_h_, grad_d_h_, logits_;
  AlignedBuffer mu_, logvar_, eps_, z_, grad_mu_, grad_logvar_, grad_z_, grad_logits_;
  // Conditional only: [code | onehot] and [z | onehot] of the last pass, and their gradients.
  AlignedBuffer enc_in_, grad_enc_in_, dec_in_, grad_dec_in_;
};

}  // namespace latentlab
