// The DCGAN: its two conv stacks, forward and backward, and one training iteration split into
// the steps listed in dcgan.hpp.
#include "latentlab/models/dcgan.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "latentlab/nn/gan_objectives.hpp"
#include "latentlab/rng.hpp"

namespace latentlab {

int square_side(int image) {
  int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(image))));
  return side > 0 && side * side == image ? side : 0;
}

std::string stride2_stack_problem(int image, int layers) {
  const int side = square_side(image);
  if (side == 0) return "a conv model needs square images (" + std::to_string(image) + " pixels is not a square)";
  if (layers < 1 || layers > 8 || side % (1 << layers) != 0)
    return std::to_string(layers) + " stride-2 layers need an image side divisible by " + std::to_string(1 << layers) +
           " (the side is " + std::to_string(side) + ")";
  return std::string();
}

const char* discriminator_conditioning_name(DiscriminatorConditioning how) {
  return how == DiscriminatorConditioning::Channels ? "channels" : "projection";
}

std::optional<DiscriminatorConditioning> parse_discriminator_conditioning(const std::string& name) {
  if (name == "projection") return DiscriminatorConditioning::Projection;
  if (name == "channels") return DiscriminatorConditioning::Channels;
  return std::nullopt;
}

namespace {

std::string stage(const char* prefix, const char* layer, std::size_t i) {
  return std::string(prefix) + "." + layer + std::to_string(i + 1);
}

// Every value of tensor `name` ~ N(mean, std).
void fill_normal(ParameterSet& set, const std::string& name, float mean, float std, Rng& rng) {
  const TensorInfo* t = set.find(name);
  if (!t) throw std::logic_error("no tensor " + name);
  float* v = set.values() + t->offset;
  rng.fill_normal(v, t->size);
  for (std::size_t i = 0; i < t->size; ++i) v[i] = mean + std * v[i];
}

// A conv bias followed by BatchNorm changes nothing (BN subtracts each channel's mean), so its exact
// gradient is 0; the computed Σg is rounding noise, which Adam would turn into ±lr steps. Such
// biases are held at 0 (PyTorch's example has none: bias=False): set at init, gradient written 0.
// (The generator's Linear bias is per feature, not per channel, so it is not redundant.)
void zero_tensor(float* base, const ParameterSet& set, const std::string& name) {
  const TensorInfo* t = set.find(name);
  if (!t) throw std::logic_error("no tensor " + name);
  std::fill(base + t->offset, base + t->offset + t->size, 0.0f);
}

void check_config(const DcganConfig& c) {
  for (const std::string& problem : {stride2_stack_problem(c.image, static_cast<int>(c.generator_channels.size())),
                                     stride2_stack_problem(c.image, static_cast<int>(c.discriminator_channels.size()))})
    if (!problem.empty()) throw std::invalid_argument("DCGAN: " + problem);
  if (c.latent < 1) throw std::invalid_argument("DCGAN latent must be positive");
  if (!(c.leaky_slope > 0.0f)) throw std::invalid_argument("DCGAN leaky_slope must be > 0");
  if (c.objective == GanObjective::Wasserstein && c.discriminator_batchnorm && c.discriminator_channels.size() > 1)
    throw std::invalid_argument("DCGAN: wgan-gp's gradient penalty needs a critic without BatchNorm");
  if (c.classes < 0) throw std::invalid_argument("DCGAN classes must be >= 0");
  if (c.classes > 0 && c.objective == GanObjective::Wasserstein)
    throw std::invalid_argument("DCGAN: wgan-gp's gradient penalty is not implemented for a conditional critic");
}

}  // namespace

