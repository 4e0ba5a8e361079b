// MLP variational autoencoder (Kingma & Welling 2014), as in PyTorch's examples/vae:
//   encoder   x (input) → hidden… (ReLU) → μ, logvar (latent each, two linear heads)
//   sample    z = μ + exp(½ logvar) ⊙ ε
//   decoder   z → hidden… reversed (ReLU) → input logits;  image = σ(logits)
//   loss      BCE_with_logits(logits, x) summed over pixels and batch + β · KL(sum)
#pragma once

#include <memory>
#include <vector>

#include "latentlab/models/model.hpp"
#include "latentlab/models/vae_objective.hpp"
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
};

class Vae : public GenerativeModel, public VariationalModel {
 public:
  explicit Vae(const VaeConfig& config);

  const VaeConfig& config() const { return config_; }
  ParameterSet& parameters() { return params_; }
  const ParameterSet& parameters() const { return params_; }
  void init(Rng& rng);

  // GenerativeModel
  int latent_dim() const override { return config_.latent; }
  int image_size() const override { return config_.input; }
  PixelRange pixel_range() const override { return PixelRange::ZeroOne; }
  VariationalModel* variational() override { return this; }
  MlpDecoder mlp_decoder() const override { return {&decoder_, true}; }

  // Forward + backward on a batch of images in [0,1] (batch×input), ε drawn from rng
  // (batch×latent normals, row-major). Writes every gradient (no zeroing needed). Returns the summed losses.
  VaeLosses compute_gradients(const float* x, int batch, Rng& rng);
  // The same with a given ε (batch×latent), for tests and reference parity.
  VaeLosses compute_gradients(const float* x, int batch, const float* eps);
  // Loss without gradients: with z sampled from rng, or with z = μ when rng is null.
  VaeLosses evaluate(const float* x, int batch, Rng* rng);

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
  VaeLosses forward(const float* x, int batch, Eps eps, Rng* rng = nullptr);
  // forward() with ε (Given or Draw), then the backward pass.
  VaeLosses gradients(const float* x, int batch, Eps eps, Rng* rng = nullptr);
  void reserve(int batch);

  VaeConfig config_;
  ParameterSet params_;
  Mlp encoder_;
  Linear mu_head_, logvar_head_;
  Mlp decoder_;
  int capacity_ = 0;
  const float* logits_ = nullptr;
  AlignedBuffer mu_, logvar_, eps_, z_, grad_mu_, grad_logvar_, grad_z_, grad_logits_, grad_hidden_;
};

}  // namespace latentlab
