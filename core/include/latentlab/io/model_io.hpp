// Models ↔ safetensors bytes. A weights file is self-describing: its __metadata__ holds the model
// kind and configuration (keys in models/registry.hpp), so a loader can build the right model
// before it reads a single tensor. The tensors are the model's tensor groups (models/model.hpp),
// in order, under their PyTorch state_dict names.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "latentlab/io/metadata.hpp"
#include "latentlab/io/safetensors.hpp"
#include "latentlab/models/classifier.hpp"
#include "latentlab/models/model.hpp"
#include "latentlab/models/registry.hpp"
#include "latentlab/result.hpp"

namespace latentlab {

// The tensors of a parameter set, as views for encode_safetensors.
std::vector<TensorToWrite> tensors_to_write(const ParameterSet& params);
// The tensors of every group of `model`, in save order; with generate_only, only the groups a
// file for sampling needs (a GAN without its discriminator).
std::vector<TensorToWrite> model_tensors(const Model& model, bool generate_only = false);
// Copies every tensor of `params` from `contents` (by name), checking shapes. Extra tensors in
// `contents` are not looked at here (load_model refuses them); a missing, mis-shaped or integer
// tensor is an error naming it.
Result<bool> load_parameters(const SafetensorsContents& contents, ParameterSet& params);

// A weights file of `model`: its tensors (model_tensors), with `extra` metadata under `config`
// (config_metadata of the model's configuration; config keys win over extra ones, so a file never
// lies about its shape).
std::vector<std::uint8_t> save_model(const Model& model, const Metadata& config, const Metadata& extra,
                                     DType dtype = DType::F32, bool generate_only = false);

// Strict loading: every tensor of the file must be one the model reads, except
//   - BatchNorm's `<layer>.bn.num_batches_tracked` (an integer tensor PyTorch writes) beside a
//     BatchNorm layer the model has: skipped, with a note;
//   - a checkpoint's optimiser state (`<name>.m`, `<name>.v` with metadata `<name>.steps` and
//     `checkpoint` = 1; native/src/train/checkpoint.hpp), which the trainer reads on --resume.
// Any other tensor is an error naming it, unless allow_extra_tensors (then a note). A BatchNorm
// tensor the configuration has no place for, or a BatchNorm tensor it needs and the file lacks, is
// an error naming the tensor and the metadata key that disagrees with it.
struct LoadOptions {
  bool allow_extra_tensors = false;
};

struct LoadedModel {
  const ModelKind* kind = nullptr;
  std::unique_ptr<GenerativeModel> model;  // a group not needed to generate and absent from the file is left at 0
  Metadata metadata;
  DType stored_dtype = DType::F32;  // of the first float tensor; a file may mix dtypes (each tensor has its own)
  std::size_t parameter_count = 0;  // trained values the file held
  std::vector<std::string> notes;   // tensors skipped or ignored, one sentence each
  GenerativeModel* operator->() const { return model.get(); }
  GenerativeModel& operator*() const { return *model; }
};

// Decodes, validates and builds the generative model a weights file describes. A file of a
// kind that is not generative (a classifier) is refused with a message saying so.
Result<LoadedModel> load_model(const std::uint8_t* data, std::size_t size, const LoadOptions& options = {});
// The assembly alone, from decoded contents (decode_safetensors, or decode_parsed_safetensors for a
// header the page parsed): kind and configuration from __metadata__, the refuse-before-allocating
// size check, every tensor by name and shape. load_model(data, size) is decode + this.
Result<LoadedModel> load_model(const SafetensorsContents& contents, const LoadOptions& options = {});

struct LoadedClassifier {
  const ModelKind* kind = nullptr;
  std::unique_ptr<Classifier> classifier;
  Metadata metadata;
  DType stored_dtype = DType::F32;
  std::size_t parameter_count = 0;
  std::vector<std::string> notes;
};

// The same for a classifier file; a generative model's file is refused.
Result<LoadedClassifier> load_classifier(const std::uint8_t* data, std::size_t size, const LoadOptions& options = {});
Result<LoadedClassifier> load_classifier(const SafetensorsContents& contents, const LoadOptions& options = {});

}  // namespace latentlab