Dcgan::Dcgan(const DcganConfig& config) : config_(config), g_label_(config.latent, config.classes) {
  check_config(config);
  leaky_.slope = config.leaky_slope;
  const int side = square_side(config.image);
  const std::vector<int>& g = config.generator_channels;
  const std::vector<int>& d = config.discriminator_channels;

  // Generator: Linear to g₁ × b × b (b = side / 2ⁿ), then BN + ReLU and a ConvT per stage.
  const int base = side >> g.size();
  g_fc_ = std::make_unique<Linear>(generator_params_, "generator.fc", g_label_.width(), g[0] * base * base,
                                   ActivationSpec{});
  ImageShape shape{g[0], base, base};
  for (std::size_t i = 0; i < g.size(); ++i) {
    g_bn_.push_back(std::make_unique<BatchNorm2d>(generator_params_, generator_buffers_, stage("generator", "bn", i),
                                                  shape, config.batchnorm_eps));
    const bool last = i + 1 == g.size();
    g_deconv_.push_back(std::make_unique<ConvTranspose2d>(
        generator_params_, stage("generator", "deconv", i), shape, last ? 1 : g[i + 1], kDcganKernel, kDcganStride,
        kDcganPadding, last ? ActivationSpec{Activation::Tanh, 0.0f} : ActivationSpec{}));
    shape = g_deconv_.back()->output_shape();
  }

  // Discriminator: Conv + LeakyReLU, then Conv + BN + LeakyReLU per further stage, then Linear.
  // Without BatchNorm every conv has its LeakyReLU fused, as the first one always has. With label
  // channels the first conv reads the image and one plane per class.
  const bool label_channels =
      config.classes > 0 && config.discriminator_conditioning == DiscriminatorConditioning::Channels;
  if (label_channels) d_label_ = LabelInput(config.image, config.classes, config.image);
  shape = ImageShape{label_channels ? 1 + config.classes : 1, side, side};
  std::vector<std::string> d_weights;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const bool batchnorm = i > 0 && config.discriminator_batchnorm;
    d_conv_.push_back(std::make_unique<Conv2d>(discriminator_params_, stage("discriminator", "conv", i), shape, d[i],
                                               kDcganKernel, kDcganStride, kDcganPadding,
                                               batchnorm ? ActivationSpec{} : leaky_));
    d_weights.push_back(stage("discriminator", "conv", i) + ".weight");
    shape = d_conv_.back()->output_shape();
    if (batchnorm)
      d_bn_.push_back(std::make_unique<BatchNorm2d>(discriminator_params_, discriminator_buffers_,
                                                    stage("discriminator", "bn", i), shape, config.batchnorm_eps));
  }
  d_out_ = std::make_unique<Linear>(discriminator_params_, "discriminator.out", shape.size(), 1, ActivationSpec{});
  d_weights.push_back("discriminator.out.weight");
  if (config.spectral_norm) d_sn_ = SpectralNormSet(discriminator_params_, discriminator_buffers_, d_weights);
  if (config.classes > 0 && !label_channels)
    d_embed_ = std::make_unique<ClassProjection>(discriminator_params_, "discriminator.embed", shape.size(), config.classes);

  generator_params_.allocate();
  generator_buffers_.allocate();
  discriminator_params_.allocate();
  discriminator_buffers_.allocate();
  for (auto& bn : g_bn_) bn->init();
  for (auto& bn : d_bn_) bn->init();
  // Save order: the generator and its BatchNorm statistics (all a sampler needs), then the
  // discriminator and its statistics (optional on load).
  add_group("generator", generator_params_, /*trained=*/true, /*needed_to_generate=*/true);
  add_group("generator.buffers", generator_buffers_, /*trained=*/false, /*needed_to_generate=*/true);
  add_group("discriminator", discriminator_params_, /*trained=*/true, /*needed_to_generate=*/false);
  add_group("discriminator.buffers", discriminator_buffers_, /*trained=*/false, /*needed_to_generate=*/false);
}

