// Training in the page: the C ABI of createVaeTrainer / createGanTrainer / createDcganTrainer in
// web/latentlab.js (the page's Train section runs it in a Web Worker, web/train-worker.js). Linked
// only into the training build (latentlab_core_train.{js,wasm}); the default module the page downloads stays
// inference-only, since the backward passes, Adam and the weights writer add about a quarter to its
// gzipped size. Conventions as in model_abi.cpp (opaque handles, error strings, seeds as two
// uint32 halves).
//
// Each trainer is the native trainer's step (native/src/train/{vae,adversarial}_trainer.cpp) without
// its data loader — the caller passes each batch, pixels in [0, 1], and for a conditional model the
// batch's classes. Same RNG streams as the native trainers (latentlab/streams.hpp), so a seed
// initialises identical parameters.

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latentlab/io/model_io.hpp"
#include "latentlab/models/dcgan.hpp"
#include "latentlab/models/gan.hpp"
#include "latentlab/models/registry.hpp"
#include "latentlab/models/vae.hpp"
#include "latentlab/nn/adam.hpp"
#include "latentlab/nn/label_input.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/streams.hpp"
#include "abi.hpp"

namespace {

using latentlab::wasm::join64;
using latentlab::wasm::kMaxBatch;

// What every page trainer holds besides its model and optimisers.
struct TrainerState {
  latentlab::Rng noise;
  std::string error;                // empty when the trainer was built
  std::vector<std::uint8_t> saved;  // the last save, returned by pointer

  // The native trainers' seeding: the model's parameters from Rng(seed, kInitStream), the step
  // noise from Rng(seed, kNoiseStream).
  template <class Model>
  void seed(Model& model, std::uint32_t seed_lo, std::uint32_t seed_hi) {
    const std::uint64_t seed = join64(seed_lo, seed_hi);
    latentlab::Rng init(seed, latentlab::kInitStream);
    model.init(init);
    noise = latentlab::Rng(seed, latentlab::kNoiseStream);
  }
};

// config_json: an object of strings with a weights file's metadata keys → Metadata, or "" and error.
bool metadata_from_json(const char* config_json, const char* what, latentlab::Metadata& meta, std::string& error) {
  nlohmann::json j = nlohmann::json::parse(config_json ? config_json : "", nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    error = std::string("the ") + what + " configuration is not a JSON object";
    return false;
  }
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) {
      error = std::string(what) + " configuration: \"" + key + "\" must be a string";
      return false;
    }
    meta[key] = value.get<std::string>();
  }
  return true;
}

bool lr_ok(float lr, std::string& error) {
  if (lr > 0.0f && lr <= 10.0f) return true;
  error = "learning rate must be in (0, 10]";
  return false;
}

// The step's labels: nullptr for an unconditional model; -3 (bad labels) when a conditional
// model gets none or one outside [0, classes).
int check_labels(const int* labels, int n, int classes) {
  if (classes == 0) return 0;
  return labels && latentlab::labels_in_range(labels, n, classes) ? 0 : -3;
}

struct LlVaeTrainer : TrainerState {
  std::unique_ptr<latentlab::Vae> vae;
  std::unique_ptr<latentlab::Adam> adam;
};

// An adversarial model's two players, each with its Adam: M is the MLP GAN (latentlab::Gan) or the
// DCGAN (latentlab::Dcgan), which share the interface native/src/train/adversarial_trainer.hpp uses.
template <class M>
struct LlAdversarialTrainer : TrainerState {
  std::unique_ptr<M> gan;
  std::unique_ptr<latentlab::Adam> adam_g, adam_d;
  std::vector<float> real;  // the batch in [−1, 1]
};
using LlGanTrainer = LlAdversarialTrainer<latentlab::Gan>;
using LlDcganTrainer = LlAdversarialTrainer<latentlab::Dcgan>;

// A configuration through the kind's codec (the overload picks the kind, as the native trainer's).
latentlab::Result<latentlab::GanConfig> config_from(const latentlab::Metadata& m, const latentlab::Gan*) {
  return latentlab::gan_config_from_metadata(m);
}
latentlab::Result<latentlab::DcganConfig> config_from(const latentlab::Metadata& m, const latentlab::Dcgan*) {
  return latentlab::dcgan_config_from_metadata(m);
}

