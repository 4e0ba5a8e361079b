// Trains the MLP classifier the evaluator uses (classifier.hpp): Adam (β = 0.9, 0.999), per-step
// loss = softmax cross-entropy summed over the batch, pixels in [0, 1]. As the VAE, an epoch
// visits every training image once in a fresh shuffled order, the last partial batch included.
// Each training image is shifted by a random (dy, dx) ∈ [−2, 2]² pixels (zero fill) from the
// noise stream: the usual MNIST augmentation (test images are never shifted).
//
// Test metrics (averaged over the test images, in chunks of kEvalChunk):
//   test_loss       cross-entropy per example (nats)
//   test_accuracy   fraction of test images whose argmax class is the label
#pragma once

#include "latentlab/nn/adam.hpp"
#include "latentlab/models/classifier.hpp"
#include "latentlab/rng.hpp"
#include "train/trainer.hpp"

namespace latentlab::native {

class ClassifierTrainer : public Trainer {
 public:
  // Builds the classifier and initialises its parameters from Rng(seed, kInitStream).
  ClassifierTrainer(const ClassifierConfig& config, const TrainingOptions& options);

  Classifier& classifier() { return classifier_; }

  const Model& model() const override { return classifier_; }
  int latent_dim() const override { return 0; }  // nothing to render: no sample grids
  int image_size() const override { return classifier_.config().input; }
  Metadata config_metadata() const override;
  std::vector<std::string> training_metric_names() const override { return {"loss", "accuracy"}; }
  Metrics evaluate(const Dataset& test, std::size_t n) override;
  std::vector<std::string> test_metric_names() const override { return {"test_loss", "test_accuracy"}; }
  void render(const float*, int, float*) override {}

 protected:
  // The batch shifted at random (noise RNG), with its labels: cross-entropy gradients, then Adam.
  LossTerms train_step(const Dataset& train, std::size_t first, int count) override;
  Result<bool> check_config(const Metadata& checkpoint) const override;

 private:
  Classifier classifier_;
  Adam adam_;  // the RNGs: epoch order; the random translations of the training images
  std::vector<float> scratch_;
  std::vector<int> shifts_;  // (dy, dx) per row of the global batch
  std::vector<std::uint8_t> labels_;
};

// Cross-entropy per example and accuracy of `classifier` on the first n images of `data`.
Metrics classifier_test_metrics(Classifier& classifier, const Dataset& data, std::size_t n);

}  // namespace latentlab::native
