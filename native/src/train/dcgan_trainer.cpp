#include "train/dcgan_trainer.hpp"

#include <algorithm>

#include "latentlab/nn/activations.hpp"
#include "train/checkpoint.hpp"

namespace latentlab::native {

namespace {
AdamConfig dcgan_adam(float lr) {
  AdamConfig c;
  c.lr = lr;
  c.beta1 = 0.5f;  // the DCGAN paper's choice
  c.beta2 = 0.999f;
  return c;
}
}  // namespace

DcganTrainer::DcganTrainer(const DcganConfig& config, const TrainingOptions& options)
    : Trainer(options),
      dcgan_(config),
      adam_g_(dcgan_.generator_parameters().size(), dcgan_adam(options.lr)),
      adam_d_(dcgan_.discriminator_parameters().size(), dcgan_adam(options.lr)) {
  add_optimiser("adam.generator", adam_g_);
  add_optimiser("adam.discriminator", adam_d_);
  Rng init = init_rng();
  dcgan_.init(init);
}

Metadata DcganTrainer::config_metadata() const { return latentlab::config_metadata(dcgan_.config()); }

Trainer::LossTerms DcganTrainer::train_step(const Dataset& train, std::size_t first, int count) {
  const float* real = gather(train, first, count, dcgan_.pixel_range());
  const int* labels = gather_classes(train, first, count);
  // z for the global batch, this rank's rows (the same z per row for any number of ranks).
  dcgan_.set_fakes_from(step_normals(dcgan_.config().latent), count, labels);
  GanLosses l = dcgan_.discriminator_gradients(real);
  if (apply({{"discriminator loss", l.discriminator}}, dcgan_.discriminator_parameters(), adam_d_)) {
    l.generator = dcgan_.generator_gradients();
    apply({{"generator loss", l.generator}}, dcgan_.generator_parameters(), adam_g_);
  }
  return {{"d_loss", l.discriminator}, {"g_loss", l.generator}, {"d_real", l.real_score}, {"d_fake", l.fake_score}};
}

Metrics DcganTrainer::evaluate(const Dataset& test, std::size_t n) {
  std::vector<float> logits(kEvalChunk);
  double score = 0;
  std::vector<int> labels;
  for_each_test_chunk(
      test, n,
      [&](const float* chunk, std::size_t first, int count) {
        const int* y = nullptr;  // a conditional D scores each test image with its own label
        if (dcgan_.conditional()) {
          labels.assign(test.labels.begin() + static_cast<std::ptrdiff_t>(first),
                        test.labels.begin() + static_cast<std::ptrdiff_t>(first) + count);
          y = labels.data();
        }
        dcgan_.discriminate(chunk, y, count, logits.data());
        for (int i = 0; i < count; ++i) score += stable_sigmoid(logits[static_cast<std::size_t>(i)]);
      },
      pixel_map(dcgan_.pixel_range()));
  return {{"test_d_real", score / static_cast<double>(std::max<std::size_t>(n, 1))}};
}

void DcganTrainer::render(const float* z, const int* labels, int count, float* pixels) {
  dcgan_.decode(z, labels, count, pixels);
}

Result<bool> DcganTrainer::check_config(const Metadata& m) const {
  using R = Result<bool>;
  auto config = dcgan_config_from_metadata(m);
  if (!config) return R::failure(config.error());
  if (latentlab::config_metadata(config.value()) != config_metadata())
    return R::failure("the checkpoint's DCGAN (generator channels " + m.at("generator_channels") +
                      ", discriminator channels " + m.at("discriminator_channels") + ", latent " + m.at("latent") +
                      ") differs from the one being trained");
  return R::success(true);
}

}  // namespace latentlab::native
