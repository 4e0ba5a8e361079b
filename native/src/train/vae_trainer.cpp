#include "train/vae_trainer.hpp"

#include <algorithm>
#include <cmath>

#include "train/checkpoint.hpp"

namespace latentlab::native {

namespace {
AdamConfig vae_adam(float lr) {
  AdamConfig c;
  c.lr = lr;  // β1 = 0.9, β2 = 0.999, ε = 1e-8: torch.optim.Adam's defaults
  return c;
}
}  // namespace

VaeTrainer::VaeTrainer(const VaeConfig& config, const TrainingOptions& options)
    : options_(options),
      vae_(config),
      adam_(vae_.parameters().size(), vae_adam(options.lr)),
      data_rng_(options.seed, kDataOrderStream),
      noise_rng_(options.seed, kNoiseStream) {
  Rng init(options.seed, kInitStream);
  vae_.init(init);
}

Metadata VaeTrainer::config_metadata() const { return latentlab::config_metadata(vae_.config()); }

VaeLosses VaeTrainer::step(const float* batch, int count) {
  const VaeLosses losses = vae_.compute_gradients(batch, count, noise_rng_);
  if (!step_finite({{"reconstruction", losses.reconstruction}, {"KL", losses.kl}, {"loss", losses.total}},
                   vae_.parameters()))
    return losses;  // diverged: the update is not applied (see divergence())
  adam_.step(vae_.parameters().values(), vae_.parameters().grads());
  ++steps_done_;
  return losses;
}

std::size_t VaeTrainer::steps_per_epoch(std::size_t n) const {
  const std::size_t b = static_cast<std::size_t>(options_.batch);
  return (n + b - 1) / b;  // the last partial batch is a step too (PyTorch drop_last=False)
}

Metrics VaeTrainer::train_epoch(const Dataset& train, std::size_t n, const StepObserver& observer) {
  const int input = vae_.config().input;
  batch_.resize(static_cast<std::size_t>(options_.batch) * static_cast<std::size_t>(input));
  const auto means = [this] {  // sums: loss, recon, kl — per image
    const double m = static_cast<double>(std::max<std::uint64_t>(position_.images, 1));
    const std::vector<double>& s = position_.sums;
    return Metrics{{"loss", s[0] / m}, {"recon", s[1] / m}, {"kl", s[2] / m}};
  };
  const auto train_step = [&](std::size_t first, int count) {
    gather_batch(train, order_, first, count, 1.0f, 0.0f, batch_.data());
    const VaeLosses l = step(batch_.data(), count);
    if (!divergence_.empty()) return false;
    std::vector<double>& s = position_.sums;
    s[0] += l.total;
    s[1] += l.reconstruction;
    s[2] += l.kl;
    return true;
  };
  return run_epoch(data_rng_, n, n, options_.batch, 3, train_step, means, observer);
}

Metrics VaeTrainer::evaluate(const Dataset& test, std::size_t n) { return vae_test_metrics(vae_, test, n); }

Metrics vae_test_metrics(Vae& vae, const Dataset& test, std::size_t n) {
  Rng eval_rng(kEvalSeed, kEvalStream);
  double loss = 0, recon = 0, kl = 0, loss_mu = 0;
  for_each_test_chunk(test, n, [&](const float* chunk, std::size_t, int count) {
    const VaeLosses sampled = vae.evaluate(chunk, count, &eval_rng);
    loss += sampled.total;
    recon += sampled.reconstruction;
    kl += sampled.kl;
    loss_mu += vae.evaluate(chunk, count, nullptr).total;
  });
  const double m = static_cast<double>(std::max<std::size_t>(n, 1));
  return {{"test_loss", loss / m}, {"test_recon", recon / m}, {"test_kl", kl / m}, {"test_loss_mu", loss_mu / m}};
}

void VaeTrainer::render(const float* z, int count, float* pixels) { vae_.decode(z, count, pixels); }

bool VaeTrainer::finite() const { return parameters_finite(vae_.parameters()); }

std::vector<std::uint8_t> VaeTrainer::model_bytes(const Metadata& extra) const {
  return save_model(vae_, config_metadata(), extra, DType::F32);
}

std::vector<std::uint8_t> VaeTrainer::checkpoint_bytes(const Metadata& extra) const {
  Metadata metadata = extra;
  store_counters(metadata);
  return encode_one_adam_checkpoint(vae_.parameters(), adam_, data_rng_, noise_rng_, metadata, config_metadata());
}

Result<bool> VaeTrainer::restore(const SafetensorsContents& checkpoint) {
  using R = Result<bool>;
  const Metadata& m = checkpoint.metadata;
  if (auto ok = restore_common(checkpoint, "VAE"); !ok) return ok;
  auto config = vae_config_from_metadata(m);
  if (!config) return R::failure(config.error());
  if (latentlab::config_metadata(config.value()) != config_metadata())
    return R::failure("the checkpoint's VAE (hidden " + m.at("hidden") + ", latent " + m.at("latent") +
                      ") differs from the one being trained");
  return restore_one_adam_checkpoint(checkpoint, vae_.parameters(), adam_, data_rng_, noise_rng_);
}

}  // namespace latentlab::native
