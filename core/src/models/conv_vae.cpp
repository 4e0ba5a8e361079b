// The conv VAE: encoder and decoder stacks forward and backward; the latent and the loss are
// the MLP VAE's (vae_objective.hpp). Math in conv_vae.hpp.
#include "latentlab/models/conv_vae.hpp"

#include <cstring>
#include <stdexcept>

#include "latentlab/kernels/kernels.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "latentlab/models/dcgan.hpp"  // square_side, stride2_stack_problem, the k4 s2 p1 geometry
#include "latentlab/nn/activations.hpp"
#include "latentlab/nn/reparameterize.hpp"
#include "latentlab/rng.hpp"

namespace latentlab {

namespace {
constexpr ActivationSpec kReLU{Activation::ReLU, 0.0f};
constexpr ActivationSpec kIdentity{Activation::Identity, 0.0f};

std::string numbered(const char* prefix, std::size_t i) { return prefix + std::to_string(i + 1); }
}  // namespace

ConvVae::ConvVae(const ConvVaeConfig& config) : config_(config) {
  const int layers = static_cast<int>(config.channels.size());
  if (auto problem = stride2_stack_problem(config.input, layers); !problem.empty())
    throw std::invalid_argument("conv VAE: " + problem);
  if (config.fc < 1 || config.latent < 1) throw std::invalid_argument("conv VAE sizes must be positive");
  if (config.classes < 0) throw std::invalid_argument("conv VAE classes must be >= 0");
  const int side = square_side(config.input);
  ImageShape shape{1, side, side};
  for (std::size_t i = 0; i < config.channels.size(); ++i) {
    enc_conv_.push_back(std::make_unique<Conv2d>(params_, numbered("encoder.conv", i), shape, config.channels[i],
                                                 kDcganKernel, kDcganStride, kDcganPadding, kReLU));
    shape = enc_conv_.back()->output_shape();
  }
  const ImageShape code = shape;  // c_n × b × b
  enc_label_ = LabelInput(code.size(), config.classes);
  dec_label_ = LabelInput(config.latent, config.classes);
  enc_fc_ = std::make_unique<Linear>(params_, "encoder.fc", enc_label_.width(), config.fc, kReLU);
  mu_head_ = std::make_unique<Linear>(params_, "encoder.mu", config.fc, config.latent, kIdentity);
  logvar_head_ = std::make_unique<Linear>(params_, "encoder.logvar", config.fc, config.latent, kIdentity);
  dec_fc1_ = std::make_unique<Linear>(params_, "decoder.fc1", dec_label_.width(), config.fc, kReLU);
  dec_fc2_ = std::make_unique<Linear>(params_, "decoder.fc2", config.fc, code.size(), kReLU);
  shape = code;
  for (std::size_t i = 0; i < config.channels.size(); ++i) {
    const bool last = i + 1 == config.channels.size();
    const int out = last ? 1 : config.channels[config.channels.size() - 2 - i];
    dec_deconv_.push_back(std::make_unique<ConvTranspose2d>(params_, numbered("decoder.deconv", i), shape, out,
                                                            kDcganKernel, kDcganStride, kDcganPadding,
                                                            last ? kIdentity : kReLU));
    shape = dec_deconv_.back()->output_shape();
  }
  params_.allocate();
  add_group("", params_, /*trained=*/true, /*needed_to_generate=*/true);
}

void ConvVae::init(Rng& rng) {
  for (auto& conv : enc_conv_) conv->init(rng);
  for (Linear* l : {enc_fc_.get(), mu_head_.get(), logvar_head_.get(), dec_fc1_.get(), dec_fc2_.get()}) l->init(rng);
  for (auto& deconv : dec_deconv_) deconv->init(rng);
}

void ConvVae::reserve(int batch) {
  if (batch <= capacity_) return;
  const std::size_t b = static_cast<std::size_t>(batch);
  const std::size_t n = enc_conv_.size();
  enc_act_.resize(n);
  enc_grad_.resize(n);
  dec_act_.resize(n);
  dec_grad_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    enc_act_[i].reserve_discard(b * enc_conv_[i]->output_shape().size());
    enc_grad_[i].reserve_discard(b * enc_conv_[i]->output_shape().size());
    dec_act_[i].reserve_discard(b * dec_deconv_[i]->input_shape().size());
    dec_grad_[i].reserve_discard(b * dec_deconv_[i]->input_shape().size());
  }
  const std::size_t hidden = b * static_cast<std::size_t>(config_.fc);
  const std::size_t latent = b * static_cast<std::size_t>(config_.latent);
  const std::size_t pixels = b * static_cast<std::size_t>(config_.input);
  for (AlignedBuffer* buf : {&h_, &grad_h_, &grad_h2_, &d_h_, &grad_d_h_}) buf->reserve_discard(hidden);
  for (AlignedBuffer* buf : {&mu_, &logvar_, &eps_, &z_, &grad_mu_, &grad_logvar_, &grad_z_}) buf->reserve_discard(latent);
  logits_.reserve_discard(pixels);
  grad_logits_.reserve_discard(pixels);
  if (config_.classes > 0) {
    for (AlignedBuffer* buf : {&enc_in_, &grad_enc_in_}) buf->reserve_discard(b * enc_label_.width());
    for (AlignedBuffer* buf : {&dec_in_, &grad_dec_in_}) buf->reserve_discard(b * dec_label_.width());
  }
  capacity_ = batch;
}