void Dcgan::init(Rng& rng) {
  // The layers' default init (biases U(±1/√fan_in)), then the example's weights_init:
  // conv/linear weights ~ N(0, 0.02), BatchNorm γ ~ N(1, 0.02), β = 0; generator first.
  g_fc_->init(rng);
  fill_normal(generator_params_, "generator.fc.weight", 0.0f, 0.02f, rng);
  for (std::size_t i = 0; i < g_deconv_.size(); ++i) {
    g_bn_[i]->init();
    fill_normal(generator_params_, stage("generator", "bn", i) + ".weight", 1.0f, 0.02f, rng);
    g_deconv_[i]->init(rng);
    fill_normal(generator_params_, stage("generator", "deconv", i) + ".weight", 0.0f, 0.02f, rng);
  }
  for (std::size_t i = 0; i < d_conv_.size(); ++i) {
    d_conv_[i]->init(rng);
    fill_normal(discriminator_params_, stage("discriminator", "conv", i) + ".weight", 0.0f, 0.02f, rng);
    if (i > 0 && config_.discriminator_batchnorm) {
      d_bn_[i - 1]->init();
      fill_normal(discriminator_params_, stage("discriminator", "bn", i) + ".weight", 1.0f, 0.02f, rng);
    }
  }
  d_out_->init(rng);
  fill_normal(discriminator_params_, "discriminator.out.weight", 0.0f, 0.02f, rng);
  d_sn_.init(rng);
  if (d_embed_) fill_normal(discriminator_params_, "discriminator.embed.weight", 0.0f, 0.02f, rng);  // as the weights
  for_each_bias_before_batchnorm([](ParameterSet& set, const std::string& name) { zero_tensor(set.values(), set, name); });
}

void Dcgan::for_each_bias_before_batchnorm(const std::function<void(ParameterSet&, const std::string&)>& f) {
  for (std::size_t i = 0; i + 1 < g_deconv_.size(); ++i) f(generator_params_, stage("generator", "deconv", i) + ".bias");
  for (std::size_t i = 1; config_.discriminator_batchnorm && i < d_conv_.size(); ++i)
    f(discriminator_params_, stage("discriminator", "conv", i) + ".bias");
}

void Dcgan::reserve(int batch) {
  if (batch <= capacity_) return;
  const std::size_t b = static_cast<std::size_t>(batch);
  const std::size_t n = g_bn_.size(), m = d_conv_.size();
  g_pre_.resize(n);
  g_act_.resize(n);
  g_grad_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t size = b * static_cast<std::size_t>(g_deconv_[i]->input_shape().size());
    g_pre_[i].reserve_discard(size);
    g_act_[i].reserve_discard(size);
    g_grad_[i].reserve_discard(size);
  }
  d_pre_.resize(m);
  d_act_.resize(m);
  d_grad_.resize(m);
  for (std::size_t i = 0; i < m; ++i) {
    const std::size_t size = b * static_cast<std::size_t>(d_conv_[i]->output_shape().size());
    d_pre_[i].reserve_discard(size);
    d_act_[i].reserve_discard(size);
    d_grad_[i].reserve_discard(size);
  }
  const std::size_t pixels = b * static_cast<std::size_t>(config_.image);
  z_.reserve_discard(b * static_cast<std::size_t>(config_.latent));
  g_out_.reserve_discard(pixels);
  grad_fakes_.reserve_discard(pixels);
  d_logits_.reserve_discard(b);
  grad_logits_.reserve_discard(b);
  if (config_.classes > 0) g_in_.reserve_discard(b * static_cast<std::size_t>(g_label_.width()));
  if (d_label_.classes() > 0) {
    d_in_.reserve_discard(b * static_cast<std::size_t>(d_label_.width()));
    d_in_grad_.reserve_discard(b * static_cast<std::size_t>(d_label_.width()));
  }
  capacity_ = batch;
}

// ---- generator ----

void Dcgan::require_labels(const int* labels) const {
  if (config_.classes > 0 && !labels) throw std::invalid_argument("a conditional DCGAN needs the images' labels");
}

const float* Dcgan::generator_forward(const float* z, const int* labels, int batch, bool training) {
  reserve(batch);
  const float* in = z;
  if (config_.classes > 0) {  // [z | onehot(y)]
    require_labels(labels);
    g_label_.forward(z, labels, batch, g_in_.data());
    in = g_in_.data();
  }
  for (std::size_t i = 0; i < g_bn_.size(); ++i) {
    if (i == 0) {
      g_fc_->forward(in, batch, g_pre_[0].data());  // NCHW rows: the Linear's output is g₁ × b × b
    } else {
      g_deconv_[i - 1]->forward(g_act_[i - 1].data(), batch, g_pre_[i].data());
    }
    g_bn_[i]->forward(g_pre_[i].data(), batch, g_act_[i].data(), training);
    const std::size_t size = static_cast<std::size_t>(batch) * g_deconv_[i]->input_shape().size();
    activation_forward(relu_, g_act_[i].data(), size);
  }
  g_deconv_.back()->forward(g_act_.back().data(), batch, g_out_.data());  // tanh fused
  return g_out_.data();
}

