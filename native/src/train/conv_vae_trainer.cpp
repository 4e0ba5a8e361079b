#include "train/conv_vae_trainer.hpp"

#include "train/checkpoint.hpp"
#include "train/vae_trainer.hpp"  // vae_test_metrics

namespace latentlab::native {

ConvVaeTrainer::ConvVaeTrainer(const ConvVaeConfig& config, const TrainingOptions& options)
    : Trainer(options), vae_(config), adam_(vae_.parameters().size(), [&] {
        AdamConfig c;
        c.lr = options.lr;  // β1 = 0.9, β2 = 0.999, ε = 1e-8: torch.optim.Adam's defaults
        return c;
      }()) {
  add_optimiser("adam", adam_);
  Rng init = init_rng();
  vae_.init(init);
}

Metadata ConvVaeTrainer::config_metadata() const { return latentlab::config_metadata(vae_.config()); }

Trainer::LossTerms ConvVaeTrainer::train_step(const Dataset& train, std::size_t first, int count) {
  const float* batch = gather(train, first, count, vae_.pixel_range());
  const int* labels = gather_classes(train, first, count);
  // ε for the global batch, this rank's rows (the same ε per image for any number of ranks).
  const VaeLosses l = vae_.compute_gradients(batch, labels, count, step_normals(vae_.config().latent));
  apply({{"reconstruction", l.reconstruction}, {"KL", l.kl}, {"loss", l.total}}, vae_.parameters(), adam_);
  return {{"loss", l.total}, {"recon", l.reconstruction}, {"kl", l.kl}};
}

Metrics ConvVaeTrainer::evaluate(const Dataset& test, std::size_t n) { return vae_test_metrics(vae_, test, n); }

void ConvVaeTrainer::render(const float* z, const int* labels, int count, float* pixels) {
  vae_.decode(z, labels, count, pixels);
}

Result<bool> ConvVaeTrainer::check_config(const Metadata& m) const {
  using R = Result<bool>;
  auto config = conv_vae_config_from_metadata(m);
  if (!config) return R::failure(config.error());
  if (latentlab::config_metadata(config.value()) != config_metadata())
    return R::failure("the checkpoint's conv VAE (channels " + m.at("channels") + ", fc " + m.at("fc") +
                      ", latent " + m.at("latent") + ") differs from the one being trained");
  return R::success(true);
}

}  // namespace latentlab::native
