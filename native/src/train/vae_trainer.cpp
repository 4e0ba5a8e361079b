// The trainer of the MLP VAE and the conv VAE (vae_trainer.hpp).
#include "train/vae_trainer.hpp"

#include "latentlab/models/registry.hpp"
#include "train/checkpoint.hpp"
#include "train/registry.hpp"

namespace latentlab::native {

namespace {

AdamConfig vae_adam(float lr) {
  AdamConfig c;
  c.lr = lr;  // β1 = 0.9, β2 = 0.999, ε = 1e-8: torch.optim.Adam's defaults
  return c;
}

// A checkpoint's configuration through the kind's codec (the overload picks the kind).
Result<VaeConfig> config_from(const Metadata& m, const VaeConfig*) { return vae_config_from_metadata(m); }
Result<ConvVaeConfig> config_from(const Metadata& m, const ConvVaeConfig*) { return conv_vae_config_from_metadata(m); }

}  // namespace

template <class V>
VaeTrainerOf<V>::VaeTrainerOf(const Config& config, const TrainingOptions& options)
    : Trainer(options), vae_(config), adam_(vae_.parameters().size(), vae_adam(options.lr)) {
  add_optimiser("adam", adam_);
  Rng init = init_rng();
  vae_.init(init);
}

template <class V>
Metadata VaeTrainerOf<V>::config_metadata() const {
  return latentlab::config_metadata(vae_.config());
}

template <class V>
Trainer::LossTerms VaeTrainerOf<V>::train_step(const Dataset& train, std::size_t first, int count) {
  const float* batch = gather(train, first, count, vae_.pixel_range());
  const int* labels = gather_classes(train, first, count);
  // ε for the global batch, this rank's rows (the same ε per image for any number of ranks).
  vae_.set_kl_weight(kl_weight());
  const VaeLosses l = vae_.compute_gradients(batch, labels, count, step_normals(vae_.config().latent));
  vae_.set_kl_weight(vae_.config().beta);  // evaluation and everything else use the configured β
  apply({{"reconstruction", l.reconstruction}, {"KL", l.kl}, {"loss", l.total}}, vae_.parameters(), adam_);
  return {{"loss", l.total}, {"recon", l.reconstruction}, {"kl", l.kl}};
}

template <class V>
float VaeTrainerOf<V>::kl_weight() const {
  const float beta = vae_.config().beta;
  if (options_.kl_warmup_epochs <= 0) return beta;
  const double ramp = static_cast<double>(options_.kl_warmup_epochs) * static_cast<double>(steps_per_epoch(epoch_images()));
  const double t = static_cast<double>(steps_done());
  return t >= ramp ? beta : static_cast<float>(static_cast<double>(beta) * (t / ramp));
}

template <class V>
Metrics VaeTrainerOf<V>::evaluate(const Dataset& test, std::size_t n) {
  return vae_test_metrics(vae_, test, n);
}

template <class V>
void VaeTrainerOf<V>::render(const float* z, const int* labels, int count, float* pixels) {
  vae_.decode(z, labels, count, pixels);
}

template <class V>
Result<bool> VaeTrainerOf<V>::check_config(const Metadata& m) const {
  using R = Result<bool>;
  auto config = config_from(m, static_cast<const Config*>(nullptr));
  if (!config) return R::failure(config.error());
  if (latentlab::config_metadata(config.value()) != config_metadata())
    return R::failure("the checkpoint's " + native_kind(kind()).describe(m) + " differs from the one being trained");
  return R::success(true);
}

template class VaeTrainerOf<Vae>;
template class VaeTrainerOf<ConvVae>;

}  // namespace latentlab::native
