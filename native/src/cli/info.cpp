#include "cli/info.hpp"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "output/file_io.hpp"
#include "output/samples.hpp"
#include "train/registry.hpp"

namespace latentlab::native {

namespace {

struct InfoFlags {
  std::string file;
  bool json = false;
};

// Keys every kind writes, shown in the lines above the other metadata.
const char* const kCommonKeys[] = {"kind", "image_height", "image_width", "pixel_range", "format", "format_version"};

// A configuration key and what a file without it means ("" when the key is shown only if present).
struct ConfigKey {
  std::string key, absent;
};

// The kind's own configuration keys (registry.hpp: "key" or "key=absent"), in the order the kind
// lists them.
std::vector<ConfigKey> config_keys(const ModelKind& kind) {
  std::vector<ConfigKey> keys;
  std::string word;
  for (const char* c = native_kind(kind).config_keys;; ++c) {
    if (*c == ' ' || *c == '\0') {
      const std::size_t eq = word.find('=');
      if (!word.empty()) keys.push_back({word.substr(0, eq), eq == std::string::npos ? "" : word.substr(eq + 1)});
      word.clear();
      if (*c == '\0') break;
    } else {
      word += *c;
    }
  }
  return keys;
}

bool is_config_key(const ModelKind* kind, const std::string& key) {
  for (const char* k : kCommonKeys)
    if (key == k) return true;
  if (!kind) return false;
  for (const ConfigKey& k : config_keys(*kind))
    if (key == k.key) return true;
  return false;
}

// The metadata that is not configuration (nor checkpoint internals: RNG words, Adam step counts,
// which are for --resume, not for reading).
void print_other_metadata(const Metadata& m) {
  const auto name = m.find("kind");
  const ModelKind* kind = name == m.end() ? nullptr : find_model_kind(name->second);
  bool header = false;
  for (const auto& [key, value] : m) {
    if (is_config_key(kind, key)) continue;
    if (key.rfind("rng.", 0) == 0 || key.rfind("adam", 0) == 0) continue;
    if (!header) std::printf("metadata\n");
    header = true;
    std::printf("  %-20s %s\n", key.c_str(), value.c_str());
  }
}

// The stored dtypes of the file's tensors: "F16", or "F16, F32 (mixed)" when they differ.
std::string stored_dtypes(const SafetensorsContents& contents) {
  std::vector<std::string> names;
  for (const DecodedTensor& t : contents.tensors) {
    const std::string name = dtype_name(t.stored_dtype);
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  if (names.empty()) return "no tensors";
  return names.size() > 1 ? s + " (mixed)" : s;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Every tensor of the file in its storage order: name, dtype, shape.
void print_tensors(const SafetensorsContents& contents) {
  std::printf("tensors\n");
  std::size_t width = 0;
  for (const DecodedTensor& t : contents.tensors) width = std::max(width, t.name.size());
  for (const DecodedTensor& t : contents.tensors)
    std::printf("  %-*s %-4s %s\n", static_cast<int>(width), t.name.c_str(), dtype_name(t.stored_dtype),
                shape_text(t.shape).c_str());
}

nlohmann::json tensors_json(const SafetensorsContents& contents) {
  nlohmann::json list = nlohmann::json::array();
  for (const DecodedTensor& t : contents.tensors)
    list.push_back({{"name", t.name}, {"dtype", dtype_name(t.stored_dtype)}, {"shape", t.shape}});
  return list;
}

void print_notes(const std::vector<std::string>& notes) {
  for (const std::string& n : notes) std::printf("note        %s\n", n.c_str());
}

// A classifier file (the evaluator's; `latentlab train --model classifier`).
int classifier_info(const InfoFlags& f, const std::vector<std::uint8_t>& bytes) {
  Result<LoadedClassifier> loaded = load_classifier(bytes.data(), bytes.size(), cli_load_options());
  if (!loaded) throw DataError("cannot load weights from '" + f.file + "': " + loaded.error());
  const auto decoded = decode_safetensors(bytes.data(), bytes.size());  // succeeded inside load_classifier
  const SafetensorsContents& contents = decoded.value();
  const LoadedClassifier& c = loaded.value();
  const ClassifierConfig& config = c.classifier->config();
  if (f.json) {
    nlohmann::json j;
    j["file"] = f.file;
    j["file_bytes"] = bytes.size();
    j["kind"] = c.kind->name;
    j["stored_dtype"] = stored_dtypes(contents);
    j["parameters"] = c.parameter_count;
    j["input"] = config.input;
    j["hidden"] = config.hidden;
    j["classes"] = config.classes;
    j["tensors"] = tensors_json(contents);
    j["notes"] = c.notes;
    j["metadata"] = c.metadata;
    std::printf("%s\n", j.dump(2).c_str());
    return kExitSuccess;
  }
  std::printf("file        %s (%zu bytes)\n", f.file.c_str(), bytes.size());
  std::printf("kind        %s\n", c.kind->name);
  std::printf("config      input %d, hidden [%s] (ReLU), classes %d\n", config.input, join_ints(config.hidden).c_str(),
              config.classes);
  std::printf("parameters  %zu\n", c.parameter_count);
  std::printf("stored as   %s, %zu tensors\n", stored_dtypes(contents).c_str(), contents.tensors.size());
  print_notes(c.notes);
  print_tensors(contents);
  print_other_metadata(c.metadata);
  return kExitSuccess;
}

int run_info(const InfoFlags& f) {
  const std::vector<std::uint8_t> bytes = read_file(f.file, kMaxWeightsFileBytes);
  if (holds_classifier(f.file)) return classifier_info(f, bytes);
  Result<LoadedModel> loaded = load_model(bytes.data(), bytes.size(), cli_load_options());
  if (!loaded) throw DataError("cannot load weights from '" + f.file + "': " + loaded.error());
  LoadedModel& model = loaded.value();
  const auto decoded = decode_safetensors(bytes.data(), bytes.size());  // succeeded inside load_model
  const SafetensorsContents& contents = decoded.value();
  const std::size_t tensors = contents.tensors.size();
  const bool checkpoint = model.metadata.count("checkpoint") && model.metadata.at("checkpoint") == "1";

  // A model trained as several parts (a GAN's generator and discriminator) shows each part's
  // parameters; a part a file for sampling may leave out counts 0 when it is not in the file.
  std::vector<std::pair<std::string, std::size_t>> parts;
  for (const TensorGroup& g : model->tensor_groups()) {
    if (!g.trained || *g.name == '\0') continue;
    bool in_file = true;
    for (const auto& t : g.set->tensors()) in_file = in_file && contents.find(t.name) != nullptr;
    parts.emplace_back(g.name, in_file ? g.set->count() : 0);
  }
  int rows = 0, cols = 0;
  image_shape(model, rows, cols);

  if (f.json) {
    nlohmann::json j;
    j["file"] = f.file;
    j["file_bytes"] = bytes.size();
    j["kind"] = model.kind->name;
    j["checkpoint"] = checkpoint;
    j["stored_dtype"] = stored_dtypes(contents);
    j["tensors"] = tensors_json(contents);
    j["notes"] = model.notes;
    j["parameters"] = model.parameter_count;
    for (const auto& [part, count] : parts) j[part + "_parameters"] = count;
    j["has_encoder"] = model->has_encoder();
    j["classes"] = model->classes();
    j["latent"] = model->latent_dim();
    j["image"] = {{"rows", rows}, {"cols", cols}};
    j["metadata"] = model.metadata;
    std::printf("%s\n", j.dump(2).c_str());
    return kExitSuccess;
  }

  const auto& m = model.metadata;
  auto get = [&](const char* key) { return m.count(key) ? m.at(key) : std::string("?"); };
  std::printf("file        %s (%zu bytes)\n", f.file.c_str(), bytes.size());
  std::printf("kind        %s%s\n", model.kind->name, checkpoint ? " (training checkpoint: includes optimiser and RNG state)" : "");
  std::string config;
  for (const ConfigKey& k : config_keys(*model.kind)) {
    if (m.count(k.key)) config += (config.empty() ? "" : ", ") + k.key + " " + m.at(k.key);
    else if (!k.absent.empty()) config += (config.empty() ? "" : ", ") + k.key + " " + k.absent + " (no key in the file)";
  }
  std::printf("config      %s\n", config.c_str());
  std::printf("image       %dx%d, pixel range %s\n", rows, cols, get("pixel_range").c_str());
  std::printf("can         generate%s%s\n", model->has_encoder() ? ", encode" : "",
              model->conditional() ? (", condition on " + std::to_string(model->classes()) + " classes").c_str() : "");
  std::string split;
  for (const auto& [part, count] : parts)
    split += (split.empty() ? " (" : ", ") + part + " " + std::to_string(count) + (count ? "" : ": not in the file");
  std::printf("parameters  %zu%s\n", model.parameter_count, split.empty() ? "" : (split + ")").c_str());
  std::printf("stored as   %s, %zu tensors\n", stored_dtypes(contents).c_str(), tensors);
  print_notes(model.notes);
  print_tensors(contents);
  print_other_metadata(m);
  return kExitSuccess;
}

}  // namespace

Command add_info_command(CLI::App& parent) {
  auto f = std::make_shared<InfoFlags>();
  CLI::App* app = parent.add_subcommand("info", "Show what a weights file holds: kind, sizes, every tensor (name, dtype, shape), metadata");
  app->add_option("file", f->file, "Weights or checkpoint file (.safetensors)")->required()->check(CLI::ExistingFile);
  app->add_flag("--json", f->json, "Print the information as JSON");
  add_load_flags(app);
  return Command{app, [f]() { return run_info(*f); }};
}

}  // namespace latentlab::native
