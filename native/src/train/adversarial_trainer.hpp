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
// The objective is the model's (config.objective, nn/gan_objectives.hpp). wgan-gp trains with
// the WGAN-GP paper's Adam, β = (0, 0.9) (its lr 1e-4 is the CLI's default for it), draws one ε
// per row for the gradient penalty (λ = options.gp_lambda) after the step's z, and takes
// options.critic_steps D steps per G step: the G step follows every critic_steps-th D step of
// the run (steps_done counts them), so an epoch still has one step per batch.
//
// Metrics, running means over the epoch: d_loss (L_D, the penalty included), g_loss (L_G of the
// step's fakes: after the D update on a step with a G step, before it on a critic-only step),
// and the mean D output on the real and on the fake batch: d_real, d_fake = mean σ(D(·)) for bce
// (probabilities); critic_real, critic_fake = mean D(·) for a critic (hinge, lsgan, wgan-gp: raw
// scores, not probabilities); wgan-gp adds gp (the penalty). Test: test_d_real = mean σ(D(x)) (or
// test_critic_real = mean D(x)) over the test images (a D that has not merely memorised the
// training set still calls unseen digits real), D in eval mode.
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
  std::vector<std::string> training_metric_names() const override;
  Metrics evaluate(const Dataset& test, std::size_t n) override;
  std::vector<std::string> test_metric_names() const override;
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
  GanObjective objective() const { return net_.config().objective; }
  M net_;
  Adam adam_g_, adam_d_;
};

extern template class AdversarialTrainer<Gan>;
extern template class AdversarialTrainer<Dcgan>;

}  // namespace latentlab::native