void ConvVae::require_labels(const int* labels) const {
  if (config_.classes > 0 && !labels) throw std::invalid_argument("a conditional conv VAE needs the images' labels");
}

void ConvVae::encoder_forward(const float* x, const int* labels, int batch, float* mu, float* logvar) {
  require_labels(labels);
  reserve(batch);
  const float* in = x;
  for (std::size_t i = 0; i < enc_conv_.size(); ++i) {
    enc_conv_[i]->forward(in, batch, enc_act_[i].data());
    in = enc_act_[i].data();
  }
  if (config_.classes > 0) {  // [code | onehot(y)]
    enc_label_.forward(in, labels, batch, enc_in_.data());
    in = enc_in_.data();
  }
  enc_fc_->forward(in, batch, h_.data());  // the last conv's NCHW rows, read flat
  mu_head_->forward(h_.data(), batch, mu);
  logvar_head_->forward(h_.data(), batch, logvar);
  clamp_logvar(logvar, static_cast<std::size_t>(batch) * config_.latent, config_.logvar_limit);
}

const float* ConvVae::decoder_forward(const float* z, const int* labels, int batch) {
  require_labels(labels);
  reserve(batch);
  if (config_.classes > 0) {  // [z | onehot(y)]
    dec_label_.forward(z, labels, batch, dec_in_.data());
    z = dec_in_.data();
  }
  dec_fc1_->forward(z, batch, d_h_.data());
  dec_fc2_->forward(d_h_.data(), batch, dec_act_[0].data());  // c_n × b × b per row
  for (std::size_t i = 0; i < dec_deconv_.size(); ++i) {
    const bool last = i + 1 == dec_deconv_.size();
    dec_deconv_[i]->forward(dec_act_[i].data(), batch, last ? logits_.data() : dec_act_[i + 1].data());
  }
  return logits_.data();
}

VaeLosses ConvVae::forward(const float* x, const int* labels, int batch, Eps eps, Rng* rng) {
  reserve(batch);
  const std::size_t n_latent = static_cast<std::size_t>(batch) * config_.latent;
  encoder_forward(x, labels, batch, mu_.data(), logvar_.data());
  if (eps == Eps::Draw) rng->fill_normal(eps_.data(), n_latent);
  if (eps == Eps::None) {
    std::memcpy(z_.data(), mu_.data(), n_latent * sizeof(float));  // z = μ
  } else {
    reparameterize_forward(mu_.data(), logvar_.data(), eps_.data(), z_.data(), n_latent);
  }
  const float* logits = decoder_forward(z_.data(), labels, batch);
  return vae_losses(logits, x, static_cast<std::size_t>(batch) * config_.input, mu_.data(), logvar_.data(), n_latent,
                    kl_weight_, grad_logits_.data(), grad_mu_.data(), grad_logvar_.data());
}

VaeLosses ConvVae::compute_gradients(const float* x, const int* labels, int batch, Rng& rng) {
  reserve(batch);
  return gradients(x, labels, batch, Eps::Draw, &rng);
}

VaeLosses ConvVae::compute_gradients(const float* x, const int* labels, int batch, const float* eps) {
  reserve(batch);
  std::memcpy(eps_.data(), eps, static_cast<std::size_t>(batch) * config_.latent * sizeof(float));
  return gradients(x, labels, batch, Eps::Given);
}

