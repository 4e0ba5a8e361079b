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

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// BatchNorm's tensors are named "<layer>.bn.<weight|bias|running_mean|running_var|num_batches_tracked>".
bool is_batchnorm_tensor(const std::string& name) { return name.find(".bn.") != std::string::npos; }

// The metadata keys that switch BatchNorm on or off ("generator_batchnorm" = "0"), for messages.
std::string batchnorm_switches(const Metadata& m) {
  std::string s;
  for (const auto& [key, value] : m)
    if (ends_with(key, "batchnorm")) s += (s.empty() ? "" : ", ") + ("\"" + key + "\" = \"" + value + "\"");
  return s.empty() ? std::string("no BatchNorm key") : s;
}

// A checkpoint's optimiser moments: "<name>.m" / "<name>.v" with "<name>.steps" in its metadata.
bool is_optimiser_state(const std::string& name, const Metadata& m) {
  const auto marker = m.find("checkpoint");
  if (marker == m.end() || marker->second != "1") return false;
  if (!ends_with(name, ".m") && !ends_with(name, ".v")) return false;
  return m.count(name.substr(0, name.size() - 2) + ".steps") != 0;
}

std::string tensor_text(const DecodedTensor& t) {
  return "\"" + t.name + "\" (" + dtype_name(t.stored_dtype) + " " + shape_string(t.shape) + ")";
}

// Every tensor of `contents` that no loaded group reads: skipped with a note (num_batches_tracked
// beside a BatchNorm layer the model has; with allow_extra_tensors, anything), passed over (a
// checkpoint's optimiser state), or refused. Returns the refusal, or "".
std::string check_unused(const SafetensorsContents& contents, const std::vector<const ParameterSet*>& loaded,
                         const LoadOptions& options, const char* label, std::vector<std::string>& notes) {
  const auto uses = [&](const std::string& name) {
    for (const ParameterSet* set : loaded)
      for (const auto& t : set->tensors())
        if (t.name == name) return true;
    return false;
  };
  const std::string counter = ".num_batches_tracked";
  for (const DecodedTensor& t : contents.tensors) {
    if (uses(t.name) || is_optimiser_state(t.name, contents.metadata)) continue;
    if (ends_with(t.name, counter) && uses(t.name.substr(0, t.name.size() - counter.size()) + ".running_mean")) {
      notes.push_back("skipped tensor " + tensor_text(t) +
                      ": PyTorch's count of BatchNorm training batches, which evaluation does not use");
      continue;
    }
    if (is_batchnorm_tensor(t.name))
      return "tensor " + tensor_text(t) + " is a BatchNorm tensor, but the " + label +
             " that __metadata__ describes has no BatchNorm layer of that name (" +
             batchnorm_switches(contents.metadata) + "): the tensors and the metadata disagree";
    if (options.allow_extra_tensors) {
      notes.push_back("ignored tensor " + tensor_text(t) + ", which the " + label + " does not use");
      continue;
    }
    return "tensor " + tensor_text(t) + " is not used by the " + label +
           " that __metadata__ describes (a file must hold exactly the model's tensors; to ignore tensors "
           "written by another tool, load with allow_extra_tensors, on the command line --allow-extra-tensors)";
  }
  return std::string();
}

// The checks, the build and the tensors of a model of `kind` from `contents` into `model`, adding
// the trained values read to `count`. A group needed to generate must be in the file; any other
// group is loaded when the file holds any of its tensors (all or nothing: a page needs only a
// GAN's generator). Then every tensor of the file must have been read (check_unused). Returns the
// refusal, or "" when the model is ready.
std::string build_and_load(const ModelKind& kind, const SafetensorsContents& contents, const LoadOptions& options,
                           std::unique_ptr<Model>& model, std::size_t& count, std::vector<std::string>& notes) {
  const std::string what = std::string(kind.label) + " weights: ";
  auto required = kind.check(contents.metadata);
  if (!required) return what + required.error();
  std::string refused = file_too_small_for(contents, kind.label, required.value());
  if (!refused.empty()) return refused;
  model.reset(kind.build(contents.metadata));
  if (!model) return what + "out of memory building the model";
  std::vector<const ParameterSet*> loaded;
  for (const TensorGroup& group : model->tensor_groups()) {
    if (!group.needed_to_generate && !holds_any_of(contents, *group.set)) continue;
    for (const auto& t : group.set->tensors())
      if (is_batchnorm_tensor(t.name) && !contents.find(t.name))
        return what + "the file has no tensor \"" + t.name + "\", but its __metadata__ (" +
               batchnorm_switches(contents.metadata) + ") gives the " + kind.label +
               " a BatchNorm layer there: the tensors and the metadata disagree";
    auto ok = load_parameters(contents, *group.set);
    if (!ok) return what + ok.error();
    if (group.trained) count += group.set->count();
    loaded.push_back(group.set);
  }
  refused = check_unused(contents, loaded, options, kind.label, notes);
  return refused.empty() ? refused : what + refused;
}

DType first_dtype(const SafetensorsContents& contents) {
  for (const DecodedTensor& t : contents.tensors)
    if (is_float_dtype(t.stored_dtype)) return t.stored_dtype;
  return DType::F32;
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
    if (!is_float_dtype(found->stored_dtype))
      return Result<bool>::failure("tensor \"" + t.name + "\" is stored as " + dtype_name(found->stored_dtype) +
                                   " but the model needs float values (F32, F16 or BF16)");
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

Result<LoadedModel> load_model(const std::uint8_t* data, std::size_t size, const LoadOptions& options) {
  auto decoded = decode_safetensors(data, size);
  if (!decoded) return Result<LoadedModel>::failure(decoded.error());
  return load_model(decoded.value(), options);
}

Result<LoadedModel> load_model(const SafetensorsContents& contents, const LoadOptions& options) {
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
  const std::string refused = build_and_load(*kind, contents, options, model, out.parameter_count, out.notes);
  if (!refused.empty()) return R::failure(refused);
  out.kind = kind;
  // The registry builds a GenerativeModel for every kind of role Generative.
  out.model.reset(static_cast<GenerativeModel*>(model.release()));
  out.metadata = contents.metadata;
  out.stored_dtype = first_dtype(contents);
  return R::success(std::move(out));
}

Result<LoadedClassifier> load_classifier(const std::uint8_t* data, std::size_t size, const LoadOptions& options) {
  auto decoded = decode_safetensors(data, size);
  if (!decoded) return Result<LoadedClassifier>::failure(decoded.error());
  return load_classifier(decoded.value(), options);
}

Result<LoadedClassifier> load_classifier(const SafetensorsContents& contents, const LoadOptions& options) {
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
  const std::string refused = build_and_load(*kind, contents, options, model, out.parameter_count, out.notes);
  if (!refused.empty()) return R::failure(refused);
  out.kind = kind;
  // The registry builds a Classifier for every kind of role Classifier.
  out.classifier.reset(static_cast<Classifier*>(model.release()));
  out.metadata = contents.metadata;
  out.stored_dtype = first_dtype(contents);
  return R::success(std::move(out));
}

}  // namespace latentlab