void Dcgan::generator_backward(float* grad_out, int batch) {
  constexpr ParamGrads kWrite = ParamGrads::Write;  // every parameter has one contribution
  const std::size_t n = g_bn_.size();
  g_deconv_.back()->backward(g_act_[n - 1].data(), g_out_.data(), grad_out, batch, g_grad_[n - 1].data(), kWrite);
  for (std::size_t i = n; i-- > 0;) {
    float* grad = g_grad_[i].data();  // dL/d act_i → dL/d pre_i, in place
    const std::size_t size = static_cast<std::size_t>(batch) * g_deconv_[i]->input_shape().size();
    activation_backward(relu_, g_act_[i].data(), grad, size);
    g_bn_[i]->backward(grad, batch, kWrite);
    if (i == 0) {
      const float* in = config_.classes > 0 ? g_in_.data() : z_.data();  // G's input of the training pass
      g_fc_->backward(in, g_pre_[0].data(), grad, batch, nullptr, kWrite);
    } else {
      g_deconv_[i - 1]->backward(g_act_[i - 1].data(), g_pre_[i].data(), grad, batch, g_grad_[i - 1].data(), kWrite);
    }
  }
  for_each_bias_before_batchnorm([this](ParameterSet& set, const std::string& name) {
    if (&set == &generator_params_) zero_tensor(set.grads(), set, name);
  });
}

// ---- discriminator ----

const float* Dcgan::discriminator_forward(const float* x, const int* labels, int batch, bool training) {
  require_labels(labels);
  reserve(batch);
  if (d_label_.classes() > 0) {  // [x | label planes]
    d_label_.forward(x, labels, batch, d_in_.data());
    x = d_in_.data();
  }
  d_conv_[0]->forward(x, batch, d_act_[0].data());  // LeakyReLU fused
  for (std::size_t i = 1; i < d_conv_.size(); ++i) {
    if (d_bn_.empty()) {  // LeakyReLU fused
      d_conv_[i]->forward(d_act_[i - 1].data(), batch, d_act_[i].data());
      continue;
    }
    d_conv_[i]->forward(d_act_[i - 1].data(), batch, d_pre_[i].data());
    d_bn_[i - 1]->forward(d_pre_[i].data(), batch, d_act_[i].data(), training);
    activation_forward(leaky_, d_act_[i].data(), static_cast<std::size_t>(batch) * d_conv_[i]->output_shape().size());
  }
  d_out_->forward(d_act_.back().data(), batch, d_logits_.data());  // ψ(h)
  if (d_embed_) d_embed_->forward(d_act_.back().data(), labels, batch, d_logits_.data());  // + ⟨E[y], h⟩
  return d_logits_.data();
}

void Dcgan::discriminator_backward(const float* x, const int* labels, float* grad_logits, int batch, ParamGrads mode,
                                   float* grad_x) {
  const std::size_t m = d_conv_.size();
  d_out_->backward(d_act_[m - 1].data(), d_logits_.data(), grad_logits, batch, d_grad_[m - 1].data(), mode);
  if (d_embed_) d_embed_->backward(d_act_[m - 1].data(), labels, grad_logits, batch, d_grad_[m - 1].data(), mode);
  for (std::size_t i = m; i-- > 1;) {
    float* grad = d_grad_[i].data();  // dL/d act_i → dL/d pre_i, in place
    if (d_bn_.empty()) {  // LeakyReLU fused into the conv
      d_conv_[i]->backward(d_act_[i - 1].data(), d_act_[i].data(), grad, batch, d_grad_[i - 1].data(), mode);
      continue;
    }
    activation_backward(leaky_, d_act_[i].data(), grad, static_cast<std::size_t>(batch) * d_conv_[i]->output_shape().size());
    d_bn_[i - 1]->backward(grad, batch, mode);
    d_conv_[i]->backward(d_act_[i - 1].data(), d_pre_[i].data(), grad, batch, d_grad_[i - 1].data(), mode);
  }
  // With label planes conv1 read d_in_ (the forward's); dL/dx is the image channel of its input gradient.
  const bool planes = d_label_.classes() > 0;
  float* grad_in = planes && grad_x ? d_in_grad_.data() : grad_x;
  if (mode != ParamGrads::Skip || grad_x != nullptr)
    d_conv_[0]->backward(planes ? d_in_.data() : x, d_act_[0].data(), d_grad_[0].data(), batch, grad_in, mode);
  if (planes && grad_x) d_label_.backward(d_in_grad_.data(), batch, grad_x);
  if (mode == ParamGrads::Skip) return;
  for_each_bias_before_batchnorm([this](ParameterSet& set, const std::string& name) {
    if (&set == &discriminator_params_) zero_tensor(set.grads(), set, name);
  });
}

