// The MLP VAE: forward pass, loss, and the backward pass through decoder,
// reparameterisation, the two encoder heads and the encoder (math in vae.hpp).
#include "latentlab/models/vae.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "latentlab/kernels/kernels.hpp"
#include "latentlab/nn/losses.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "latentlab/nn/reparameterize.hpp"
#include "latentlab/rng.hpp"

namespace latentlab {

namespace {
constexpr ActivationSpec kReLU{Activation::ReLU, 0.0f};
constexpr ActivationSpec kIdentity{Activation::Identity, 0.0f};

std::vector<LayerSpec> encoder_layers(const VaeConfig& c) {
  if (c.hidden.empty()) throw std::invalid_argument("VAE needs at least one hidden layer");
  std::vector<LayerSpec> layers;
  for (std::size_t i = 0; i < c.hidden.size(); ++i) layers.push_back({"fc" + std::to_string(i + 1), c.hidden[i], kReLU});
  return layers;
}

std::vector<LayerSpec> decoder_layers(const VaeConfig& c) {
  // The encoder's hidden widths in reverse, then the output logits.
  std::vector<LayerSpec> layers;
  for (std::size_t i = 0; i < c.hidden.size(); ++i)
    layers.push_back({"fc" + std::to_string(i + 1), c.hidden[c.hidden.size() - 1 - i], kReLU});
  layers.push_back({"out", c.input, kIdentity});
  return layers;
}
}  // namespace

Vae::Vae(const VaeConfig& config)
    : config_(config),
      encoder_(params_, "encoder", config.input + config.classes, encoder_layers(config)),
      mu_head_(params_, "encoder.mu", config.hidden.back(), config.latent, kIdentity),
      logvar_head_(params_, "encoder.logvar", config.hidden.back(), config.latent, kIdentity),
      decoder_(params_, "decoder", config.latent + config.classes, decoder_layers(config)),
      enc_label_(config.input, config.classes),
      dec_label_(config.latent, config.classes) {
  if (config.classes < 0) throw std::invalid_argument("VAE classes must be >= 0");
  encoder_.set_sparse_input(true);  // pixels (and a one-hot code): mostly exact zeros  // pixels: mostly exact zeros
  params_.allocate();
  add_group("", params_, /*trained=*/true, /*needed_to_generate=*/true);
}

void Vae::init(Rng& rng) {
  encoder_.init(rng);
  mu_head_.init(rng);
  logvar_head_.init(rng);
  decoder_.init(rng);
}

void Vae::reserve(int batch) {
  if (batch <= capacity_) return;
  const std::size_t latent = static_cast<std::size_t>(batch) * config_.latent;
  for (AlignedBuffer* b : {&mu_, &logvar_, &eps_, &z_, &grad_mu_, &grad_logvar_, &grad_z_}) b->reserve_discard(latent);
  grad_logits_.reserve_discard(static_cast<std::size_t>(batch) * config_.input);
  grad_hidden_.reserve_discard(static_cast<std::size_t>(batch) * config_.hidden.back() * 2);
  if (config_.classes > 0)
    grad_dec_in_.reserve_discard(static_cast<std::size_t>(batch) * dec_label_.width());
  capacity_ = batch;
}

const float* Vae::encoder_input(const float* x, const int* labels, int n) {
  if (config_.classes == 0) return x;
  if (!labels) throw std::invalid_argument("a conditional VAE needs the images' labels");
  if (n > label_capacity_) {
    enc_in_.reserve_discard(static_cast<std::size_t>(n) * enc_label_.width());
    dec_in_.reserve_discard(static_cast<std::size_t>(n) * dec_label_.width());
    label_capacity_ = n;
  }
  enc_label_.forward(x, labels, n, enc_in_.data());
  return enc_in_.data();
}

const float* Vae::decoder_input(const float* z, const int* labels, int n) {
  if (config_.classes == 0) return z;
  if (!labels) throw std::invalid_argument("a conditional VAE needs the images' labels");
  if (n > label_capacity_) {
    enc_in_.reserve_discard(static_cast<std::size_t>(n) * enc_label_.width());
    dec_in_.reserve_discard(static_cast<std::size_t>(n) * dec_label_.width());
    label_capacity_ = n;
  }
  dec_label_.forward(z, labels, n, dec_in_.data());
  return dec_in_.data();
}

VaeLosses Vae::forward(const float* x, const int* labels, int batch, Eps eps, Rng* rng) {
  reserve(batch);
  const std::size_t n_latent = static_cast<std::size_t>(batch) * config_.latent;
  const std::size_t n_pixels = static_cast<std::size_t>(batch) * config_.input;

  const float* h = encoder_.forward(encoder_input(x, labels, batch), batch);
  // μ = h W_μᵀ + b_μ,  logvar = clamp(h W_lvᵀ + b_lv): two heads that read h and write disjoint outputs.
  float* logvar = logvar_.data();
  const auto mu_head = [&] { mu_head_.forward(h, batch, mu_.data()); };
  const auto logvar_head = [&] {
    logvar_head_.forward(h, batch, logvar);
    clamp_logvar(logvar, n_latent, config_.logvar_limit);
  };
  if (eps == Eps::Draw) {
    // ε ~ N(0, I) needs nothing computed so far: drawn beside the heads.
    parallel::both([&] { rng->fill_normal(eps_.data(), n_latent); }, [&] { mu_head(); logvar_head(); });
  } else {
    parallel::both(mu_head, logvar_head);
  }

  if (eps == Eps::None) {
    std::memcpy(z_.data(), mu_.data(), n_latent * sizeof(float));  // z = μ
  } else {
    reparameterize_forward(mu_.data(), logvar, eps_.data(), z_.data(), n_latent);  // z = μ + σ ⊙ ε
  }
  logits_ = decoder_.forward(decoder_input(z_.data(), labels, batch), batch);

  // Losses summed over the batch; their gradients are written for the backward pass.
  return vae_losses(logits_, x, n_pixels, mu_.data(), logvar, n_latent, kl_weight_, grad_logits_.data(),
                    grad_mu_.data(), grad_logvar_.data());
}

VaeLosses Vae::compute_gradients(const float* x, const int* labels, int batch, Rng& rng) {
  reserve(batch);
  return gradients(x, labels, batch, Eps::Draw, &rng);
}

VaeLosses Vae::compute_gradients(const float* x, const int* labels, int batch, const float* eps) {
  reserve(batch);
  if (eps != eps_.data())
    std::memcpy(eps_.data(), eps, static_cast<std::size_t>(batch) * config_.latent * sizeof(float));
  return gradients(x, labels, batch, Eps::Given);
}

VaeLosses Vae::gradients(const float* x, const int* labels, int batch, Eps eps, Rng* rng) {
  const VaeLosses losses = forward(x, labels, batch, eps, rng);
  const std::size_t n_latent = static_cast<std::size_t>(batch) * config_.latent;
  const std::size_t n_hidden = static_cast<std::size_t>(batch) * config_.hidden.back();
  // Every parameter is used once in the graph, so each gradient has exactly one contribution:
  // the layers write them (ParamGrads::Write) and no zeroing pass is needed.
  constexpr ParamGrads kWrite = ParamGrads::Write;

  // Decoder: dL/dlogits = σ(logits) − x (from the BCE) → dL/dz (conditional: dL/d[z | onehot], then
  // its z columns).
  if (config_.classes == 0) {
    decoder_.backward(z_.data(), grad_logits_.data(), batch, grad_z_.data(), kWrite);
  } else {
    decoder_.backward(dec_in_.data(), grad_logits_.data(), batch, grad_dec_in_.data(), kWrite);
    dec_label_.backward(grad_dec_in_.data(), batch, grad_z_.data());
  }

  // dL/dμ, dL/dlogvar: the KL's (weighted by β) plus the path through z.
  vae_latent_backward(logvar_.data(), eps_.data(), grad_z_.data(), kl_weight_, config_.logvar_limit, grad_mu_.data(),
                      grad_logvar_.data(), n_latent);

  // Both heads read the same hidden activations h: dL/dh = dL/dh|μ + dL/dh|logvar.
  float* grad_h = grad_hidden_.data();
  float* grad_h_logvar = grad_hidden_.data() + n_hidden;
  const float* h = encoder_.output();
  parallel::both([&] { mu_head_.backward(h, mu_.data(), grad_mu_.data(), batch, grad_h, kWrite); },
                 [&] { logvar_head_.backward(h, logvar_.data(), grad_logvar_.data(), batch, grad_h_logvar, kWrite); });
  parallel::for_elements(n_hidden, parallel::Cost::Cheap, [&](std::size_t begin, std::size_t end) {
    kernels::axpy(grad_h + begin, grad_h_logvar + begin, end - begin, 1.0f);
  });

  encoder_.backward(config_.classes == 0 ? x : enc_in_.data(), grad_h, batch, nullptr, kWrite);
  return losses;
}

VaeLosses Vae::evaluate(const float* x, const int* labels, int batch, Rng* rng) {
  reserve(batch);
  return rng ? forward(x, labels, batch, Eps::Draw, rng) : forward(x, labels, batch, Eps::None);
}

void Vae::encode(const float* x, const int* labels, int n, float* mu, float* logvar) {
  const float* h = encoder_.forward(encoder_input(x, labels, n), n);
  mu_head_.forward(h, n, mu);
  logvar_head_.forward(h, n, logvar);
  clamp_logvar(logvar, static_cast<std::size_t>(n) * config_.latent, config_.logvar_limit);
}

void Vae::decode(const float* z, const int* labels, int n, float* pixels) {
  const float* logits = decoder_.forward(decoder_input(z, labels, n), n);
  const std::size_t count = static_cast<std::size_t>(n) * config_.input;
  std::memcpy(pixels, logits, count * sizeof(float));
  sigmoid_forward(pixels, count);
}

const float* Vae::decode_logits(const float* z, const int* labels, int n) {
  return decoder_.forward(decoder_input(z, labels, n), n);
}

}  // namespace latentlab
