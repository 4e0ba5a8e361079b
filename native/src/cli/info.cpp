#include "cli/info.hpp"

#include <memory>
#include <nlohmann/json.hpp>

#include "output/file_io.hpp"
#include "output/samples.hpp"

namespace latentlab::native {

namespace {

struct InfoFlags {
  std::string file;
  bool json = false;
};

// Configuration keys shown first (and not repeated among the other metadata).
const char* const kConfigKeys[] = {"kind", "input", "image", "hidden", "generator_hidden", "discriminator_hidden",
                                   "latent", "beta", "leaky_slope", "classes", "image_height", "image_width", "pixel_range",
                                   "format", "format_version"};

bool is_config_key(const std::string& key) {
  for (const char* k : kConfigKeys)
    if (key == k) return true;
  return false;
}

// The metadata that is not configuration (nor checkpoint internals: RNG words, Adam step counts,
// which are for --resume, not for reading).
void print_other_metadata(const Metadata& m) {
  bool header = false;
  for (const auto& [key, value] : m) {
    if (is_config_key(key)) continue;
    if (key.rfind("rng.", 0) == 0 || key.rfind("adam", 0) == 0) continue;
    if (!header) std::printf("metadata\n");
    header = true;
    std::printf("  %-20s %s\n", key.c_str(), value.c_str());
  }
}

// A classifier file (the evaluator's; `latentlab train --model classifier`).
int classifier_info(const InfoFlags& f, const std::vector<std::uint8_t>& bytes) {
  Result<LoadedClassifier> loaded = load_classifier(bytes.data(), bytes.size());
  if (!loaded) throw DataError("cannot load weights from '" + f.file + "': " + loaded.error());
  const LoadedClassifier& c = loaded.value();
  const ClassifierConfig& config = c.classifier->config();
  if (f.json) {
    nlohmann::json j;
    j["file"] = f.file;
    j["file_bytes"] = bytes.size();
    j["kind"] = "classifier";
    j["stored_dtype"] = dtype_name(c.stored_dtype);
    j["parameters"] = c.parameter_count;
    j["input"] = config.input;
    j["hidden"] = config.hidden;
    j["classes"] = config.classes;
    j["metadata"] = c.metadata;
    std::printf("%s\n", j.dump(2).c_str());
    return kExitSuccess;
  }
  std::printf("file        %s (%zu bytes)\n", f.file.c_str(), bytes.size());
  std::printf("kind        classifier\n");
  std::printf("config      input %d, hidden [%s] (ReLU), classes %d\n", config.input, join_widths(config.hidden).c_str(),
              config.classes);
  std::printf("parameters  %zu\n", c.parameter_count);
  std::printf("stored as   %s\n", dtype_name(c.stored_dtype));
  print_other_metadata(c.metadata);
  return kExitSuccess;
}

int run_info(const InfoFlags& f) {
  const std::vector<std::uint8_t> bytes = read_file(f.file, kMaxWeightsFileBytes);
  if (weights_kind(f.file) == "classifier") return classifier_info(f, bytes);
  Result<LoadedModel> loaded = load_model(bytes.data(), bytes.size());
  if (!loaded) throw DataError("cannot load weights from '" + f.file + "': " + loaded.error());
  LoadedModel& model = loaded.value();
  const auto decoded = decode_safetensors(bytes.data(), bytes.size());  // succeeded inside load_model
  const std::size_t tensors = decoded ? decoded.value().tensors.size() : 0;
  const bool checkpoint = model.metadata.count("checkpoint") && model.metadata.at("checkpoint") == "1";

  std::size_t generator = 0, discriminator = 0;
  if (model.gan) {
    generator = model.gan->generator_parameters().count();
    discriminator = model.parameter_count - generator;
  }
  int rows = 0, cols = 0;
  image_shape(model, rows, cols);

  if (f.json) {
    nlohmann::json j;
    j["file"] = f.file;
    j["file_bytes"] = bytes.size();
    j["kind"] = model.kind;
    j["checkpoint"] = checkpoint;
    j["stored_dtype"] = dtype_name(model.stored_dtype);
    j["tensors"] = tensors;
    j["parameters"] = model.parameter_count;
    if (model.gan) {
      j["generator_parameters"] = generator;
      j["discriminator_parameters"] = discriminator;
    }
    j["latent"] = model.latent_dim();
    j["image"] = {{"rows", rows}, {"cols", cols}};
    j["metadata"] = model.metadata;
    std::printf("%s\n", j.dump(2).c_str());
    return kExitSuccess;
  }

  const auto& m = model.metadata;
  auto get = [&](const char* key) { return m.count(key) ? m.at(key) : std::string("?"); };
  std::printf("file        %s (%zu bytes)\n", f.file.c_str(), bytes.size());
  std::printf("kind        %s%s\n", model.kind.c_str(), checkpoint ? " (training checkpoint: includes optimiser and RNG state)" : "");
  if (model.vae) {
    std::printf("config      input %s, hidden [%s], latent %s, beta %s\n", get("input").c_str(), get("hidden").c_str(),
                get("latent").c_str(), get("beta").c_str());
  } else {
    std::printf("config      image %s, latent %s, generator [%s], discriminator [%s], leaky slope %s\n",
                get("image").c_str(), get("latent").c_str(), get("generator_hidden").c_str(),
                get("discriminator_hidden").c_str(), get("leaky_slope").c_str());
  }
  std::printf("image       %dx%d, pixel range %s\n", rows, cols, get("pixel_range").c_str());
  if (model.gan)
    std::printf("parameters  %zu (generator %zu, discriminator %zu%s)\n", model.parameter_count, generator, discriminator,
                discriminator ? "" : ": not in the file");
  else
    std::printf("parameters  %zu\n", model.parameter_count);
  std::printf("stored as   %s, %zu tensors\n", dtype_name(model.stored_dtype), tensors);
  print_other_metadata(m);
  return kExitSuccess;
}

}  // namespace

Command add_info_command(CLI::App& parent) {
  auto f = std::make_shared<InfoFlags>();
  CLI::App* app = parent.add_subcommand("info", "Show what a weights file holds: kind, sizes, metadata, parameter count");
  app->add_option("file", f->file, "Weights or checkpoint file (.safetensors)")->required()->check(CLI::ExistingFile);
  app->add_flag("--json", f->json, "Print the information as JSON");
  return Command{app, [f]() { return run_info(*f); }};
}

}  // namespace latentlab::native