// what: "GAN" or "DCGAN", for the messages. Adam β = (0.5, 0.999) for both players, as the native
// trainer's for every objective but wgan-gp, which the page refuses: its critic steps per G step,
// gradient penalty and Adam (0, 0.9) are the native trainer's alone, and the models throw on a
// wgan-gp D step without the penalty's draw. bce, lsgan and hinge are the same step (the model
// applies the objective).
template <class M>
LlAdversarialTrainer<M>* adversarial_create(const char* config_json, float lr, std::uint32_t seed_lo,
                                           std::uint32_t seed_hi, const char* what) {
  auto* t = new (std::nothrow) LlAdversarialTrainer<M>();
  if (!t) return nullptr;
  latentlab::Metadata meta;
  if (!metadata_from_json(config_json, what, meta, t->error) || !lr_ok(lr, t->error)) return t;
  auto config = config_from(meta, static_cast<const M*>(nullptr));
  if (!config) {
    t->error = std::string(what) + " configuration: " + config.error();
    return t;
  }
  if (config.value().objective == latentlab::GanObjective::Wasserstein) {
    t->error = std::string(what) + " configuration: gan_loss wgan-gp trains only natively (latentlab train): the page's step does bce, lsgan and hinge";
    return t;
  }
  t->gan.reset(new (std::nothrow) M(config.value()));
  latentlab::AdamConfig adam;
  adam.lr = lr;
  adam.beta1 = 0.5f;  // the native adversarial trainer's (DCGAN's) momentum
  if (t->gan) {
    t->adam_g.reset(new (std::nothrow) latentlab::Adam(t->gan->generator_parameters().size(), adam));
    t->adam_d.reset(new (std::nothrow) latentlab::Adam(t->gan->discriminator_parameters().size(), adam));
  }
  if (!t->gan || !t->adam_g || !t->adam_d) {
    t->gan.reset();
    t->error = std::string("out of memory building the ") + what;
    return t;
  }
  t->seed(*t->gan, seed_lo, seed_hi);
  return t;
}

// Trained parameters (generator + discriminator).
template <class M>
double adversarial_parameter_count(const LlAdversarialTrainer<M>* t) {
  return t && t->gan ? static_cast<double>(t->gan->generator_parameters().count() + t->gan->discriminator_parameters().count())
                     : 0.0;
}

// One iteration (gan.hpp, dcgan.hpp: fakes, D step, G step) on a batch of real images (n × image,
// pixels in [0, 1], mapped here to the GAN's [−1, 1]), as AdversarialTrainer::train_step with one
// critic step: z is the next n × latent normals of the noise stream, the native step's z.
// labels as for the VAE. losses: 4 doubles, the batch means L_D, L_G, and D's mean score of the
// real and of the fake batch (σ(D(·)) for bce, the raw critic score for lsgan and hinge).
// Return codes as for the VAE.
template <class M>
int adversarial_step(LlAdversarialTrainer<M>* t, const float* images, const int* labels, int n, double* losses) {
  if (!t || !t->gan) return -1;
  if (n < 1 || n > kMaxBatch || !images || !losses) return -2;
  if (int rc = check_labels(labels, n, t->gan->classes())) return rc;
  const int* y = t->gan->conditional() ? labels : nullptr;
  M& gan = *t->gan;
  const latentlab::PixelMap map = latentlab::pixel_map(gan.pixel_range());
  const std::size_t count = static_cast<std::size_t>(n) * static_cast<std::size_t>(gan.image_size());
  t->real.resize(count);
  for (std::size_t i = 0; i < count; ++i) t->real[i] = map.scale * images[i] + map.shift;
  gan.sample_fakes(n, t->noise, y);
  latentlab::GanLosses l = gan.discriminator_gradients(t->real.data());
  t->adam_d->step(gan.discriminator_parameters().values(), gan.discriminator_parameters().grads());
  l.generator = gan.generator_gradients();
  t->adam_g->step(gan.generator_parameters().values(), gan.generator_parameters().grads());
  losses[0] = l.discriminator;
  losses[1] = l.generator;
  losses[2] = l.real_score;
  losses[3] = l.fake_score;
  return 0;
}

// The model as a weights file (F32: generator, its BatchNorm statistics, the discriminator and its
// buffers).
template <class M>
const std::uint8_t* adversarial_save(LlAdversarialTrainer<M>* t, std::uint32_t* size) {
  if (!t || !t->gan || !size) return nullptr;
  t->saved = latentlab::save_model(*t->gan, latentlab::config_metadata(t->gan->config()), {});
  *size = static_cast<std::uint32_t>(t->saved.size());
  return t->saved.data();
}

}  // namespace

