// The native side of each model kind (registry.hpp). Adding a kind: one entry in kKinds.
#include "train/registry.hpp"

#include <stdexcept>
#include <string>

#include "train/vae_trainer.hpp"

namespace latentlab::native {

namespace {

Metrics vae_metrics(GenerativeModel& model, const Dataset& test, std::size_t n) {
  return vae_test_metrics(static_cast<Vae&>(model), test, n);
}

const NativeKind kKinds[] = {
    {find_model_kind("vae"), "input hidden latent beta", vae_metrics},
    // The GAN's test metric needs the discriminator, which a file may leave out.
    {find_model_kind("gan"),
     "image latent generator_hidden discriminator_hidden leaky_slope generator_activation generator_batchnorm "
     "batchnorm_eps",
     nullptr},
    {find_model_kind("classifier"), "input hidden classes", nullptr},
};

}  // namespace

const NativeKind& native_kind(const ModelKind& kind) {
  for (const NativeKind& k : kKinds)
    if (k.kind == &kind) return k;
  throw std::logic_error(std::string("model kind \"") + kind.name + "\" has no native registration");
}

}  // namespace latentlab::native