VaeLosses ConvVae::gradients(const float* x, const int* labels, int batch, Eps eps, Rng* rng) {
  const VaeLosses losses = forward(x, labels, batch, eps, rng);
  const bool conditional = config_.classes > 0;
  const std::size_t n_latent = static_cast<std::size_t>(batch) * config_.latent;
  const std::size_t n_hidden = static_cast<std::size_t>(batch) * config_.fc;
  constexpr ParamGrads kWrite = ParamGrads::Write;  // every parameter is used once: no zeroing
  const std::size_t n = dec_deconv_.size();

  // Decoder, from dL/dlogits = σ(logits) − x back to dL/dz.
  float* grad = grad_logits_.data();
  for (std::size_t i = n; i-- > 0;) {
    const float* out = i + 1 == n ? logits_.data() : dec_act_[i + 1].data();
    dec_deconv_[i]->backward(dec_act_[i].data(), out, grad, batch, dec_grad_[i].data(), kWrite);
    grad = dec_grad_[i].data();
  }
  dec_fc2_->backward(d_h_.data(), dec_act_[0].data(), grad, batch, grad_d_h_.data(), kWrite);
  if (conditional) {  // dL/d[z | onehot] → its z columns
    dec_fc1_->backward(dec_in_.data(), d_h_.data(), grad_d_h_.data(), batch, grad_dec_in_.data(), kWrite);
    dec_label_.backward(grad_dec_in_.data(), batch, grad_z_.data());
  } else {
    dec_fc1_->backward(z_.data(), d_h_.data(), grad_d_h_.data(), batch, grad_z_.data(), kWrite);
  }

  // The latent: dL/dμ, dL/dlogvar (KL weighted by β plus the path through z).
  vae_latent_backward(logvar_.data(), eps_.data(), grad_z_.data(), kl_weight_, config_.logvar_limit, grad_mu_.data(),
                      grad_logvar_.data(), n_latent);

  // Both heads read h: dL/dh = dL/dh|μ + dL/dh|logvar.
  mu_head_->backward(h_.data(), mu_.data(), grad_mu_.data(), batch, grad_h_.data(), kWrite);
  logvar_head_->backward(h_.data(), logvar_.data(), grad_logvar_.data(), batch, grad_h2_.data(), kWrite);
  kernels::axpy(grad_h_.data(), grad_h2_.data(), n_hidden, 1.0f);

  // Encoder: fc, then the convolutions (the first needs no dL/dx).
  const std::size_t m = enc_conv_.size();
  if (conditional) {  // dL/d[code | onehot] → its code columns
    enc_fc_->backward(enc_in_.data(), h_.data(), grad_h_.data(), batch, grad_enc_in_.data(), kWrite);
    enc_label_.backward(grad_enc_in_.data(), batch, enc_grad_[m - 1].data());
  } else {
    enc_fc_->backward(enc_act_[m - 1].data(), h_.data(), grad_h_.data(), batch, enc_grad_[m - 1].data(), kWrite);
  }
  for (std::size_t i = m; i-- > 0;) {
    const float* in = i == 0 ? x : enc_act_[i - 1].data();
    enc_conv_[i]->backward(in, enc_act_[i].data(), enc_grad_[i].data(), batch, i == 0 ? nullptr : enc_grad_[i - 1].data(),
                           kWrite);
  }
  return losses;
}

VaeLosses ConvVae::evaluate(const float* x, const int* labels, int batch, Rng* rng) {
  reserve(batch);
  return rng ? forward(x, labels, batch, Eps::Draw, rng) : forward(x, labels, batch, Eps::None);
}

void ConvVae::encode(const float* x, const int* labels, int n, float* mu, float* logvar) {
  encoder_forward(x, labels, n, mu, logvar);
}

void ConvVae::decode(const float* z, const int* labels, int n, float* pixels) {
  const float* logits = decoder_forward(z, labels, n);
  const std::size_t count = static_cast<std::size_t>(n) * config_.input;
  std::memcpy(pixels, logits, count * sizeof(float));
  sigmoid_forward(pixels, count);
}

const float* ConvVae::decode_logits(const float* z, const int* labels, int n) {
  return decoder_forward(z, labels, n);
}

void ConvVae::unit_states(int batch, std::vector<char>& states) const {
  const auto append = [&](const AlignedBuffer& buffer, std::size_t per_image) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(batch) * per_image; ++i) states.push_back(buffer[i] > 0.0f);
  };
  for (std::size_t i = 0; i < enc_act_.size(); ++i) append(enc_act_[i], enc_conv_[i]->output_shape().size());
  append(h_, config_.fc);
  append(d_h_, config_.fc);
  for (std::size_t i = 0; i < dec_act_.size(); ++i) append(dec_act_[i], dec_deconv_[i]->input_shape().size());
}

}  // namespace latentlab