// ---- one iteration ----

void Dcgan::set_fakes(int batch, const int* labels) {
  if (config_.classes > 0) {
    require_labels(labels);
    labels_.assign(labels, labels + batch);
  }
  generator_forward(z_.data(), labels_.data(), batch, /*training=*/true);
}

void Dcgan::sample_fakes(int batch, Rng& rng, const int* labels) {
  reserve(batch);
  batch_ = batch;
  rng.fill_normal(z_.data(), static_cast<std::size_t>(batch) * config_.latent);
  set_fakes(batch, labels);
}

void Dcgan::set_fakes_from(const float* z, int batch, const int* labels) {
  reserve(batch);
  batch_ = batch;
  std::memcpy(z_.data(), z, static_cast<std::size_t>(batch) * config_.latent * sizeof(float));
  set_fakes(batch, labels);
}

const float* Dcgan::fakes() const { return g_out_.data(); }

GanLosses Dcgan::discriminator_gradients(const float* real, const GradientPenaltyDraw* penalty) {
  if (config_.objective == GanObjective::Wasserstein && !penalty)
    throw std::invalid_argument("wgan-gp's discriminator step needs the gradient penalty's draw");
  const int B = batch_;
  const std::size_t n = static_cast<std::size_t>(B);
  const GanObjective objective = config_.objective;
  GanLosses losses;
  float* grad = grad_logits_.data();
  d_sn_.normalize(/*power_iteration=*/true);
  // Real batch: L_D's real term (bce: BCE(D(real), 1) = mean softplus(−r)); its backward writes
  // D's gradients.
  const int* y = labels_.data();  // the real batch's labels are the fakes' (conditional)
  const float* scores = discriminator_forward(real, y, B, true);
  losses.discriminator = discriminator_real_loss(objective, scores, n, grad);
  for (std::size_t i = 0; i < n; ++i) losses.real_score += shown_score(objective, scores[i]);
  discriminator_backward(real, y, grad, B, ParamGrads::Write, nullptr);
  // Fake batch (detached from G): the fake term (bce: BCE(D(fakes), 0) = mean softplus(f)); its
  // gradients add up.
  scores = discriminator_forward(g_out_.data(), y, B, true);
  losses.discriminator += discriminator_fake_loss(objective, scores, n, grad);
  losses.generator = generator_loss(objective, scores, n, nullptr);
  for (std::size_t i = 0; i < n; ++i) losses.fake_score += shown_score(objective, scores[i]);
  discriminator_backward(g_out_.data(), y, grad, B, ParamGrads::Accumulate, nullptr);
  if (config_.objective == GanObjective::Wasserstein) {
    // λ mean (‖∇ₓD(x̂)‖ − 1)² on x̂ = εx + (1 − ε)x̃ (nn/gradient_penalty.hpp).
    const std::size_t pixels = n * static_cast<std::size_t>(config_.image);
    interpolates_.reserve_discard(pixels);
    input_grad_.reserve_discard(pixels);
    grad_input_grad_.reserve_discard(pixels);
    interpolate_images(real, g_out_.data(), penalty->eps, B, config_.image, interpolates_.data());
    input_gradient(interpolates_.data(), B, input_grad_.data());
    losses.penalty = gradient_penalty(input_grad_.data(), B, config_.image, penalty->lambda, grad_input_grad_.data());
    input_gradient_backward(grad_input_grad_.data(), B);
    losses.discriminator += losses.penalty;
  }
  d_sn_.backward();
  d_sn_.restore();
  losses.real_score /= B;
  losses.fake_score /= B;
  return losses;
}

