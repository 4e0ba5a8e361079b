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
    : options_(options),
      gan_(config),
      adam_g_(gan_.generator_parameters().size(), gan_adam(options.lr)),
      adam_d_(gan_.discriminator_parameters().size(), gan_adam(options.lr)),
      data_rng_(options.seed, kDataOrderStream),
      noise_rng_(options.seed, kNoiseStream) {
  Rng init(options.seed, kInitStream);
  gan_.init(init);
}

Metadata GanTrainer::config_metadata() const { return latentlab::config_metadata(gan_.config()); }

GanLosses GanTrainer::step(const float* real, int count) {
  gan_.sample_fakes(count, noise_rng_);
  GanLosses losses = gan_.discriminator_gradients(real);
  // A diverged step applies no further update (see divergence()).
  if (!step_finite({{"discriminator loss", losses.discriminator}}, gan_.discriminator_parameters())) return losses;
  adam_d_.step(gan_.discriminator_parameters().values(), gan_.discriminator_parameters().grads());
  losses.generator = gan_.generator_gradients();
  if (!step_finite({{"generator loss", losses.generator}}, gan_.generator_parameters())) return losses;
  adam_g_.step(gan_.generator_parameters().values(), gan_.generator_parameters().grads());
  ++steps_done_;
  return losses;
}

std::size_t GanTrainer::steps_per_epoch(std::size_t n) const {
  return n / static_cast<std::size_t>(options_.batch);  // the last partial batch is dropped
}

Metrics GanTrainer::train_epoch(const Dataset& train, std::size_t n, const StepObserver& observer) {
  const int B = options_.batch;
  const std::size_t image = static_cast<std::size_t>(gan_.config().image);
  batch_.resize(static_cast<std::size_t>(B) * image);
  const auto means = [this] {  // sums: d_loss, g_loss, d_real, d_fake — per step
    const double k = static_cast<double>(std::max<std::uint64_t>(position_.steps, 1));
    const std::vector<double>& s = position_.sums;
    return Metrics{{"d_loss", s[0] / k}, {"g_loss", s[1] / k}, {"d_real", s[2] / k}, {"d_fake", s[3] / k}};
  };
  const auto train_step = [&](std::size_t first, int count) {
    gather_batch(train, order_, first, count, 2.0f, -1.0f, batch_.data());
    const GanLosses l = step(batch_.data(), count);
    if (!divergence_.empty()) return false;
    std::vector<double>& s = position_.sums;
    s[0] += l.discriminator;
    s[1] += l.generator;
    s[2] += l.real_score;
    s[3] += l.fake_score;
    return true;
  };
  // Only whole batches (drop_last): the epoch covers steps_per_epoch(n) · B images.
  return run_epoch(data_rng_, n, steps_per_epoch(n) * static_cast<std::size_t>(B), B, 4, train_step, means, observer);
}

Metrics GanTrainer::evaluate(const Dataset& test, std::size_t n) {
  const std::size_t image = static_cast<std::size_t>(gan_.config().image);
  std::vector<float> chunk(static_cast<std::size_t>(kEvalChunk) * image);
  std::vector<float> logits(kEvalChunk);
  std::vector<std::uint32_t> identity(n);
  for (std::size_t i = 0; i < n; ++i) identity[i] = static_cast<std::uint32_t>(i);
  double score = 0;
  for (std::size_t first = 0; first < n; first += kEvalChunk) {
    const int count = static_cast<int>(std::min<std::size_t>(kEvalChunk, n - first));
    gather_batch(test, identity, first, count, 2.0f, -1.0f, chunk.data());
    gan_.discriminate(chunk.data(), count, logits.data());
    for (int i = 0; i < count; ++i) score += stable_sigmoid(logits[static_cast<std::size_t>(i)]);
  }
  return {{"test_d_real", score / static_cast<double>(std::max<std::size_t>(n, 1))}};
}

void GanTrainer::render(const float* z, int count, float* pixels) {
  gan_.generate(z, count, pixels);
  const std::size_t total = static_cast<std::size_t>(count) * static_cast<std::size_t>(gan_.config().image);
  for (std::size_t i = 0; i < total; ++i) pixels[i] = (pixels[i] + 1.0f) * 0.5f;
}

bool GanTrainer::finite() const {
  return parameters_finite(gan_.generator_parameters()) && parameters_finite(gan_.discriminator_parameters());
}

std::vector<std::uint8_t> GanTrainer::model_bytes(const Metadata& extra) const {
  return save_model(gan_, config_metadata(), extra, DType::F32);
}

std::vector<std::uint8_t> GanTrainer::checkpoint_bytes(const Metadata& extra) const {
  std::vector<TensorToWrite> tensors = tensors_to_write(gan_.generator_parameters());
  const std::vector<TensorToWrite> running = tensors_to_write(gan_.generator_buffers());
  tensors.insert(tensors.end(), running.begin(), running.end());
  const std::vector<TensorToWrite> d = tensors_to_write(gan_.discriminator_parameters());
  tensors.insert(tensors.end(), d.begin(), d.end());
  Metadata metadata = extra;
  store_counters(metadata);
  store_adam(tensors, metadata, "adam.generator", adam_g_);
  store_adam(tensors, metadata, "adam.discriminator", adam_d_);
  store_rng(metadata, "data", data_rng_);
  store_rng(metadata, "noise", noise_rng_);
  for (const auto& [key, value] : config_metadata()) metadata[key] = value;
  return encode_safetensors(tensors, metadata, DType::F32);
}

Result<bool> GanTrainer::restore(const SafetensorsContents& checkpoint) {
  using R = Result<bool>;
  const Metadata& m = checkpoint.metadata;
  if (auto ok = restore_common(checkpoint, "GAN"); !ok) return ok;
  auto config = gan_config_from_metadata(m);
  if (!config) return R::failure(config.error());
  if (latentlab::config_metadata(config.value()) != config_metadata())
    return R::failure("the checkpoint's GAN (generator " + m.at("generator_hidden") + ", discriminator " +
                      m.at("discriminator_hidden") + ", latent " + m.at("latent") +
                      ") differs from the one being trained");
  if (auto ok = load_parameters(checkpoint, gan_.generator_parameters()); !ok) return ok;
  if (auto ok = load_parameters(checkpoint, gan_.generator_buffers()); !ok) return ok;
  if (auto ok = load_parameters(checkpoint, gan_.discriminator_parameters()); !ok) return ok;
  if (auto ok = restore_adam(checkpoint, "adam.generator", adam_g_); !ok) return ok;
  if (auto ok = restore_adam(checkpoint, "adam.discriminator", adam_d_); !ok) return ok;
  if (auto ok = restore_rng(m, "data", data_rng_); !ok) return ok;
  return restore_rng(m, "noise", noise_rng_);
}

}  // namespace latentlab::native
