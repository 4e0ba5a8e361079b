// The MLP GAN: one training iteration split into the steps listed in gan.hpp.
#include "latentlab/models/gan.hpp"

#include <cstring>
#include <stdexcept>

#include "latentlab/nn/activations.hpp"
#include "latentlab/nn/losses.hpp"
#include "latentlab/rng.hpp"

namespace latentlab {

namespace {
std::vector<LayerSpec> generator_layers(const GanConfig& c) {
  std::vector<LayerSpec> layers;
  const ActivationSpec hidden = c.generator_leaky ? ActivationSpec{Activation::LeakyReLU, c.leaky_slope}
                                                 : ActivationSpec{Activation::ReLU, 0.0f};
  for (std::size_t i = 0; i < c.generator_hidden.size(); ++i) {
    LayerSpec spec{"fc" + std::to_string(i + 1), c.generator_hidden[i], hidden};
    spec.batchnorm = c.generator_batchnorm && i > 0;
    spec.batchnorm_eps = c.batchnorm_eps;
    layers.push_back(spec);
  }
  layers.push_back({"out", c.image, {Activation::Tanh, 0.0f}});
  return layers;
}

std::vector<LayerSpec> discriminator_layers(const GanConfig& c) {
  std::vector<LayerSpec> layers;
  for (std::size_t i = 0; i < c.discriminator_hidden.size(); ++i)
    layers.push_back({"fc" + std::to_string(i + 1), c.discriminator_hidden[i], {Activation::LeakyReLU, c.leaky_slope}});
  layers.push_back({"out", 1, {Activation::Identity, 0.0f}});
  return layers;
}
}  // namespace

Gan::Gan(const GanConfig& config)
    : config_(config),
      generator_(generator_params_, "generator", config.latent + config.classes, generator_layers(config),
                 &generator_buffers_),
      discriminator_(discriminator_params_, "discriminator", config.image + config.classes, discriminator_layers(config)),
      g_label_(config.latent, config.classes),
      d_label_(config.image, config.classes) {
  if (!(config.leaky_slope > 0.0f)) throw std::invalid_argument("GAN leaky_slope must be > 0");
  if (config.classes < 0) throw std::invalid_argument("GAN classes must be >= 0");
  if (config.objective == GanObjective::Wasserstein && !discriminator_.piecewise_linear())
    throw std::invalid_argument("wgan-gp's gradient penalty needs a discriminator without BatchNorm");
  if (config.spectral_norm) {
    std::vector<std::string> weights;
    for (const Linear& layer : discriminator_.layers()) weights.push_back(layer.name() + ".weight");
    d_sn_ = SpectralNormSet(discriminator_params_, discriminator_buffers_, weights);
  }
  generator_params_.allocate();
  discriminator_params_.allocate();
  generator_buffers_.allocate();
  discriminator_buffers_.allocate();
  // Save order: generator, its BatchNorm running statistics, discriminator (optional on load:
  // sampling needs only the generator).
  add_group("generator", generator_params_, /*trained=*/true, /*needed_to_generate=*/true);
  add_group("generator.buffers", generator_buffers_, /*trained=*/false, /*needed_to_generate=*/true);
  add_group("discriminator", discriminator_params_, /*trained=*/true, /*needed_to_generate=*/false);
  if (config.spectral_norm)
    add_group("discriminator.buffers", discriminator_buffers_, /*trained=*/false, /*needed_to_generate=*/false);
}

void Gan::init(Rng& rng) {
  generator_.init(rng);
  discriminator_.init(rng);
  d_sn_.init(rng);
}

double shown_score(GanObjective objective, float s) {
  return scores_are_probabilities(objective) ? stable_sigmoid(s) : s;
}

void Gan::reserve(int batch) {
  if (batch <= capacity_) return;
  z_.reserve_discard(static_cast<std::size_t>(batch) * config_.latent);
  d_input_.reserve_discard(static_cast<std::size_t>(2 * batch) * config_.image);
  grad_logits_.reserve_discard(static_cast<std::size_t>(2 * batch));
  grad_fakes_.reserve_discard(static_cast<std::size_t>(batch) * config_.image);
  if (config_.classes > 0) grad_d_in_.reserve_discard(static_cast<std::size_t>(batch) * d_label_.width());
  capacity_ = batch;
}

const float* Gan::generator_input(const float* z, const int* labels, int n) {
  if (config_.classes == 0) return z;
  if (!labels) throw std::invalid_argument("a conditional GAN needs the images' labels");
  if (static_cast<std::size_t>(n) > g_input_rows_) {
    g_input_.reserve_discard(static_cast<std::size_t>(n) * g_label_.width());
    g_input_rows_ = static_cast<std::size_t>(n);
  }
  g_label_.forward(z, labels, n, g_input_.data());
  return g_input_.data();
}

const float* Gan::discriminator_input(const float* images, const int* labels, int n) {
  if (config_.classes == 0) return images;
  if (!labels) throw std::invalid_argument("a conditional GAN needs the images' labels");
  if (static_cast<std::size_t>(n) > d_scratch_rows_) {
    d_scratch_.reserve_discard(static_cast<std::size_t>(n) * d_label_.width());
    d_scratch_rows_ = static_cast<std::size_t>(n);
  }
  d_label_.forward(images, labels, n, d_scratch_.data());
  return d_scratch_.data();
}

void Gan::generate_fakes(int batch, const int* labels) {
  if (config_.classes > 0) {
    if (!labels) throw std::invalid_argument("a conditional GAN needs the fakes' labels");
    labels_.assign(labels, labels + batch);
    d_labels_.assign(labels, labels + batch);
    d_labels_.insert(d_labels_.end(), labels, labels + batch);
  }
  generator_.set_training(true);
  generator_.forward(generator_input(z_.data(), labels, batch), batch);
}

void Gan::sample_fakes(int batch, Rng& rng, const int* labels) {
  reserve(batch);
  batch_ = batch;
  rng.fill_normal(z_.data(), static_cast<std::size_t>(batch) * config_.latent);
  generate_fakes(batch, labels);
}

void Gan::set_fakes_from(const float* z, int batch, const int* labels) {
  reserve(batch);
  batch_ = batch;
  std::memcpy(z_.data(), z, static_cast<std::size_t>(batch) * config_.latent * sizeof(float));
  generate_fakes(batch, labels);
}

GanLosses Gan::discriminator_gradients(const float* real, const GradientPenaltyDraw* penalty) {
  const int B = batch_;
  const std::size_t n = static_cast<std::size_t>(B);
  const std::size_t image_floats = n * config_.image;
  const GanObjective objective = config_.objective;
  if (objective == GanObjective::Wasserstein && !penalty)
    throw std::invalid_argument("wgan-gp's discriminator step needs the gradient penalty's draw");
  d_sn_.normalize(/*power_iteration=*/true);
  // D sees real and (detached) fake images as one batch of 2B rows: one forward, one backward,
  // and the parameter gradients of both halves add up as L_D's two terms do.
  std::memcpy(d_input_.data(), real, image_floats * sizeof(float));
  std::memcpy(d_input_.data() + image_floats, generator_.output(), image_floats * sizeof(float));
  const float* d_in = discriminator_input(d_input_.data(), d_labels_.data(), 2 * B);
  const float* scores = discriminator_.forward(d_in, 2 * B);

  GanLosses losses;
  float* grad = grad_logits_.data();
  losses.discriminator = discriminator_loss(objective, scores, scores + B, n, grad, grad + B);
  losses.generator = generator_loss(objective, scores + B, n, nullptr);
  for (int i = 0; i < B; ++i) {
    losses.real_score += shown_score(objective, scores[i]);
    losses.fake_score += shown_score(objective, scores[B + i]);
  }
  losses.real_score /= B;
  losses.fake_score /= B;

  // One backward over both halves: each D parameter gradient is written once (no zeroing).
  discriminator_.backward(d_in, grad, 2 * B, nullptr, ParamGrads::Write);
  if (objective == GanObjective::Wasserstein) {
    losses.penalty = add_gradient_penalty(real, *penalty);
    losses.discriminator += losses.penalty;
  }
  d_sn_.backward();
  d_sn_.restore();
  return losses;
}

double Gan::add_gradient_penalty(const float* real, const GradientPenaltyDraw& draw) {
  const int B = batch_;
  const int width = discriminator_.input_size();  // image (+ classes: [x̂ | onehot(y)])
  const std::size_t n = static_cast<std::size_t>(B);
  interpolates_.reserve_discard(n * config_.image);
  input_grad_.reserve_discard(n * width);
  grad_input_grad_.reserve_discard(n * width);
  interpolate_images(real, generator_.output(), draw.eps, B, config_.image, interpolates_.data());
  const float* x = discriminator_input(interpolates_.data(), labels_.data(), B);
  discriminator_.input_gradient(x, B, input_grad_.data());
  const double p = gradient_penalty(input_grad_.data(), B, width, config_.image, draw.lambda, grad_input_grad_.data());
  discriminator_.input_gradient_backward(grad_input_grad_.data(), B);
  return p;
}

double Gan::generator_gradients() {
  const int B = batch_;
  const float* fakes = generator_.output();
  // L_G through the current D; D's own gradients are not needed.
  d_sn_.normalize(/*power_iteration=*/false);
  const float* d_in = discriminator_input(fakes, labels_.data(), B);
  const float* scores = discriminator_.forward(d_in, B);
  const double loss = generator_loss(config_.objective, scores, static_cast<std::size_t>(B), grad_logits_.data());
  if (config_.classes == 0) {
    discriminator_.backward(fakes, grad_logits_.data(), B, grad_fakes_.data(), ParamGrads::Skip);
    d_sn_.restore();
    generator_.backward(z_.data(), grad_fakes_.data(), B, nullptr, ParamGrads::Write);
  } else {
    // dL/d[fakes | onehot] → its image columns; G's input [z | onehot] is still in g_input_.
    discriminator_.backward(d_in, grad_logits_.data(), B, grad_d_in_.data(), ParamGrads::Skip);
    d_sn_.restore();
    d_label_.backward(grad_d_in_.data(), B, grad_fakes_.data());
    generator_.backward(g_input_.data(), grad_fakes_.data(), B, nullptr, ParamGrads::Write);
  }
  return loss;
}

void Gan::generate(const float* z, const int* labels, int n, float* images) {
  // Sampling uses BatchNorm's running statistics (eval mode), so an image does not depend on
  // the other images of its batch.
  generator_.set_training(false);
  const float* out = generator_.forward(generator_input(z, labels, n), n);
  generator_.set_training(true);
  std::memcpy(images, out, static_cast<std::size_t>(n) * config_.image * sizeof(float));
}

void Gan::decode(const float* z, const int* labels, int n, float* pixels) {
  generate(z, labels, n, pixels);
  pixels_to_unit(pixel_range(), pixels, static_cast<std::size_t>(n) * static_cast<std::size_t>(config_.image));
}

void Gan::discriminate(const float* images, const int* labels, int n, float* logits) {
  d_sn_.normalize(/*power_iteration=*/false);
  const float* out = discriminator_.forward(discriminator_input(images, labels, n), n);
  d_sn_.restore();
  std::memcpy(logits, out, static_cast<std::size_t>(n) * sizeof(float));
}

}  // namespace latentlab
