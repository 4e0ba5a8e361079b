// The MLP classifier: body (ReLU stack) → linear head → softmax cross-entropy, and the
// backward pass through the head into the body (math in classifier.hpp and losses.hpp).
#include "latentlab/models/classifier.hpp"

#include <stdexcept>

#include "latentlab/nn/losses.hpp"

namespace latentlab {

namespace {
std::vector<LayerSpec> body_layers(const ClassifierConfig& c) {
  if (c.hidden.empty()) throw std::invalid_argument("the classifier needs at least one hidden layer");
  std::vector<LayerSpec> layers;
  for (std::size_t i = 0; i < c.hidden.size(); ++i)
    layers.push_back({"fc" + std::to_string(i + 1), c.hidden[i], {Activation::ReLU, 0.0f}});
  return layers;
}
}  // namespace

Classifier::Classifier(const ClassifierConfig& config)
    : config_(config),
      body_(params_, "classifier", config.input, body_layers(config)),
      head_(params_, "classifier.fc" + std::to_string(config.hidden.size() + 1), config.hidden.back(), config.classes,
            {Activation::Identity, 0.0f}) {
  params_.allocate();
  add_group("", params_, /*trained=*/true, /*needed_to_generate=*/true);
}

void Classifier::init(Rng& rng) {
  body_.init(rng);
  head_.init(rng);
}

void Classifier::reserve(int batch) {
  if (batch <= capacity_) return;
  logits_.reserve_discard(static_cast<std::size_t>(batch) * config_.classes);
  grad_logits_.reserve_discard(static_cast<std::size_t>(batch) * config_.classes);
  grad_features_.reserve_discard(static_cast<std::size_t>(batch) * feature_size());
  capacity_ = batch;
}

const float* Classifier::forward(const float* x, int n) {
  reserve(n);
  const float* features = body_.forward(x, n);
  head_.forward(features, n, logits_.data());
  return logits_.data();
}

ClassifierLosses Classifier::evaluate(const float* x, const std::uint8_t* labels, int batch) {
  forward(x, batch);
  ClassifierLosses l;
  l.loss = softmax_cross_entropy(logits_.data(), labels, static_cast<std::size_t>(batch), config_.classes,
                                 Reduction::Sum, nullptr, &l.correct);
  return l;
}

ClassifierLosses Classifier::compute_gradients(const float* x, const std::uint8_t* labels, int batch) {
  forward(x, batch);
  ClassifierLosses l;
  // dL/dlogits = softmax − onehot (per row; Sum reduction, as the VAE's loss)
  l.loss = softmax_cross_entropy(logits_.data(), labels, static_cast<std::size_t>(batch), config_.classes,
                                 Reduction::Sum, grad_logits_.data(), &l.correct);
  params_.zero_grads();
  // Head: dL/dW₃ += gᵀ h, dL/db₃ += Σ g, dL/dh = g W₃; then the body from dL/dh.
  head_.backward(body_.output(), logits_.data(), grad_logits_.data(), batch, grad_features_.data());
  body_.backward(x, grad_features_.data(), batch, nullptr);
  return l;
}

}  // namespace latentlab
