// Trains the DCGAN as PyTorch's DCGAN example does: real images mapped to [−1, 1], two Adams
// with lr and β = (0.5, 0.999), and per iteration: fakes = G(z) → D step (real batch, then the
// detached fake batch) → G step through the updated D (non-saturating loss). See dcgan.hpp.
//
// An epoch is floor(n / batch) iterations: the last, partial batch is dropped, as GanTrainer
// does. MNIST at batch 64: 937 steps.
//
// Metrics: d_loss, g_loss, d_real, d_fake as GanTrainer; test_d_real = mean σ(D(x)) over the
// test images, D in eval mode (BatchNorm running statistics).
#pragma once

#include "latentlab/models/dcgan.hpp"
#include "latentlab/nn/adam.hpp"
#include "latentlab/rng.hpp"
#include "train/trainer.hpp"

namespace latentlab::native {

class DcganTrainer : public Trainer {
 public:
  // Builds the DCGAN and initialises G then D from Rng(seed, kInitStream).
  DcganTrainer(const DcganConfig& config, const TrainingOptions& options);

  Dcgan& dcgan() { return dcgan_; }
  Adam& generator_adam() { return adam_g_; }
  Adam& discriminator_adam() { return adam_d_; }

  const Model& model() const override { return dcgan_; }
  int latent_dim() const override { return dcgan_.config().latent; }
  int image_size() const override { return dcgan_.config().image; }
  Metadata config_metadata() const override;
  std::vector<std::string> training_metric_names() const override { return {"d_loss", "g_loss", "d_real", "d_fake"}; }
  Metrics evaluate(const Dataset& test, std::size_t n) override;
  std::vector<std::string> test_metric_names() const override { return {"test_d_real"}; }
  void render(const float* z, const int* labels, int count, float* pixels) override;
  int classes() const override { return dcgan_.config().classes; }

 protected:
  LossTerms train_step(const Dataset& train, std::size_t first, int count) override;
  bool drops_last_batch() const override { return true; }
  bool means_per_step() const override { return true; }
  Result<bool> check_config(const Metadata& checkpoint) const override;

 private:
  Dcgan dcgan_;
  Adam adam_g_, adam_d_;
};

}  // namespace latentlab::native
