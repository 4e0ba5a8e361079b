// Models ↔ safetensors bytes. A weights file is self-describing: its
// __metadata__ holds the model kind and configuration, so a loader can build
// the right model before it reads a single tensor.
//
// Metadata keys written (all values are strings):
//   format = "latentlab", format_version = "1", kind = "vae" | "gan" | "classifier",
//   image_height, image_width, pixel_range ("0,1" for the VAE and the classifier, "-1,1" for the GAN)
//   VAE: input, hidden ("400" or "512,256"), latent, beta
//   GAN: image, latent, generator_hidden, discriminator_hidden, leaky_slope
//   classifier: input, hidden, classes
// plus any caller-supplied entries (data set, training summary, command line…).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "latentlab/models/classifier.hpp"
#include "latentlab/models/gan.hpp"
#include "latentlab/result.hpp"
#include "latentlab/io/safetensors.hpp"
#include "latentlab/models/vae.hpp"

namespace latentlab {

using Metadata = std::map<std::string, std::string>;

Metadata config_metadata(const VaeConfig& config);
Metadata config_metadata(const GanConfig& config);
Metadata config_metadata(const ClassifierConfig& config);
// Parse and range-check configurations (sizes 1…65536, ≤ 16 hidden layers, ≤ 2^27 parameters),
// so that nothing a header claims is allocated before it has been checked.
Result<VaeConfig> vae_config_from_metadata(const Metadata& metadata);
Result<GanConfig> gan_config_from_metadata(const Metadata& metadata);
Result<ClassifierConfig> classifier_config_from_metadata(const Metadata& metadata);

// The tensors of a parameter set, as views for encode_safetensors.
std::vector<TensorToWrite> tensors_to_write(const ParameterSet& params);
// Copies every tensor of `params` from `contents` (by name), checking shapes. Extra tensors in
// `contents` are ignored; a missing or mis-shaped tensor is an error naming it.
Result<bool> load_parameters(const SafetensorsContents& contents, ParameterSet& params);

std::vector<std::uint8_t> save_vae(const Vae& vae, const Metadata& extra_metadata, DType dtype = DType::F32);
std::vector<std::uint8_t> save_gan(const Gan& gan, const Metadata& extra_metadata, DType dtype = DType::F32);
std::vector<std::uint8_t> save_classifier(const Classifier& classifier, const Metadata& extra_metadata,
                                          DType dtype = DType::F32);

struct LoadedModel {
  std::string kind;  // "vae" or "gan"
  std::unique_ptr<Vae> vae;
  std::unique_ptr<Gan> gan;  // for a GAN file holding only the generator, D is left at zero
  Metadata metadata;
  DType stored_dtype = DType::F32;
  std::size_t parameter_count = 0;
  int latent_dim() const;
  int image_size() const;
};

// Decodes, validates and builds the generative model (VAE or GAN) a weights file describes.
// A classifier file is refused with a message saying so (load it with load_classifier).
Result<LoadedModel> load_model(const std::uint8_t* data, std::size_t size);
// The assembly alone, from decoded contents (decode_safetensors, or decode_parsed_safetensors for a
// header the page parsed): kind and configuration from __metadata__, the refuse-before-allocating
// size check, every tensor by name and shape. load_model(data, size) is decode + this.
Result<LoadedModel> load_model(const SafetensorsContents& contents);

struct LoadedClassifier {
  std::unique_ptr<Classifier> classifier;
  Metadata metadata;
  DType stored_dtype = DType::F32;
  std::size_t parameter_count = 0;
};

// The same for a classifier file (kind "classifier"); a VAE or GAN file is refused.
Result<LoadedClassifier> load_classifier(const std::uint8_t* data, std::size_t size);
Result<LoadedClassifier> load_classifier(const SafetensorsContents& contents);

}  // namespace latentlab
