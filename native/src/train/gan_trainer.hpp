// Trains the MLP GAN as PyTorch's DCGAN example does (with MLPs): real images mapped to
// [−1, 1] (2p − 1, i.e. Normalize(0.5, 0.5)), two Adams with lr and β = (0.5, 0.999), and per
// iteration: fakes = G(z) → D step on [real; fakes] → G step through the updated D
// (non-saturating loss). See gan.hpp for the losses.
//
// An epoch is floor(n / batch) iterations: the last, partial batch is DROPPED (a GAN step on a
// handful of images only adds noise to the D/G balance). MNIST at batch 64: 937 steps.
//
// Metrics: d_loss (L_D), g_loss (L_G), d_real = mean σ(D(real)), d_fake = mean σ(D(G(z))) —
// running means over the epoch; test_d_real = mean σ(D(x)) over the test images (a D that
// has not merely memorised the training set still calls unseen digits real).
// A conditional GAN (classes > 0): the fakes of a step are asked for the real batch's labels
// (gan.hpp), and test_d_real scores each test image with its own label.
#pragma once

#include "latentlab/nn/adam.hpp"
#include "latentlab/models/gan.hpp"
#include "latentlab/rng.hpp"
#include "train/trainer.hpp"

namespace latentlab::native {

class GanTrainer : public Trainer {
 public:
  // Builds the GAN and initialises G then D from Rng(seed, kInitStream).
  GanTrainer(const GanConfig& config, const TrainingOptions& options);

  Gan& gan() { return gan_; }
  Adam& generator_adam() { return adam_g_; }
  Adam& discriminator_adam() { return adam_d_; }

  const Model& model() const override { return gan_; }
  int latent_dim() const override { return gan_.config().latent; }
  int image_size() const override { return gan_.config().image; }
  Metadata config_metadata() const override;
  std::vector<std::string> training_metric_names() const override { return {"d_loss", "g_loss", "d_real", "d_fake"}; }
  Metrics evaluate(const Dataset& test, std::size_t n) override;
  std::vector<std::string> test_metric_names() const override { return {"test_d_real"}; }
  // (G(z) + 1) / 2.
  void render(const float* z, const int* labels, int count, float* pixels) override;
  int classes() const override { return gan_.config().classes; }

 protected:
  // One iteration on a batch of real images (pixels in [−1, 1]): fakes, D step, G step.
  LossTerms train_step(const Dataset& train, std::size_t first, int count) override;
  bool drops_last_batch() const override { return true; }
  bool means_per_step() const override { return true; }
  Result<bool> check_config(const Metadata& checkpoint) const override;

 private:
  Gan gan_;
  Adam adam_g_, adam_d_;
};

}  // namespace latentlab::native
