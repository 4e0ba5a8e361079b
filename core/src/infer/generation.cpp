// Sampling, interpolation and decoding shared by the CLI and the page (contracts in generation.hpp).
#include "latentlab/infer/generation.hpp"

#include <cmath>

#include "latentlab/models/gan.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/models/vae.hpp"

namespace latentlab {

void sample_latents(std::uint64_t seed, float* z, std::size_t count) { Rng(seed, 0).fill_normal(z, count); }

void interpolate_latents(const float* a, const float* b, int dim, int steps, LatentPath path, float* out) {
  const std::size_t d = static_cast<std::size_t>(dim);
  double dot = 0, na = 0, nb = 0;
  for (std::size_t j = 0; j < d; ++j) {
    dot += static_cast<double>(a[j]) * b[j];
    na += static_cast<double>(a[j]) * a[j];
    nb += static_cast<double>(b[j]) * b[j];
  }
  double omega = 0, sin_omega = 0;
  if (na > 0 && nb > 0) {
    const double c = std::fmax(-1.0, std::fmin(1.0, dot / (std::sqrt(na) * std::sqrt(nb))));
    omega = std::acos(c);
    sin_omega = std::sin(omega);
  }
  const bool slerp = path == LatentPath::Slerp && sin_omega >= 1e-6;
  for (int i = 0; i < steps; ++i) {
    const double t = steps > 1 ? static_cast<double>(i) / (steps - 1) : 0.0;
    double wa = 1.0 - t, wb = t;
    if (slerp) {
      wa = std::sin((1.0 - t) * omega) / sin_omega;
      wb = std::sin(t * omega) / sin_omega;
    }
    float* row = out + static_cast<std::size_t>(i) * d;
    for (std::size_t j = 0; j < d; ++j) row[j] = static_cast<float>(wa * a[j] + wb * b[j]);
  }
}

void decode_to_pixels(LoadedModel& model, const float* z, int n, float* pixels) {
  if (model.vae) {
    model.vae->decode(z, n, pixels);
    return;
  }
  model.gan->generate(z, n, pixels);
  // The generator ends in tanh ∈ [−1, 1]; images are shown in [0, 1].
  const std::size_t count = static_cast<std::size_t>(n) * static_cast<std::size_t>(model.gan->config().image);
  for (std::size_t i = 0; i < count; ++i) pixels[i] = (pixels[i] + 1.0f) * 0.5f;
}

namespace {

// The layers of a VAE decoder or GAN generator, in eval mode, as PackedLinear. The VAE's last
// layer (logits) gets the sigmoid of the pixel mapping as its activation.
std::vector<PackedLinear> freeze(const Mlp& mlp, bool sigmoid_output) {
  std::vector<PackedLinear> out;
  const auto& layers = mlp.layers();
  out.reserve(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Linear& l = layers[i];
    const bool last = i + 1 == layers.size();
    out.emplace_back(l.weight(), l.bias(), l.in(), l.out(),
                     last && sigmoid_output ? ActivationSpec{Activation::Sigmoid, 0.0f} : mlp.activation(i));
    if (const BatchNorm* bn = mlp.norm(i)) {
      out.back().set_batchnorm(bn->gamma(), bn->beta(), bn->running_mean(), bn->running_var(), bn->eps());
    }
  }
  return out;
}

}  // namespace

ImageDecoder::ImageDecoder(const LoadedModel& model)
    : layers_(model.vae ? freeze(model.vae->decoder(), true) : freeze(model.gan->generator(), false)),
      tanh_output_(!model.vae) {
  hidden_.resize(layers_.size() - 1);
}

void ImageDecoder::decode(const float* z, int n, float* pixels) {
  if (n > capacity_) {
    for (std::size_t i = 0; i + 1 < layers_.size(); ++i)
      hidden_[i].reserve_discard(static_cast<std::size_t>(n) * layers_[i].out());
    capacity_ = n;
  }
  const float* in = z;
  for (std::size_t i = 0; i + 1 < layers_.size(); ++i) {
    layers_[i].forward(in, n, hidden_[i].data(), layers_[i].out());
    in = hidden_[i].data();
  }
  // The last layer writes the pixels: σ(logits) for the VAE; tanh for the GAN, then (t + 1)/2.
  const PackedLinear& last = layers_.back();
  last.forward(in, n, pixels, last.out());
  if (tanh_output_) {
    const std::size_t count = static_cast<std::size_t>(n) * static_cast<std::size_t>(last.out());
    for (std::size_t i = 0; i < count; ++i) pixels[i] = (pixels[i] + 1.0f) * 0.5f;
  }
}

}  // namespace latentlab
