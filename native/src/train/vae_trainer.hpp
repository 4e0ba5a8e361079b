// Trains a VAE — the MLP VAE (models/vae.hpp) or the conv VAE (models/conv_vae.hpp) — as
// PyTorch's examples/vae does: Adam (β = 0.9, 0.999), per-step loss = BCE(sum) + β·KL(sum) over
// the batch, pixels in [0, 1]. A conditional VAE (classes > 0) is given each batch's labels, and
// its test metrics the test images' labels. With --kl-warmup EPOCHS the step's KL weight is
// β_t = β · min(1, t / (EPOCHS · steps per epoch)), t = steps done before it (TrainingOptions): a
// function of the step counter alone, so a resumed run continues the ramp exactly; the training
// loss column is then BCE + β_t·KL, the test loss keeps β.
//
// An epoch visits every one of the n training images once, in a fresh shuffled order, in
// ceil(n / batch) steps: the last, partial batch is INCLUDED, as with PyTorch's DataLoader
// (drop_last=False). MNIST at batch 128: 468 full batches + one of 96 = 469 steps.
//
// Test metrics (per example, averaged over the test images, in chunks of kEvalChunk):
//   test_loss, test_recon, test_kl   z sampled (ε from a fresh Rng(kEvalSeed, kEvalStream))
//   test_loss_mu                     z = μ (the decoder sees the posterior mean)
//
// The model type V provides: config() (with .latent, .input, .beta, .classes), parameters(),
// init(rng), set_kl_weight(w), compute_gradients(x, labels, batch, eps) → VaeLosses,
// evaluate(x, labels, batch, Rng*) → VaeLosses, decode(z, labels, n, pixels), pixel_range().
#pragma once

#include "latentlab/models/conv_vae.hpp"
#include "latentlab/models/vae.hpp"
#include "latentlab/nn/adam.hpp"
#include "latentlab/rng.hpp"
#include "train/trainer.hpp"

namespace latentlab::native {

template <class V>
class VaeTrainerOf : public Trainer {
 public:
  using Config = std::decay_t<decltype(std::declval<const V&>().config())>;

  // Builds the VAE and initialises its parameters from Rng(seed, kInitStream).
  VaeTrainerOf(const Config& config, const TrainingOptions& options);

  V& vae() { return vae_; }
  // The KL weight of the next step: β, or β_t during a --kl-warmup (above).
  float kl_weight() const;
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
  // Gradients of BCE + β_t·KL on the batch (pixels in [0, 1]), then Adam.
  LossTerms train_step(const Dataset& train, std::size_t first, int count) override;
  Result<bool> check_config(const Metadata& checkpoint) const override;

 private:
  V vae_;
  Adam adam_;
};

extern template class VaeTrainerOf<Vae>;
extern template class VaeTrainerOf<ConvVae>;
using VaeTrainer = VaeTrainerOf<Vae>;
using ConvVaeTrainer = VaeTrainerOf<ConvVae>;

// The test metrics above (names of test_metric_names()) of a VAE (Vae or ConvVae) on the first n
// images of `test`; also used by `latentlab eval`, so its test loss is the one the training log shows.
template <class AnyVae>
Metrics vae_test_metrics(AnyVae& vae, const Dataset& test, std::size_t n) {
  Rng eval_rng(kEvalSeed, kEvalStream);
  double loss = 0, recon = 0, kl = 0, loss_mu = 0;
  std::vector<int> labels;
  for_each_test_chunk(test, n, [&](const float* chunk, std::size_t first, int count) {
    const int* y = nullptr;  // the test images' own classes (conditional)
    if (vae.conditional()) {
      labels.assign(test.labels.begin() + static_cast<std::ptrdiff_t>(first),
                    test.labels.begin() + static_cast<std::ptrdiff_t>(first) + count);
      y = labels.data();
    }
    const VaeLosses sampled = vae.evaluate(chunk, y, count, &eval_rng);
    loss += sampled.total;
    recon += sampled.reconstruction;
    kl += sampled.kl;
    loss_mu += vae.evaluate(chunk, y, count, nullptr).total;
  });
  const double m = static_cast<double>(n > 0 ? n : 1);
  return {{"test_loss", loss / m}, {"test_recon", recon / m}, {"test_kl", kl / m}, {"test_loss_mu", loss_mu / m}};
}

}  // namespace latentlab::native
