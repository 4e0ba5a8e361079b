// The adversarial trainer of the MLP GAN and the DCGAN (adversarial_trainer.hpp).
#include "train/adversarial_trainer.hpp"

#include <algorithm>
#include <stdexcept>

#include "latentlab/models/registry.hpp"
#include "latentlab/nn/activations.hpp"
#include "train/registry.hpp"

namespace latentlab::native {

namespace {

AdamConfig adversarial_adam(float lr, GanObjective objective) {
  AdamConfig c;
  c.lr = lr;
  c.beta1 = 0.5f;  // DCGAN's choice: a shorter momentum memory keeps the two players responsive
  c.beta2 = 0.999f;
  if (objective == GanObjective::Wasserstein) {  // the WGAN-GP paper's (Gulrajani et al. 2017, Alg. 1)
    c.beta1 = 0.0f;
    c.beta2 = 0.9f;
  }
  return c;
}

// A checkpoint's configuration through the kind's codec (the overload picks the kind).
Result<GanConfig> config_from(const Metadata& m, const GanConfig*) { return gan_config_from_metadata(m); }
Result<DcganConfig> config_from(const Metadata& m, const DcganConfig*) { return dcgan_config_from_metadata(m); }

}  // namespace

template <class M>
AdversarialTrainer<M>::AdversarialTrainer(const Config& config, const TrainingOptions& options)
    : Trainer(options),
      net_(config),
      adam_g_(net_.generator_parameters().size(), adversarial_adam(options.lr, config.objective)),
      adam_d_(net_.discriminator_parameters().size(), adversarial_adam(options.lr, config.objective)) {
  if (options.critic_steps < 1) throw std::invalid_argument("critic_steps must be >= 1");
  add_optimiser("adam.generator", adam_g_);
  add_optimiser("adam.discriminator", adam_d_);
  Rng init = init_rng();
  net_.init(init);
}

template <class M>
Metadata AdversarialTrainer<M>::config_metadata() const {
  return latentlab::config_metadata(net_.config());
}

template <class M>
std::vector<std::string> AdversarialTrainer<M>::training_metric_names() const {
  if (scores_are_probabilities(objective())) return {"d_loss", "g_loss", "d_real", "d_fake"};
  if (objective() == GanObjective::Wasserstein) return {"d_loss", "g_loss", "critic_real", "critic_fake", "gp"};
  return {"d_loss", "g_loss", "critic_real", "critic_fake"};
}

template <class M>
std::vector<std::string> AdversarialTrainer<M>::test_metric_names() const {
  return {scores_are_probabilities(objective()) ? "test_d_real" : "test_critic_real"};
}

template <class M>
Trainer::LossTerms AdversarialTrainer<M>::train_step(const Dataset& train, std::size_t first, int count) {
  const float* real = gather(train, first, count, net_.pixel_range());
  const int* labels = gather_classes(train, first, count);
  // z for the global batch, this rank's rows (the same z per row for any number of ranks).
  net_.set_fakes_from(step_normals(net_.config().latent), count, labels);
  GanLosses l;
  if (objective() == GanObjective::Wasserstein) {
    GradientPenaltyDraw draw;
    draw.lambda = options_.gp_lambda;
    draw.eps = step_uniforms(1);  // after z: ε of row r is the same for any number of ranks
    l = net_.discriminator_gradients(real, &draw);
  } else {
    l = net_.discriminator_gradients(real);
  }
  const bool generator_step = steps_done() % options_.critic_steps == options_.critic_steps - 1;
  // A diverged step applies no further update (see divergence()).
  if (apply({{"discriminator loss", l.discriminator}}, net_.discriminator_parameters(), adam_d_) && generator_step) {
    l.generator = net_.generator_gradients();
    apply({{"generator loss", l.generator}}, net_.generator_parameters(), adam_g_);
  }
  const bool probabilities = scores_are_probabilities(objective());
  LossTerms terms = {{"d_loss", l.discriminator},
                     {"g_loss", l.generator},
                     {probabilities ? "d_real" : "critic_real", l.real_score},
                     {probabilities ? "d_fake" : "critic_fake", l.fake_score}};
  if (objective() == GanObjective::Wasserstein) terms.push_back({"gp", l.penalty});
  return terms;
}

template <class M>
Metrics AdversarialTrainer<M>::evaluate(const Dataset& test, std::size_t n) {
  std::vector<float> logits(kEvalChunk);
  double score = 0;
  std::vector<int> labels;
  for_each_test_chunk(
      test, n,
      [&](const float* chunk, std::size_t first, int count) {
        const int* y = nullptr;
        if (net_.conditional()) {
          labels.assign(test.labels.begin() + static_cast<std::ptrdiff_t>(first),
                        test.labels.begin() + static_cast<std::ptrdiff_t>(first) + count);
          y = labels.data();
        }
        net_.discriminate(chunk, y, count, logits.data());
        for (int i = 0; i < count; ++i) score += shown_score(objective(), logits[static_cast<std::size_t>(i)]);
      },
      pixel_map(net_.pixel_range()));
  return {{test_metric_names()[0], score / static_cast<double>(std::max<std::size_t>(n, 1))}};
}

template <class M>
void AdversarialTrainer<M>::render(const float* z, const int* labels, int count, float* pixels) {
  net_.decode(z, labels, count, pixels);
}

template <class M>
Result<bool> AdversarialTrainer<M>::check_config(const Metadata& m) const {
  using R = Result<bool>;
  auto config = config_from(m, static_cast<const Config*>(nullptr));
  if (!config) return R::failure(config.error());
  if (latentlab::config_metadata(config.value()) != config_metadata())
    return R::failure("the checkpoint's " + native_kind(kind()).describe(m) + " differs from the one being trained");
  return R::success(true);
}

template class AdversarialTrainer<Gan>;
template class AdversarialTrainer<Dcgan>;

}  // namespace latentlab::native
