// The model kinds as the native side knows them, each registered once (registry.cpp), beside the
// core's registry (latentlab/models/registry.hpp): what the CLI, the trainer and the evaluator
// need of a kind that the core does not. Code outside the two registries reads a kind's entries
// and capabilities, never its name.
//
// Adding a kind to the native side: its trainer (a Trainer subclass, trainer.hpp) and one entry
// in kKinds (registry.cpp): metadata keys, test metrics, CLI defaults and help, how the model
// flags map onto its configuration (fresh and resumed), its architecture line and its factory.
#pragma once

#include <any>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/datasets.hpp"
#include "latentlab/models/registry.hpp"
#include "train/trainer.hpp"

namespace latentlab::native {

// A flag's value as parsed and whether it was given.
template <class T>
struct Flag {
  T value{};
  bool given = false;
};

// The `latentlab train` flags that shape a model (their meaning depends on the kind). A value not
// given is the default: the kind's defaults.latent and defaults.(conditional_)gan_loss, --beta's 1.
struct ModelFlags {
  Flag<int> latent;
  Flag<std::vector<int>> hidden, disc_hidden;  // layer widths (parsed and checked by the CLI)
  Flag<float> beta;
  Flag<int> kl_warmup;        // --kl-warmup EPOCHS (its value goes to TrainingOptions; only a VAE has a KL term)
  std::string generator;      // "stable" | "plain" (GAN generator variant)
  bool conditional = false;   // --conditional: condition on the data set's classes (VAE, GAN)
  Flag<std::string> gan_loss;  // --gan-loss bce|lsgan|hinge|wgan-gp (GAN kinds; checked by the CLI)
  bool spectral_norm = false;  // --spectral-norm (GAN kinds)
  Flag<std::string> discriminator_conditioning;  // --discriminator-conditioning projection|channels (conditional DCGAN)
};

// A fresh conditional configuration's classes before the data set is known: make_trainer sets
// the data set's class count.
inline constexpr int kClassesOfData = -1;

// What a resumed run's flag must agree with: throws UsageError when `wanted` != `stored`.
using Conflict = std::function<void(const char* flag, const std::string& wanted, const std::string& stored)>;

// The data a trainer is built for.
struct DataShape {
  int image_size;  // pixels per image
  int classes;     // label classes of the data set
};

// `latentlab train`'s defaults for a kind.
struct TrainDefaults {
  int epochs, batch;
  const char* lr;      // as the help text writes it ("1e-3"); parsed with strtof. wgan-gp trains
                       // with its paper's kWganGpLearningRate instead (the CLI applies it)
  int latent;          // 0: no latent space
  const char* hidden;  // the default --hidden, as help text
  // The default --gan-loss of an adversarial kind ("wgan-gp", "bce"), without and with
  // --conditional; "" for the other kinds. Only new runs read them: a file or checkpoint without
  // the gan_loss key is bce (the core codec).
  const char *gan_loss, *conditional_gan_loss;
  // The default --beta (VAE kinds) and --epochs with --conditional (0: the kind's plain default, β 1
  // and `epochs`). The conditional DCGAN reaches its FD in 5 epochs, the plain one needs 20. At β 1 a conditional VAE's samples are the class they are asked for only 64 %
  // (MLP) / 85 % (conv) of the time: each class's codes cover only part of the prior, and a z from
  // elsewhere decodes as another class; β 4 spreads them over it (docs/evaluation.md).
  float conditional_beta;
  int conditional_epochs;
  // The kind's lines of the help footer "Defaults by model:" (after "  <name>: ").
  const char* help;
};

struct NativeKind {
  const ModelKind* kind;
  // The kind's own __metadata__ keys (registry.hpp lists them), space-separated, in the order
  // `latentlab info` shows them. "key=value": a file without the key means value, and info says
  // so ("gan_loss=bce": every file written before wgan-gp became the MLP GAN's default is bce).
  const char* config_keys;
  // The trainer's test metrics of a loaded model on the first n images of `test` (the columns
  // log.csv shows), which `latentlab eval` reports too; null when the kind has none that a
  // weights file supports.
  Metrics (*test_metrics)(GenerativeModel& model, const Dataset& test, std::size_t n);

  // --- training (`latentlab train`) ---
  TrainDefaults defaults;
  bool needs_labels;  // trains on the data set's labels (at least 2 classes)
  // The kind's configuration (its XConfig, in a std::any) of a new run: defaults, then the model
  // flags. UsageError for a flag that does not apply to the kind.
  std::any (*fresh_config)(const ModelFlags& flags);
  // The configuration stored in a checkpoint's metadata (the error names what is wrong).
  Result<std::any> (*checkpoint_config)(const Metadata& metadata);
  // A resumed run: every model flag given must agree with the checkpoint's configuration
  // (conflict), or is refused as not applying to the kind (UsageError).
  void (*check_resume_flags)(const std::any& config, const ModelFlags& flags, const Conflict& conflict);
  // The trainer of `config` (sizes that come from the data set taken from `data`).
  std::unique_ptr<Trainer> (*make_trainer)(const std::any& config, const TrainingOptions& options,
                                           const DataShape& data);
  // The architecture in one line ("VAE 784-[400]-20, beta 1") from the model's config_metadata.
  std::string (*describe)(const Metadata& config);
};

// The native entry of a registered kind (every core kind has one).
const NativeKind& native_kind(const ModelKind& kind);
// The entry of the kind of that name, or null.
const NativeKind* find_native_kind(const std::string& name);
// Every kind, in registration order.
const std::vector<const NativeKind*>& native_kinds();
// Their names for messages: "vae, gan or classifier".
std::string native_kind_names();

}  // namespace latentlab::native
