// MLP variational autoencoder (Kingma & Welling 2014), as in PyTorch's examples/vae:
//   encoder   x (input) → hidden… (ReLU) → μ, logvar (latent each, two linear heads)
//   sample    z = μ + exp(½ logvar) ⊙ ε
//   decoder   z → hidden… reversed (ReLU) → input logits;  image = σ(logits)
//   loss      BCE_with_logits(logits, x) summed over pixels and batch + β · KL(sum)
// Conditional (classes > 0; Sohn et al. 2015, CVAE): the encoder reads [x | onehot(y)] and the
// decoder [z | onehot(y)] (LabelInput, nn/label_input.hpp); everything else is unchanged.
#pragma once

#include <memory>
#include <vector>

#include "latentlab/models/model.hpp"
#include "latentlab/models/vae_objective.hpp"
#include "latentlab/nn/label_input.hpp"
#include "latentlab/nn/mlp.hpp"

namespace latentlab {

struct VaeConfig {
  int input = 784;
  std::vector<int> hidden = {400};  // encoder widths; the decoder uses them reversed
  int latent = 20;
  float beta = 1.0f;
  // logvar is clamped to [-logvar_limit, logvar_limit] before use (gradient 0 outside).
  // ±30 never binds in normal training; it stops exp(logvar) overflowing when training diverges.
  float logvar_limit = 30.0f;
  // 0: unconditional; else the number of classes the encoder and decoder are conditioned on.
  int classes = 0;
};

class Vae : public GenerativeModel, public VariationalModel {
 public:
  explicit Vae(const VaeConfig& config);

  const VaeConfig& config() const { return config_; }
  // The weight of the KL term in the training loss and its gradients: config().beta unless set
  // (a KL warm-up sets it per step; config() keeps the configured β).
  float kl_weight() const { return kl_weight_; }
  void set_kl_weight(float weight) { kl_weight_ = weight; }
  ParameterSet& parameters() { return params_; }
  const ParameterSet& parameters() const { return params_; }
  void init(Rng& rng);

  // GenerativeModel
  int latent_dim() const override { return config_.latent; }
  int image_size() const override { return config_.input; }
  PixelRange pixel_range() const override { return PixelRange::ZeroOne; }
  int classes() const override { return config_.classes; }
  VariationalModel* variational() override { return this; }
  MlpDecoder mlp_decoder() const override { return {&decoder_, true}; }

  // Forward + backward on a batch of images in [0,1] (batch×input), ε drawn from rng
  // (batch×latent normals, row-major). Writes every gradient (no zeroing needed). Returns the summed losses.
  // labels: the batch's classes (batch values in [0, classes)) for a conditional VAE, else nullptr.
  VaeLosses compute_gradients(const float* x, const int* labels, int batch, Rng& rng);
  // The same with a given ε (batch×latent), for tests and reference parity.
  VaeLosses compute_gradients(const float* x, const int* labels, int batch, const float* eps);
  // Loss without gradients: with z sampled from rng, or with z = μ when rng is null.
  VaeLosses evaluate(const float* x, const int* labels, int batch, Rng* rng);
  // The unconditional forms (labels = nullptr).
  VaeLosses compute_gradients(const float* x, int batch, Rng& rng) { return compute_gradients(x, nullptr, batch, rng); }
  VaeLosses compute_gradients(const float* x, int batch, const float* eps) { return compute_gradients(x, nullptr, batch, eps); }
  VaeLosses evaluate(const float* x, int batch, Rng* rng) { return evaluate(x, nullptr, batch, rng); }

  // Out of line: VariationalModel's entry (a thunk) then calls it instead of holding a copy.
  [[gnu::noinline]] void encode(const float* x, const int* labels, int n, float* mu, float* logvar) override;
  // Pixels σ(logits) in [0,1] (n×input).
  void decode(const float* z, const int* labels, int n, float* pixels) override;
  const float* decode_logits(const float* z, const int* labels, int n) override;

  // Intermediate values of the last forward pass (batch×latent, batch×latent, batch×latent, batch×input).
  const float* last_mu() const { return mu_.data(); }
  const float* last_logvar() const { return logvar_.data(); }
  const float* last_z() const { return z_.data(); }
  const float* last_logits() const { return logits_; }

  Mlp& encoder() { return encoder_; }
  Linear& mu_head() { return mu_head_; }
  Linear& logvar_head() { return logvar_head_; }
  Mlp& decoder() { return decoder_; }

 private:
  // Where a forward pass takes ε from: none (z = μ), eps_ as the caller filled it, or drawn
  // from an Rng into eps_.
  enum class Eps { None, Given, Draw };
  // Runs encoder, heads, reparameterisation, decoder and the loss, writing the loss gradients
  // for the backward pass. `rng` is read only with Eps::Draw.
  VaeLosses forward(const float* x, const int* labels, int batch, Eps eps, Rng* rng = nullptr);
  // forward() with ε (Given or Draw), then the backward pass.
  VaeLosses gradients(const float* x, const int* labels, int batch, Eps eps, Rng* rng = nullptr);
  void reserve(int batch);
  // The encoder's and the decoder's input: x or z itself (unconditional), else [· | onehot(labels)]
  // in enc_in_ / dec_in_. Throws std::invalid_argument when a conditional VAE gets no labels.
  const float* encoder_input(const float* x, const int* labels, int n);
  const float* decoder_input(const float* z, const int* labels, int n);

  VaeConfig config_;
  float kl_weight_ = config_.beta;
  ParameterSet params_;
  Mlp encoder_;
  Linear mu_head_, logvar_head_;
  Mlp decoder_;
  LabelInput enc_label_, dec_label_;
  int capacity_ = 0;
  int label_capacity_ = 0;  // rows of enc_in_ / dec_in_ (also grown by encode/decode)
  AlignedBuffer enc_in_, dec_in_, grad_dec_in_;
  const float* logits_ = nullptr;
  AlignedBuffer mu_, logvar_, eps_, z_, grad_mu_, grad_logvar_, grad_z_, grad_logits_, grad_hidden_;
};

}  // namespace latentlab