double Dcgan::generator_gradients() {
  const int B = batch_;
  // L_G through the current D (training mode, as the example); only dL/dfakes is taken from D.
  d_sn_.normalize(/*power_iteration=*/false);
  const float* scores = discriminator_forward(g_out_.data(), labels_.data(), B, true);
  const double loss = generator_loss(config_.objective, scores, static_cast<std::size_t>(B), grad_logits_.data());
  discriminator_backward(g_out_.data(), labels_.data(), grad_logits_.data(), B, ParamGrads::Skip, grad_fakes_.data());
  d_sn_.restore();
  generator_backward(grad_fakes_.data(), B);
  return loss;
}

void Dcgan::generate(const float* z, const int* labels, int n, float* images) {
  const float* out = generator_forward(z, labels, n, /*training=*/false);
  std::memcpy(images, out, static_cast<std::size_t>(n) * config_.image * sizeof(float));
}

void Dcgan::decode(const float* z, const int* labels, int n, float* pixels) {
  generate(z, config_.classes > 0 ? labels : nullptr, n, pixels);
  pixels_to_unit(pixel_range(), pixels, static_cast<std::size_t>(n) * static_cast<std::size_t>(config_.image));
}

void Dcgan::discriminate(const float* images, const int* labels, int n, float* logits) {
  d_sn_.normalize(/*power_iteration=*/false);
  const float* out = discriminator_forward(images, labels, n, /*training=*/false);
  d_sn_.restore();
  std::memcpy(logits, out, static_cast<std::size_t>(n) * sizeof(float));
}

void Dcgan::input_gradient(const float* x, int batch, float* g) {
  if (!d_bn_.empty()) throw std::logic_error("DCGAN input_gradient needs a critic without BatchNorm");
  // Unconditional critics only (the constructor refuses a conditional wgan-gp DCGAN).
  discriminator_forward(x, nullptr, batch, /*training=*/true);
  ones_.reserve_discard(static_cast<std::size_t>(batch));
  for (int i = 0; i < batch; ++i) ones_[static_cast<std::size_t>(i)] = 1.0f;
  std::vector<float> grad_out(ones_.data(), ones_.data() + batch);  // consumed by the backward
  // Every conv's LeakyReLU is fused: its backward leaves a_l (the pre-activation adjoint) in d_grad_[l].
  discriminator_backward(x, nullptr, grad_out.data(), batch, ParamGrads::Skip, g);
}

void Dcgan::input_gradient_backward(const float* u, int batch) {
  const std::size_t m = d_conv_.size();
  tangent_.resize(m);
  const float* t = u;  // t_{l−1}
  for (std::size_t i = 0; i < m; ++i) {
    const std::size_t size = static_cast<std::size_t>(batch) * d_conv_[i]->output_shape().size();
    tangent_[i].reserve_discard(size);
    d_conv_[i]->tangent_forward(t, batch, tangent_[i].data());
    activation_backward(leaky_, d_act_[i].data(), tangent_[i].data(), size);  // ⊙ f′ (masks of the last forward)
    d_conv_[i]->weight_gradient(t, d_grad_[i].data(), batch, ParamGrads::Accumulate, /*with_bias=*/false);
    t = tangent_[i].data();
  }
  d_out_->weight_gradient(t, ones_.data(), batch, ParamGrads::Accumulate, /*with_bias=*/false);  // a_out = 1
}

void Dcgan::unit_states(int batch, std::vector<char>& states) const {
  const auto append = [&](const AlignedBuffer& buffer, int size) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(batch) * size; ++i) states.push_back(buffer[i] > 0.0f);
  };
  for (std::size_t i = 0; i < g_act_.size(); ++i) append(g_act_[i], g_deconv_[i]->input_shape().size());
  for (std::size_t i = 0; i < d_act_.size(); ++i) append(d_act_[i], d_conv_[i]->output_shape().size());
}

}  // namespace latentlab
