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

  // One optimisation step on a batch (count × input) with its labels. Returns the summed loss.
  ClassifierLosses step(const float* batch, const std::uint8_t* labels, int count);

  std::string kind() const override { return "classifier"; }
  const TrainingOptions& options() const override { return options_; }
  int latent_dim() const override { return 0; }  // nothing to render: no sample grids
  int image_size() const override { return classifier_.config().input; }
  Metadata config_metadata() const override;
  std::size_t steps_per_epoch(std::size_t n) const override;
  Metrics train_epoch(const Dataset& train, std::size_t n, const StepObserver& observer) override;
  std::vector<std::string> training_metric_names() const override { return {"loss", "accuracy"}; }
  Metrics evaluate(const Dataset& test, std::size_t n) override;
  std::vector<std::string> test_metric_names() const override { return {"test_loss", "test_accuracy"}; }
  void render(const float*, int, float*) override {}
  bool finite() const override;
  std::vector<std::uint8_t> model_bytes(const Metadata& extra) const override;
  std::vector<std::uint8_t> checkpoint_bytes(const Metadata& extra) const override;
  Result<bool> restore(const SafetensorsContents& checkpoint) override;

 private:
  TrainingOptions options_;
  Classifier classifier_;
  Adam adam_;
  Rng data_rng_, noise_rng_;  // epoch order; the random translations of the training images
  std::vector<float> batch_, scratch_;
  std::vector<std::uint8_t> labels_;
};

// Cross-entropy per example and accuracy of `classifier` on the first n images of `data`.
Metrics classifier_test_metrics(Classifier& classifier, const Dataset& data, std::size_t n);

}  // namespace latentlab::native
