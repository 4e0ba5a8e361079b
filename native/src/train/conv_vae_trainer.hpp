// Trains the conv VAE as VaeTrainer trains the MLP VAE: Adam (β = 0.9, 0.999), per-step loss =
// BCE(sum) + β·KL(sum) over the batch, pixels in [0, 1], the last partial batch included; the
// same test metrics (vae_test_metrics: test_loss, test_recon, test_kl, test_loss_mu).
#pragma once

#include "latentlab/models/conv_vae.hpp"
#include "latentlab/nn/adam.hpp"
#include "latentlab/rng.hpp"
#include "train/trainer.hpp"

namespace latentlab::native {

class ConvVaeTrainer : public Trainer {
 public:
  // Builds the conv VAE and initialises its parameters from Rng(seed, kInitStream).
  ConvVaeTrainer(const ConvVaeConfig& config, const TrainingOptions& options);

  ConvVae& vae() { return vae_; }
  Adam& adam() { return adam_; }

  const Model& model() const override { return vae_; }
  int latent_dim() const override { return vae_.config().latent; }
  int image_size() const override { return vae_.config().input; }
  Metadata config_metadata() const override;
  std::vector<std::string> training_metric_names() const override { return {"loss", "recon", "kl"}; }
  Metrics evaluate(const Dataset& test, std::size_t n) override;
  std::vector<std::string> test_metric_names() const override {
    return {"test_loss", "test_recon", "test_kl", "test_loss_mu"};
  }
  void render(const float* z, const int* labels, int count, float* pixels) override;
  int classes() const override { return vae_.config().classes; }

 protected:
  LossTerms train_step(const Dataset& train, std::size_t first, int count) override;
  Result<bool> check_config(const Metadata& checkpoint) const override;

 private:
  ConvVae vae_;
  Adam adam_;
};

}  // namespace latentlab::native
