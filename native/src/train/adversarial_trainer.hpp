// Trains an adversarial model — the MLP GAN (models/gan.hpp) or the DCGAN (models/dcgan.hpp) —
// as PyTorch's DCGAN example does: real images mapped to [−1, 1] (2p − 1, i.e. Normalize(0.5,
// 0.5)), two Adams with lr and β = (0.5, 0.999), and per iteration: fakes = G(z) → D step →
// G step through the updated D. The model computes the gradients (its discriminator_gradients /
// generator_gradients); this trainer owns the schedule, the optimisers and the metrics, once for
// both kinds.
//
// An epoch is floor(n / batch) iterations: the last, partial batch is DROPPED (a GAN step on a
// handful of images only adds noise to the D/G balance). MNIST at batch 64: 937 steps.
//
// Metrics: d_loss (L_D), g_loss (L_G), d_real = mean σ(D(real)), d_fake = mean σ(D(G(z))) —
// running means over the epoch; test_d_real = mean σ(D(x)) over the test images (a D that has
// not merely memorised the training set still calls unseen digits real), D in eval mode.
// A conditional model (classes > 0): the fakes of a step are asked for the real batch's labels,
// and test_d_real scores each test image with its own label.
//
// The model type M provides: config() (with .latent, .image), generator_/discriminator_parameters(),
// init(rng), set_fakes_from(z, n, labels), discriminator_gradients(real) → GanLosses,
// generator_gradients() → L_G, discriminate(images, labels, n, logits), decode(z, labels, n, pixels).
#pragma once

#include "latentlab/models/dcgan.hpp"
#include "latentlab/models/gan.hpp"
#include "latentlab/nn/adam.hpp"
#include "train/trainer.hpp"

namespace latentlab::native {

template <class M>
class AdversarialTrainer : public Trainer {
 public:
  using Config = std::decay_t<decltype(std::declval<const M&>().config())>;

  // Builds the model and initialises G then D from Rng(seed, kInitStream).
  AdversarialTrainer(const Config& config, const TrainingOptions& options);

  M& network() { return net_; }
  Adam& generator_adam() { return adam_g_; }
  Adam& discriminator_adam() { return adam_d_; }

  const Model& model() const override { return net_; }
  int latent_dim() const override { return net_.config().latent; }
  int image_size() const override { return net_.config().image; }
  Metadata config_metadata() const override;
  std::vector<std::string> training_metric_names() const override { return {"d_loss", "g_loss", "d_real", "d_fake"}; }
  Metrics evaluate(const Dataset& test, std::size_t n) override;
  std::vector<std::string> test_metric_names() const override { return {"test_d_real"}; }
  // (G(z) + 1) / 2.
  void render(const float* z, const int* labels, int count, float* pixels) override;
  int classes() const override { return net_.classes(); }

 protected:
  // One iteration on a batch of real images (pixels in [−1, 1]): fakes, D step, G step.
  LossTerms train_step(const Dataset& train, std::size_t first, int count) override;
  bool drops_last_batch() const override { return true; }
  bool means_per_step() const override { return true; }
  Result<bool> check_config(const Metadata& checkpoint) const override;

 private:
  M net_;
  Adam adam_g_, adam_d_;
};

extern template class AdversarialTrainer<Gan>;
extern template class AdversarialTrainer<Dcgan>;

}  // namespace latentlab::native
