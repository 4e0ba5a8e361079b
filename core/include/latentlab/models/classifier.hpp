// MLP image classifier, the evaluator's "inception network" (docs/evaluation.md):
//   body      x (input) → hidden… (ReLU)         the last hidden activations are the FEATURES
//   head      features → classes logits (linear)   p(y|x) = softmax(logits)
//   loss      softmax cross-entropy on the logits, summed over the batch (losses.hpp)
// Default 784-512-256-10. The Fréchet distance of the evaluator is computed on the features,
// the class histogram, the Inception-Score-style score and the confidence on p(y|x).
#pragma once

#include <cstdint>
#include <vector>

#include "latentlab/models/model.hpp"
#include "latentlab/nn/mlp.hpp"

namespace latentlab {

struct ClassifierConfig {
  int input = 784;
  std::vector<int> hidden = {512, 256};
  int classes = 10;
};

// Loss summed over a batch and the number of correctly classified rows (argmax = label).
struct ClassifierLosses {
  double loss = 0;
  std::size_t correct = 0;
};

class Classifier : public Model {
 public:
  explicit Classifier(const ClassifierConfig& config);

  const ClassifierConfig& config() const { return config_; }
  ParameterSet& parameters() { return params_; }
  const ParameterSet& parameters() const { return params_; }
  int feature_size() const { return config_.hidden.back(); }
  void init(Rng& rng);

  // Forward + backward on a batch (batch×input, pixels in [0,1]) with labels < classes. Zeroes,
  // then fills the gradient buffer.
  ClassifierLosses compute_gradients(const float* x, const std::uint8_t* labels, int batch);
  // Loss and accuracy without gradients.
  ClassifierLosses evaluate(const float* x, const std::uint8_t* labels, int batch);
  // Forward only. Returns the logits (n×classes); features() then holds the penultimate
  // activations (n×feature_size). Both owned by the classifier, valid until the next forward.
  const float* forward(const float* x, int n);
  const float* logits() const { return logits_.data(); }
  const float* features() const { return body_.output(); }

  Mlp& body() { return body_; }
  Linear& head() { return head_; }

 private:
  void reserve(int batch);
  ClassifierConfig config_;
  ParameterSet params_;
  Mlp body_;
  Linear head_;
  int capacity_ = 0;
  AlignedBuffer logits_, grad_logits_, grad_features_;
};

}  // namespace latentlab
