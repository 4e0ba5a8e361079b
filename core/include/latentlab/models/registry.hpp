// The model kinds. Each kind is registered once, in models/registry.cpp: its name in a weights
// file's __metadata__ "kind", its configuration codec, the size check that refuses a file before
// anything is allocated, and how to build it. Code outside the registries (this one, the native
// trainer registry native/src/train/registry.cpp) reads capabilities, never a kind's name.
//
// Metadata keys of each kind (all values are strings; written by config_metadata):
//   every kind  format = "latentlab", format_version = "1", kind, image_height, image_width,
//               pixel_range ("0,1" or "-1,1")
//   vae         input, hidden ("400" or "512,256"), latent, beta (default 1)
//   gan         image, latent, generator_hidden, discriminator_hidden, leaky_slope (default 0.2),
//               generator_activation ("relu" | "leaky_relu", required),
//               generator_batchnorm ("0" | "1", required), batchnorm_eps (required when
//               generator_batchnorm is "1"; docs/weights-format.md)
//   classifier  input, hidden, classes
//   dcgan       image, latent, generator_channels ("128,64"), discriminator_channels ("64,128"),
//               leaky_slope, batchnorm_eps, discriminator_batchnorm ("0" | "1", default 1)
//   gan, dcgan  gan_loss ("bce" | "lsgan" | "hinge" | "wgan-gp", default bce), spectral_norm
//               ("0" | "1", default 0; "1": D's buffers hold each weight's <name>_u, <name>_v)
//   conv-vae    input, channels ("32,64"), fc (the Linear width, 256), latent, beta
//   vae, gan    classes (2…256): present only for a conditional model (models/model.hpp classes())
//   dcgan       discriminator_conditioning ("projection" | "channels"): required with classes, else absent
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "latentlab/io/metadata.hpp"
#include "latentlab/models/classifier.hpp"
#include "latentlab/models/conv_vae.hpp"
#include "latentlab/models/dcgan.hpp"
#include "latentlab/models/gan.hpp"
#include "latentlab/models/model.hpp"
#include "latentlab/models/vae.hpp"
#include "latentlab/result.hpp"

namespace latentlab {

enum class ModelRole { Generative, Classifier };

struct ModelKind {
  const char* name;   // __metadata__ "kind": "vae"
  const char* label;  // in messages: "VAE"
  ModelRole role;     // Generative kinds build a GenerativeModel, Classifier kinds a Classifier
  // Parses and range-checks the configuration in `metadata` (sizes 1…65536, ≤ 16 hidden layers,
  // ≤ 2^27 parameters). Returns how many values the tensors a file must hold (the groups
  // needed_to_generate) add up to, so a loader can refuse a short file before it allocates.
  Result<std::uint64_t> (*check)(const Metadata& metadata);
  // Builds the model of a configuration `check` accepted (nothrow: null when out of memory).
  Model* (*build)(const Metadata& metadata);
};

// The kind of that name, or null: among all kinds, the generative ones, the classifiers. The
// kinds of each role are a table of their own, so that code looking up only generative kinds
// (the page's wasm module) links no classifier.
const ModelKind* find_model_kind(const std::string& name);
const ModelKind* find_generative_kind(const std::string& name);
const ModelKind* find_classifier_kind(const std::string& name);
// The names of a role's kinds for messages: "\"vae\" or \"gan\"".
std::string generative_kind_names();
std::string classifier_kind_names();

// The configuration codecs, for the code that knows its kind (a trainer, the wasm VAE trainer).
Metadata config_metadata(const VaeConfig& config);
Metadata config_metadata(const GanConfig& config);
Metadata config_metadata(const ClassifierConfig& config);
Metadata config_metadata(const DcganConfig& config);
Metadata config_metadata(const ConvVaeConfig& config);
Result<VaeConfig> vae_config_from_metadata(const Metadata& metadata);
Result<GanConfig> gan_config_from_metadata(const Metadata& metadata);
Result<ClassifierConfig> classifier_config_from_metadata(const Metadata& metadata);
Result<DcganConfig> dcgan_config_from_metadata(const Metadata& metadata);
Result<ConvVaeConfig> conv_vae_config_from_metadata(const Metadata& metadata);

}  // namespace latentlab
