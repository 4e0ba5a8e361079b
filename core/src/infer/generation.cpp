// Sampling, interpolation and decoding shared by the CLI and the page (contracts in generation.hpp).
#include "latentlab/infer/generation.hpp"

#include <cmath>

#include "latentlab/nn/label_input.hpp"
#include "latentlab/nn/mlp.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/streams.hpp"

namespace latentlab {

void sample_latents(std::uint64_t seed, float* z, std::size_t count) { Rng(seed, kSampleStream).fill_normal(z, count); }

void cycle_labels(int classes, int n, int* labels) {
  for (int k = 0; k < n; ++k) labels[k] = classes > 0 ? k % classes : 0;
}

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

namespace {

// The layers of a decoder MLP, in eval mode, as PackedLinear. With sigmoid_output the last layer
// (logits) gets σ as its activation.
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

ImageDecoder::ImageDecoder(GenerativeModel& model)
    : latent_(model.latent_dim()), classes_(model.classes()), range_(model.pixel_range()) {
  const GenerativeModel::MlpDecoder mlp = model.mlp_decoder();
  if (!mlp.mlp) {
    fallback_ = &model;
    return;
  }
  layers_ = freeze(*mlp.mlp, mlp.sigmoid_output);
  hidden_.resize(layers_.size() - 1);
}

void ImageDecoder::decode(const float* z, const int* labels, int n, float* pixels) {
  if (fallback_) {
    fallback_->decode(z, labels, n, pixels);
    return;
  }
  if (n > capacity_) {
    for (std::size_t i = 0; i + 1 < layers_.size(); ++i)
      hidden_[i].reserve_discard(static_cast<std::size_t>(n) * layers_[i].out());
    if (classes_ > 0) input_.reserve_discard(static_cast<std::size_t>(n) * (latent_ + classes_));
    capacity_ = n;
  }
  const float* in = z;
  if (classes_ > 0) {
    LabelInput(latent_, classes_).forward(z, labels, n, input_.data());  // the decoder reads [z | onehot]
    in = input_.data();
  }
  for (std::size_t i = 0; i + 1 < layers_.size(); ++i) {
    layers_[i].forward(in, n, hidden_[i].data(), layers_[i].out());
    in = hidden_[i].data();
  }
  // The last layer writes the pixels in the model's range (σ(logits) or tanh), then to [0, 1].
  const PackedLinear& last = layers_.back();
  last.forward(in, n, pixels, last.out());
  pixels_to_unit(range_, pixels, static_cast<std::size_t>(n) * static_cast<std::size_t>(last.out()));
}

}  // namespace latentlab