extern "C" {

// config_json: an object of strings with the weights file's VAE keys (input, hidden "400" or
// "512,256", latent, beta, classes for a conditional VAE), checked by the same code that checks a
// file's metadata. lr: Adam's learning rate (β1 0.9, β2 0.999, ε 1e-8, as native). Never null for
// a bad config: see ll_vae_trainer_error, as for ll_model_load.
EMSCRIPTEN_KEEPALIVE LlVaeTrainer* ll_vae_trainer_create(const char* config_json, float lr, std::uint32_t seed_lo,
                                                         std::uint32_t seed_hi) {
  LlVaeTrainer* t = new (std::nothrow) LlVaeTrainer();
  if (!t) return nullptr;
  latentlab::Metadata meta;
  if (!metadata_from_json(config_json, "VAE", meta, t->error) || !lr_ok(lr, t->error)) return t;
  auto config = latentlab::vae_config_from_metadata(meta);
  if (!config) {
    t->error = "VAE configuration: " + config.error();
    return t;
  }
  t->vae.reset(new (std::nothrow) latentlab::Vae(config.value()));
  latentlab::AdamConfig adam;
  adam.lr = lr;
  if (t->vae) t->adam.reset(new (std::nothrow) latentlab::Adam(t->vae->parameters().size(), adam));
  if (!t->vae || !t->adam) {
    t->vae.reset();
    t->error = "out of memory building the VAE";
    return t;
  }
  t->seed(*t->vae, seed_lo, seed_hi);
  return t;
}

EMSCRIPTEN_KEEPALIVE void ll_vae_trainer_free(LlVaeTrainer* t) { delete t; }

EMSCRIPTEN_KEEPALIVE const char* ll_vae_trainer_error(const LlVaeTrainer* t) { return t ? t->error.c_str() : "out of memory"; }

EMSCRIPTEN_KEEPALIVE double ll_vae_trainer_parameter_count(const LlVaeTrainer* t) {
  return t && t->vae ? static_cast<double>(t->vae->parameters().count()) : 0.0;
}

// One Adam step on a batch (n × input, pixels in [0, 1]; labels: n classes for a conditional VAE,
// else null). losses: 3 doubles, the batch's summed total, reconstruction and KL terms of the
// step's forward pass (before the update). 0, or -1 (no trainer), -2 (bad n), -3 (bad labels).
EMSCRIPTEN_KEEPALIVE int ll_vae_trainer_step(LlVaeTrainer* t, const float* images, const int* labels, int n,
                                             double* losses) {
  if (!t || !t->vae) return -1;
  if (n < 1 || n > kMaxBatch || !images || !losses) return -2;
  if (int rc = check_labels(labels, n, t->vae->classes())) return rc;
  const int* y = t->vae->conditional() ? labels : nullptr;
  const latentlab::VaeLosses l = t->vae->compute_gradients(images, y, n, t->noise);
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

// config_json: the weights file's GAN keys (image, latent, generator_hidden,
// discriminator_hidden, generator_activation, generator_batchnorm, batchnorm_eps, classes,
// gan_loss…), as for the VAE. lr: both players' Adam learning rate.
EMSCRIPTEN_KEEPALIVE LlGanTrainer* ll_gan_trainer_create(const char* config_json, float lr, std::uint32_t seed_lo,
                                                         std::uint32_t seed_hi) {
  return adversarial_create<latentlab::Gan>(config_json, lr, seed_lo, seed_hi, "GAN");
}
EMSCRIPTEN_KEEPALIVE void ll_gan_trainer_free(LlGanTrainer* t) { delete t; }
EMSCRIPTEN_KEEPALIVE const char* ll_gan_trainer_error(const LlGanTrainer* t) { return t ? t->error.c_str() : "out of memory"; }
EMSCRIPTEN_KEEPALIVE double ll_gan_trainer_parameter_count(const LlGanTrainer* t) { return adversarial_parameter_count(t); }
EMSCRIPTEN_KEEPALIVE int ll_gan_trainer_step(LlGanTrainer* t, const float* images, const int* labels, int n,
                                             double* losses) {
  return adversarial_step(t, images, labels, n, losses);
}
EMSCRIPTEN_KEEPALIVE const std::uint8_t* ll_gan_trainer_save(LlGanTrainer* t, std::uint32_t* size) {
  return adversarial_save(t, size);
}

// The DCGAN's, the same functions: config_json has the weights file's DCGAN keys (image, latent,
// generator_channels, discriminator_channels, leaky_slope, batchnorm_eps, gan_loss, spectral_norm,
// discriminator_batchnorm, classes with discriminator_conditioning "projection"…).
EMSCRIPTEN_KEEPALIVE LlDcganTrainer* ll_dcgan_trainer_create(const char* config_json, float lr, std::uint32_t seed_lo,
                                                             std::uint32_t seed_hi) {
  return adversarial_create<latentlab::Dcgan>(config_json, lr, seed_lo, seed_hi, "DCGAN");
}
EMSCRIPTEN_KEEPALIVE void ll_dcgan_trainer_free(LlDcganTrainer* t) { delete t; }
EMSCRIPTEN_KEEPALIVE const char* ll_dcgan_trainer_error(const LlDcganTrainer* t) {
  return t ? t->error.c_str() : "out of memory";
}
EMSCRIPTEN_KEEPALIVE double ll_dcgan_trainer_parameter_count(const LlDcganTrainer* t) {
  return adversarial_parameter_count(t);
}
EMSCRIPTEN_KEEPALIVE int ll_dcgan_trainer_step(LlDcganTrainer* t, const float* images, const int* labels, int n,
                                               double* losses) {
  return adversarial_step(t, images, labels, n, losses);
}
EMSCRIPTEN_KEEPALIVE const std::uint8_t* ll_dcgan_trainer_save(LlDcganTrainer* t, std::uint32_t* size) {
  return adversarial_save(t, size);
}

}  // extern "C"
