#include "train/gan_trainer.hpp"

#include <algorithm>
#include <cmath>

#include "train/checkpoint.hpp"
#include "latentlab/nn/activations.hpp"

namespace latentlab::native {

namespace {
AdamConfig gan_adam(float lr) {
  AdamConfig c;
  c.lr = lr;
  c.beta1 = 0.5f;  // DCGAN's choice: a shorter momentum memory keeps the two players responsive
  c.beta2 = 0.999f;
  return c;
}
}  // namespace

GanTrainer::GanTrainer(const GanConfig& config, const TrainingOptions& options)
    : Trainer(options),
      gan_(config),
      adam_g_(gan_.generator_parameters().size(), gan_adam(options.lr)),
      adam_d_(gan_.discriminator_parameters().size(), gan_adam(options.lr)) {
  add_optimiser("adam.generator", adam_g_);
  add_optimiser("adam.discriminator", adam_d_);
  Rng init = init_rng();
  gan_.init(init);
}

Metadata GanTrainer::config_metadata() const { return latentlab::config_metadata(gan_.config()); }

Trainer::LossTerms GanTrainer::train_step(const Dataset& train, std::size_t first, int count) {
  const float* real = gather(train, first, count, gan_.pixel_range());
  const int* labels = gather_classes(train, first, count);
  // z for the global batch, this rank's rows (the same z per row for any number of ranks).
  gan_.set_fakes_from(step_normals(gan_.config().latent), count, labels);
  GanLosses l = gan_.discriminator_gradients(real);
  // A diverged step applies no further update (see divergence()).
  if (apply({{"discriminator loss", l.discriminator}}, gan_.discriminator_parameters(), adam_d_)) {
    l.generator = gan_.generator_gradients();
    apply({{"generator loss", l.generator}}, gan_.generator_parameters(), adam_g_);
  }
  return {{"d_loss", l.discriminator}, {"g_loss", l.generator}, {"d_real", l.real_score}, {"d_fake", l.fake_score}};
}

Metrics GanTrainer::evaluate(const Dataset& test, std::size_t n) {
  std::vector<float> logits(kEvalChunk);
  double score = 0;
  std::vector<int> labels;
  for_each_test_chunk(
      test, n,
      [&](const float* chunk, std::size_t first, int count) {
        const int* y = nullptr;
        if (gan_.conditional()) {
          labels.assign(test.labels.begin() + static_cast<std::ptrdiff_t>(first),
                        test.labels.begin() + static_cast<std::ptrdiff_t>(first) + count);
          y = labels.data();
        }
        gan_.discriminate(chunk, y, count, logits.data());
        for (int i = 0; i < count; ++i) score += stable_sigmoid(logits[static_cast<std::size_t>(i)]);
      },
      pixel_map(gan_.pixel_range()));
  return {{"test_d_real", score / static_cast<double>(std::max<std::size_t>(n, 1))}};
}

void GanTrainer::render(const float* z, const int* labels, int count, float* pixels) {
  gan_.decode(z, labels, count, pixels);
}

Result<bool> GanTrainer::check_config(const Metadata& m) const {
  using R = Result<bool>;
  auto config = gan_config_from_metadata(m);
  if (!config) return R::failure(config.error());
  if (latentlab::config_metadata(config.value()) != config_metadata())
    return R::failure("the checkpoint's GAN (generator " + m.at("generator_hidden") + ", discriminator " +
                      m.at("discriminator_hidden") + ", latent " + m.at("latent") +
                      ") differs from the one being trained");
  return R::success(true);
}

}  // namespace latentlab::native
