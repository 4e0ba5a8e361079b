// Training a VAE in the page: the C ABI of createVaeTrainer in web/latentlab.js. Linked only into
// the training build (latentlab_core_train.{js,wasm}); the default module the page downloads
// stays inference-only, since the backward passes, Adam and the weights writer add about a
// quarter to its gzipped size. Conventions as in model_abi.cpp (opaque handles, error strings,
// seeds as two uint32 halves).
#include <emscripten/emscripten.h>

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latentlab/nn/adam.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/streams.hpp"
#include "latentlab/models/vae.hpp"
#include "abi.hpp"

namespace {

using latentlab::wasm::join64;
using latentlab::wasm::kMaxBatch;

// A VAE being trained in the page: the native trainer's step (native/src/train/vae_trainer.cpp) without
// its data loader — the caller passes each batch. Same RNG streams as the native trainer
// (latentlab/streams.hpp), so a seed initialises identical parameters.
struct LlVaeTrainer {
  std::unique_ptr<latentlab::Vae> vae;
  std::unique_ptr<latentlab::Adam> adam;
  latentlab::Rng noise;
  std::string error;              // empty when the trainer was built
  std::vector<std::uint8_t> saved;  // the last ll_vae_trainer_save, returned by pointer
};

}  // namespace

extern "C" {

// config_json: an object of strings with the weights file's VAE keys (input, hidden "400" or
// "512,256", latent, beta), checked by the same code that checks a file's metadata. lr: Adam's
// learning rate (β1 0.9, β2 0.999, ε 1e-8, as native). Never null for a bad config: see
// ll_vae_trainer_error, as for ll_model_load.
EMSCRIPTEN_KEEPALIVE LlVaeTrainer* ll_vae_trainer_create(const char* config_json, float lr, std::uint32_t seed_lo,
                                                         std::uint32_t seed_hi) {
  LlVaeTrainer* t = new (std::nothrow) LlVaeTrainer();
  if (!t) return nullptr;
  nlohmann::json j = nlohmann::json::parse(config_json ? config_json : "", nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    t->error = "the VAE configuration is not a JSON object";
    return t;
  }
  latentlab::Metadata meta;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) {
      t->error = "VAE configuration: \"" + key + "\" must be a string";
      return t;
    }
    meta[key] = value.get<std::string>();
  }
  auto config = latentlab::vae_config_from_metadata(meta);
  if (!config) {
    t->error = "VAE configuration: " + config.error();
    return t;
  }
  if (!(lr > 0.0f && lr <= 10.0f)) {
    t->error = "learning rate must be in (0, 10]";
    return t;
  }
  t->vae.reset(new (std::nothrow) latentlab::Vae(config.value()));
  if (!t->vae) {
    t->error = "out of memory building the VAE";
    return t;
  }
  latentlab::AdamConfig adam;
  adam.lr = lr;
  t->adam.reset(new (std::nothrow) latentlab::Adam(t->vae->parameters().size(), adam));
  if (!t->adam) {
    t->error = "out of memory building the optimiser";
    return t;
  }
  const std::uint64_t seed = join64(seed_lo, seed_hi);
  latentlab::Rng init(seed, latentlab::kInitStream);
  t->vae->init(init);
  t->noise = latentlab::Rng(seed, latentlab::kNoiseStream);
  return t;
}

EMSCRIPTEN_KEEPALIVE void ll_vae_trainer_free(LlVaeTrainer* t) { delete t; }

EMSCRIPTEN_KEEPALIVE const char* ll_vae_trainer_error(const LlVaeTrainer* t) { return t ? t->error.c_str() : "out of memory"; }

EMSCRIPTEN_KEEPALIVE double ll_vae_trainer_parameter_count(const LlVaeTrainer* t) {
  return t && t->vae ? static_cast<double>(t->vae->parameters().count()) : 0.0;
}

// One Adam step on a batch (n × input, pixels in [0, 1]). losses: 3 doubles, the batch's summed
// total, reconstruction and KL terms of the step's forward pass (before the update).
EMSCRIPTEN_KEEPALIVE int ll_vae_trainer_step(LlVaeTrainer* t, const float* images, int n, double* losses) {
  if (!t || !t->vae) return -1;
  if (n < 1 || n > kMaxBatch || !images || !losses) return -2;
  const latentlab::VaeLosses l = t->vae->compute_gradients(images, n, t->noise);
  t->adam->step(t->vae->parameters().values(), t->vae->parameters().grads());
  losses[0] = l.total;
  losses[1] = l.reconstruction;
  losses[2] = l.kl;
  return 0;
}

// The current parameters as a weights file (F32), loadable by ll_model_load; *size gets its length.
// The bytes stay valid until the next save or free.
EMSCRIPTEN_KEEPALIVE const std::uint8_t* ll_vae_trainer_save(LlVaeTrainer* t, std::uint32_t* size) {
  if (!t || !t->vae || !size) return nullptr;
  t->saved = latentlab::save_model(*t->vae, latentlab::config_metadata(t->vae->config()), {});
  *size = static_cast<std::uint32_t>(t->saved.size());
  return t->saved.data();
}

}  // extern "C"
