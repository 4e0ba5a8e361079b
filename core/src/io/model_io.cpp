// Models ↔ safetensors bytes, for every kind alike: the kind's registry entry parses and checks
// the configuration and builds the model; its tensor groups say what to read and write.
#include "latentlab/io/model_io.hpp"

#include <cstring>

namespace latentlab {

namespace {

// The metadata alone must not make a loader allocate much: a model bigger than
// kAlwaysBuildParameters is built only when the file really holds at least as many values as its
// required tensors need (so a 200-byte file claiming 2^27 parameters is refused before 1 GB of
// values and gradients is allocated). Smaller models are built and get the error naming a missing
// tensor. Returns the refusal message, or "" when the model may be built.
constexpr std::uint64_t kAlwaysBuildParameters = 1ull << 20;  // 8 MB with gradients

std::string file_too_small_for(const SafetensorsContents& contents, const char* label, std::uint64_t needed) {
  if (needed <= kAlwaysBuildParameters) return std::string();
  std::uint64_t values_in_file = 0;
  for (const auto& t : contents.tensors) values_in_file += t.values.size();
  if (values_in_file >= needed) return std::string();
  return std::string(label) + " weights: __metadata__ describes a model needing " + std::to_string(needed) +
         " parameters but the file holds only " + std::to_string(values_in_file) + " values";
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

bool holds_any_of(const SafetensorsContents& contents, const ParameterSet& params) {
  for (const auto& t : params.tensors())
    if (contents.find(t.name)) return true;
  return false;
}

// The checks, the build and the tensors of a model of `kind` from `contents` into `model`, adding
// the trained values read to `count`. A group needed to generate must be in the file; any other
// group is loaded when the file holds any of its tensors (all or nothing: a page needs only a
// GAN's generator). Returns the refusal, or "" when the model is ready.
std::string build_and_load(const ModelKind& kind, const SafetensorsContents& contents, std::unique_ptr<Model>& model,
                           std::size_t& count) {
  const std::string what = std::string(kind.label) + " weights: ";
  auto required = kind.check(contents.metadata);
  if (!required) return what + required.error();
  std::string refused = file_too_small_for(contents, kind.label, required.value());
  if (!refused.empty()) return refused;
  model.reset(kind.build(contents.metadata));
  if (!model) return what + "out of memory building the model";
  for (const TensorGroup& group : model->tensor_groups()) {
    if (!group.needed_to_generate && !holds_any_of(contents, *group.set)) continue;
    auto ok = load_parameters(contents, *group.set);
    if (!ok) return what + ok.error();
    if (group.trained) count += group.set->count();
  }
  return std::string();
}

DType first_dtype(const SafetensorsContents& contents) {
  return contents.tensors.empty() ? DType::F32 : contents.tensors.front().stored_dtype;
}

}  // namespace

std::vector<TensorToWrite> tensors_to_write(const ParameterSet& params) {
  std::vector<TensorToWrite> out;
  for (const auto& t : params.tensors()) {
    TensorToWrite w;
    w.name = t.name;
    w.shape.assign(t.shape.begin(), t.shape.end());
    w.values = params.values() + t.offset;
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<TensorToWrite> model_tensors(const Model& model, bool generate_only) {
  std::vector<TensorToWrite> out;
  for (const TensorGroup& group : model.tensor_groups()) {
    if (generate_only && !group.needed_to_generate) continue;
    std::vector<TensorToWrite> views = tensors_to_write(*group.set);
    out.insert(out.end(), views.begin(), views.end());
  }
  return out;
}

Result<bool> load_parameters(const SafetensorsContents& contents, ParameterSet& params) {
  for (const auto& t : params.tensors()) {
    const std::vector<std::int64_t> expected(t.shape.begin(), t.shape.end());
    const DecodedTensor* found = contents.find(t.name);
    if (!found)
      return Result<bool>::failure("weights file has no tensor \"" + t.name + "\" (the model expects shape " +
                                   shape_string(expected) + ")");
    if (found->shape != expected)
      return Result<bool>::failure("tensor \"" + t.name + "\" has shape " + shape_string(found->shape) +
                                   " but the model expects " + shape_string(expected));
    std::memcpy(params.values() + t.offset, found->values.data(), t.size * sizeof(float));
  }
  return Result<bool>::success(true);
}

std::vector<std::uint8_t> save_model(const Model& model, const Metadata& config, const Metadata& extra, DType dtype,
                                     bool generate_only) {
  Metadata metadata = extra;
  for (const auto& [k, v] : config) metadata[k] = v;
  return encode_safetensors(model_tensors(model, generate_only), metadata, dtype);
}

Result<LoadedModel> load_model(const std::uint8_t* data, std::size_t size) {
  auto decoded = decode_safetensors(data, size);
  if (!decoded) return Result<LoadedModel>::failure(decoded.error());
  return load_model(decoded.value());
}

Result<LoadedModel> load_model(const SafetensorsContents& contents) {
  using R = Result<LoadedModel>;
  const std::string expected = " (expected " + generative_kind_names() + ")";
  auto name = contents.metadata.find("kind");
  if (name == contents.metadata.end())
    return R::failure("not a latentlab weights file: __metadata__ has no \"kind\"" + expected);
  const ModelKind* kind = find_generative_kind(name->second);
  if (!kind)
    return R::failure("model kind \"" + name->second + "\" in __metadata__ is not a generative model" + expected);
  LoadedModel out;
  std::unique_ptr<Model> model;
  const std::string refused = build_and_load(*kind, contents, model, out.parameter_count);
  if (!refused.empty()) return R::failure(refused);
  out.kind = kind;
  // The registry builds a GenerativeModel for every kind of role Generative.
  out.model.reset(static_cast<GenerativeModel*>(model.release()));
  out.metadata = contents.metadata;
  out.stored_dtype = first_dtype(contents);
  return R::success(std::move(out));
}

Result<LoadedClassifier> load_classifier(const std::uint8_t* data, std::size_t size) {
  auto decoded = decode_safetensors(data, size);
  if (!decoded) return Result<LoadedClassifier>::failure(decoded.error());
  return load_classifier(decoded.value());
}

Result<LoadedClassifier> load_classifier(const SafetensorsContents& contents) {
  using R = Result<LoadedClassifier>;
  const std::string expected = classifier_kind_names();
  auto name = contents.metadata.find("kind");
  if (name == contents.metadata.end())
    return R::failure("not a latentlab weights file: __metadata__ has no \"kind\" (expected " + expected + ")");
  const ModelKind* kind = find_classifier_kind(name->second);
  if (!kind)
    return R::failure("this is a " + name->second + " model, not a classifier (kind " + expected + ")");
  LoadedClassifier out;
  std::unique_ptr<Model> model;
  const std::string refused = build_and_load(*kind, contents, model, out.parameter_count);
  if (!refused.empty()) return R::failure(refused);
  out.kind = kind;
  // The registry builds a Classifier for every kind of role Classifier.
  out.classifier.reset(static_cast<Classifier*>(model.release()));
  out.metadata = contents.metadata;
  out.stored_dtype = first_dtype(contents);
  return R::success(std::move(out));
}

}  // namespace latentlab
