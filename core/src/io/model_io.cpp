// Models ↔ safetensors bytes; configuration travels in __metadata__ (keys in model_io.hpp).
#include "latentlab/io/model_io.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>

namespace latentlab {

namespace {

constexpr int kMaxWidth = 65536;
constexpr int kMaxHiddenLayers = 16;
constexpr std::uint64_t kMaxParameters = 1ull << 27;  // 512 MB of float32: far above any MNIST model
constexpr std::uint64_t kAlwaysBuildParameters = 1ull << 20;  // 8 MB with gradients: built before tensors are checked

std::string join(const std::vector<int>& values) {
  std::string s;
  for (std::size_t i = 0; i < values.size(); ++i) s += (i ? "," : "") + std::to_string(values[i]);
  return s;
}

std::string format_float(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return buf;
}

// Image shape for a flat size: 784 → 28×28; other perfect squares likewise; else n×1.
std::pair<int, int> image_shape(int n) {
  const int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(n))));
  if (side * side == n) return {side, side};
  return {n, 1};
}

Result<int> parse_int(const Metadata& m, const std::string& key, int lo, int hi) {
  auto it = m.find(key);
  if (it == m.end()) return Result<int>::failure("metadata has no \"" + key + "\"");
  const std::string& s = it->second;
  if (s.empty() || s.size() > 9) return Result<int>::failure("metadata \"" + key + "\" = \"" + s + "\" is not an integer in range");
  long value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Result<int>::failure("metadata \"" + key + "\" = \"" + s + "\" is not a non-negative integer");
    value = value * 10 + (c - '0');
  }
  if (value < lo || value > hi)
    return Result<int>::failure("metadata \"" + key + "\" = " + s + " is outside [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "]");
  return Result<int>::success(static_cast<int>(value));
}

Result<std::vector<int>> parse_int_list(const Metadata& m, const std::string& key) {
  using R = Result<std::vector<int>>;
  auto it = m.find(key);
  if (it == m.end()) return R::failure("metadata has no \"" + key + "\"");
  std::vector<int> values;
  std::string item;
  const std::string s = it->second + ",";
  for (char c : s) {
    if (c != ',') {
      item += c;
      continue;
    }
    Metadata one{{key, item}};
    auto v = parse_int(one, key, 1, kMaxWidth);
    if (!v) return R::failure(v.error() + " (in the list \"" + it->second + "\")");
    values.push_back(v.value());
    item.clear();
    if (values.size() > kMaxHiddenLayers)
      return R::failure("metadata \"" + key + "\" lists more than " + std::to_string(kMaxHiddenLayers) + " layers");
  }
  return R::success(values);
}

// An accepted interval of a float in the metadata. `text` is "[lo, hi]" as %.9g prints the two
// float bounds (what format_float gives), written out so that the loader never formats a float:
// the page's wasm module then links no printf.
struct FloatRange {
  float lo;
  float hi;
  const char* text;
};

Result<float> parse_float(const Metadata& m, const std::string& key, FloatRange range, float fallback) {
  auto it = m.find(key);
  if (it == m.end()) return Result<float>::success(fallback);
  const std::string& s = it->second;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v < range.lo || v > range.hi)
    return Result<float>::failure("metadata \"" + key + "\" = \"" + s + "\" is not a number in " + range.text);
  return Result<float>::success(static_cast<float>(v));
}

// Parameters of an MLP with the given widths (weights + biases), in 64-bit so nothing overflows.
std::uint64_t mlp_parameters(const std::vector<int>& widths) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i)
    n += static_cast<std::uint64_t>(widths[i]) * widths[i + 1] + widths[i + 1];
  return n;
}

}  // namespace

Metadata config_metadata(const VaeConfig& c) {
  const auto [h, w] = image_shape(c.input);
  return {{"format", "latentlab"},        {"format_version", "1"},
          {"kind", "vae"},                {"input", std::to_string(c.input)},
          {"hidden", join(c.hidden)},     {"latent", std::to_string(c.latent)},
          {"beta", format_float(c.beta)}, {"image_height", std::to_string(h)},
          {"image_width", std::to_string(w)}, {"pixel_range", "0,1"}};
}

Metadata config_metadata(const GanConfig& c) {
  const auto [h, w] = image_shape(c.image);
  return {{"format", "latentlab"},
          {"format_version", "1"},
          {"kind", "gan"},
          {"image", std::to_string(c.image)},
          {"latent", std::to_string(c.latent)},
          {"generator_hidden", join(c.generator_hidden)},
          {"discriminator_hidden", join(c.discriminator_hidden)},
          {"leaky_slope", format_float(c.leaky_slope)},
          {"generator_activation", c.generator_leaky ? "leaky_relu" : "relu"},
          {"generator_batchnorm", c.generator_batchnorm ? "1" : "0"},
          {"batchnorm_eps", format_float(c.batchnorm_eps)},
          {"image_height", std::to_string(h)},
          {"image_width", std::to_string(w)},
          {"pixel_range", "-1,1"}};
}

Metadata config_metadata(const ClassifierConfig& c) {
  const auto [h, w] = image_shape(c.input);
  return {{"format", "latentlab"},        {"format_version", "1"},
          {"kind", "classifier"},         {"input", std::to_string(c.input)},
          {"hidden", join(c.hidden)},     {"classes", std::to_string(c.classes)},
          {"image_height", std::to_string(h)}, {"image_width", std::to_string(w)},
          {"pixel_range", "0,1"}};
}

// The metadata alone must not make a loader allocate much: a model bigger than
// kAlwaysBuildParameters is built only when the file really holds at least as many values as its
// required tensors need (so a 200-byte file claiming 2^27 parameters is refused before 1 GB of
// values and gradients is allocated). Smaller models are built and get the error naming a missing
// tensor. Returns the refusal message, or "" when the model may be built.
static std::string file_too_small_for(const SafetensorsContents& contents, const char* what, std::uint64_t needed) {
  if (needed <= kAlwaysBuildParameters) return std::string();
  std::uint64_t values_in_file = 0;
  for (const auto& t : contents.tensors) values_in_file += t.values.size();
  if (values_in_file >= needed) return std::string();
  return std::string(what) + " weights: __metadata__ describes a model needing " + std::to_string(needed) +
         " parameters but the file holds only " + std::to_string(values_in_file) + " values";
}

static std::uint64_t classifier_parameter_count(const ClassifierConfig& c) {
  std::vector<int> widths{c.input};
  widths.insert(widths.end(), c.hidden.begin(), c.hidden.end());
  widths.push_back(c.classes);
  return mlp_parameters(widths);
}

static std::uint64_t vae_parameter_count(const VaeConfig& c) {
  std::vector<int> enc{c.input};
  enc.insert(enc.end(), c.hidden.begin(), c.hidden.end());
  std::vector<int> dec{c.latent};
  dec.insert(dec.end(), c.hidden.rbegin(), c.hidden.rend());
  dec.push_back(c.input);
  return mlp_parameters(enc) + 2 * mlp_parameters({c.hidden.back(), c.latent}) + mlp_parameters(dec);
}

static std::uint64_t gan_generator_parameter_count(const GanConfig& c) {
  std::vector<int> g{c.latent};
  g.insert(g.end(), c.generator_hidden.begin(), c.generator_hidden.end());
  g.push_back(c.image);
  return mlp_parameters(g);
}

static std::uint64_t gan_discriminator_parameter_count(const GanConfig& c) {
  std::vector<int> d{c.image};
  d.insert(d.end(), c.discriminator_hidden.begin(), c.discriminator_hidden.end());
  d.push_back(1);
  return mlp_parameters(d);
}

Result<VaeConfig> vae_config_from_metadata(const Metadata& m) {
  using R = Result<VaeConfig>;
  VaeConfig c;
  auto input = parse_int(m, "input", 1, kMaxWidth);
  if (!input) return R::failure(input.error());
  auto hidden = parse_int_list(m, "hidden");
  if (!hidden) return R::failure(hidden.error());
  auto latent = parse_int(m, "latent", 1, 4096);
  if (!latent) return R::failure(latent.error());
  auto beta = parse_float(m, "beta", {0.0f, 1e6f, "[0, 1000000]"}, 1.0f);
  if (!beta) return R::failure(beta.error());
  c.input = input.value();
  c.hidden = hidden.value();
  c.latent = latent.value();
  c.beta = beta.value();
  const std::uint64_t n = vae_parameter_count(c);
  if (n > kMaxParameters)
    return R::failure("metadata describes a VAE with " + std::to_string(n) + " parameters (limit " +
                      std::to_string(kMaxParameters) + ")");
  return R::success(c);
}

Result<GanConfig> gan_config_from_metadata(const Metadata& m) {
  using R = Result<GanConfig>;
  GanConfig c;
  auto image = parse_int(m, "image", 1, kMaxWidth);
  if (!image) return R::failure(image.error());
  auto latent = parse_int(m, "latent", 1, 4096);
  if (!latent) return R::failure(latent.error());
  auto gen = parse_int_list(m, "generator_hidden");
  if (!gen) return R::failure(gen.error());
  auto disc = parse_int_list(m, "discriminator_hidden");
  if (!disc) return R::failure(disc.error());
  auto slope = parse_float(m, "leaky_slope", {1e-6f, 1.0f, "[9.99999997e-07, 1]"}, 0.2f);
  if (!slope) return R::failure(slope.error());
  c.image = image.value();
  c.latent = latent.value();
  c.generator_hidden = gen.value();
  c.discriminator_hidden = disc.value();
  c.leaky_slope = slope.value();
  // Generator variant keys are optional (files of format_version 1 before they existed are plain).
  auto act = m.find("generator_activation");
  if (act != m.end() && act->second != "relu" && act->second != "leaky_relu")
    return R::failure("metadata \"generator_activation\" = \"" + act->second + "\" (expected relu or leaky_relu)");
  c.generator_leaky = act != m.end() && act->second == "leaky_relu";
  auto bn = m.find("generator_batchnorm");
  if (bn != m.end() && bn->second != "0" && bn->second != "1")
    return R::failure("metadata \"generator_batchnorm\" = \"" + bn->second + "\" (expected 0 or 1)");
  c.generator_batchnorm = bn != m.end() && bn->second == "1";
  auto bn_eps = parse_float(m, "batchnorm_eps", {1e-12f, 10.0f, "[9.99999996e-13, 10]"}, 1e-5f);
  if (!bn_eps) return R::failure(bn_eps.error());
  c.batchnorm_eps = bn_eps.value();
  const std::uint64_t n = gan_generator_parameter_count(c) + gan_discriminator_parameter_count(c);
  if (n > kMaxParameters)
    return R::failure("metadata describes a GAN with " + std::to_string(n) + " parameters (limit " +
                      std::to_string(kMaxParameters) + ")");
  return R::success(c);
}

Result<ClassifierConfig> classifier_config_from_metadata(const Metadata& m) {
  using R = Result<ClassifierConfig>;
  ClassifierConfig c;
  auto input = parse_int(m, "input", 1, kMaxWidth);
  if (!input) return R::failure(input.error());
  auto hidden = parse_int_list(m, "hidden");
  if (!hidden) return R::failure(hidden.error());
  auto classes = parse_int(m, "classes", 2, 256);  // labels are bytes
  if (!classes) return R::failure(classes.error());
  c.input = input.value();
  c.hidden = hidden.value();
  c.classes = classes.value();
  const std::uint64_t n = classifier_parameter_count(c);
  if (n > kMaxParameters)
    return R::failure("metadata describes a classifier with " + std::to_string(n) + " parameters (limit " +
                      std::to_string(kMaxParameters) + ")");
  return R::success(c);
}

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

static std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
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

static Metadata merged(const Metadata& config, const Metadata& extra) {
  Metadata m = extra;
  for (const auto& [k, v] : config) m[k] = v;  // the configuration always wins: a file never lies about its shape
  return m;
}

std::vector<std::uint8_t> save_vae(const Vae& vae, const Metadata& extra, DType dtype) {
  return encode_safetensors(tensors_to_write(vae.parameters()), merged(config_metadata(vae.config()), extra), dtype);
}

std::vector<std::uint8_t> save_gan(const Gan& gan, const Metadata& extra, DType dtype) {
  auto tensors = tensors_to_write(gan.generator_parameters());
  auto buffers = tensors_to_write(gan.generator_buffers());
  tensors.insert(tensors.end(), buffers.begin(), buffers.end());
  auto d = tensors_to_write(gan.discriminator_parameters());
  tensors.insert(tensors.end(), d.begin(), d.end());
  return encode_safetensors(tensors, merged(config_metadata(gan.config()), extra), dtype);
}

std::vector<std::uint8_t> save_classifier(const Classifier& classifier, const Metadata& extra, DType dtype) {
  return encode_safetensors(tensors_to_write(classifier.parameters()), merged(config_metadata(classifier.config()), extra),
                            dtype);
}

int LoadedModel::latent_dim() const { return vae ? vae->config().latent : gan ? gan->config().latent : 0; }
int LoadedModel::image_size() const { return vae ? vae->config().input : gan ? gan->config().image : 0; }

Result<LoadedModel> load_model(const std::uint8_t* data, std::size_t size) {
  auto decoded = decode_safetensors(data, size);
  if (!decoded) return Result<LoadedModel>::failure(decoded.error());
  return load_model(decoded.value());
}

Result<LoadedModel> load_model(const SafetensorsContents& contents) {
  using R = Result<LoadedModel>;
  const Metadata& meta = contents.metadata;

  auto kind_it = meta.find("kind");
  if (kind_it == meta.end())
    return R::failure("not a latentlab weights file: __metadata__ has no \"kind\" (expected \"vae\" or \"gan\")");
  LoadedModel model;
  model.kind = kind_it->second;
  model.metadata = meta;
  if (!contents.tensors.empty()) model.stored_dtype = contents.tensors.front().stored_dtype;

  if (model.kind == "vae") {
    auto config = vae_config_from_metadata(meta);
    if (!config) return R::failure("VAE weights: " + config.error());
    const std::string too_few = file_too_small_for(contents, "VAE", vae_parameter_count(config.value()));
    if (!too_few.empty()) return R::failure(too_few);
    model.vae.reset(new (std::nothrow) Vae(config.value()));
    if (!model.vae) return R::failure("VAE weights: out of memory building the model");
    auto ok = load_parameters(contents, model.vae->parameters());
    if (!ok) return R::failure("VAE weights: " + ok.error());
    model.parameter_count = model.vae->parameters().count();
  } else if (model.kind == "gan") {
    auto config = gan_config_from_metadata(meta);
    if (!config) return R::failure("GAN weights: " + config.error());
    const std::string too_few = file_too_small_for(contents, "GAN", gan_generator_parameter_count(config.value()));
    if (!too_few.empty()) return R::failure(too_few);
    model.gan.reset(new (std::nothrow) Gan(config.value()));
    if (!model.gan) return R::failure("GAN weights: out of memory building the model");
    auto ok = load_parameters(contents, model.gan->generator_parameters());
    if (!ok) return R::failure("GAN weights: " + ok.error());
    auto running = load_parameters(contents, model.gan->generator_buffers());
    if (!running) return R::failure("GAN weights: " + running.error());
    model.parameter_count = model.gan->generator_parameters().count();
    // The discriminator is optional (a page only needs the generator), but all or nothing.
    bool any_discriminator = false;
    for (const auto& t : contents.tensors) any_discriminator |= t.name.rfind("discriminator.", 0) == 0;
    if (any_discriminator) {
      auto d = load_parameters(contents, model.gan->discriminator_parameters());
      if (!d) return R::failure("GAN weights: " + d.error());
      model.parameter_count += model.gan->discriminator_parameters().count();
    }
  } else if (model.kind == "classifier") {
    return R::failure("this is a classifier (kind \"classifier\"), not a generative model (expected \"vae\" or \"gan\")");
  } else {
    return R::failure("unknown model kind \"" + model.kind + "\" in __metadata__ (expected \"vae\" or \"gan\")");
  }
  return R::success(std::move(model));
}

Result<LoadedClassifier> load_classifier(const std::uint8_t* data, std::size_t size) {
  auto decoded = decode_safetensors(data, size);
  if (!decoded) return Result<LoadedClassifier>::failure(decoded.error());
  return load_classifier(decoded.value());
}

Result<LoadedClassifier> load_classifier(const SafetensorsContents& contents) {
  using R = Result<LoadedClassifier>;
  const Metadata& meta = contents.metadata;
  auto kind = meta.find("kind");
  if (kind == meta.end())
    return R::failure("not a latentlab weights file: __metadata__ has no \"kind\" (expected \"classifier\")");
  if (kind->second != "classifier")
    return R::failure("this is a " + kind->second + " model, not a classifier (kind \"classifier\")");
  auto config = classifier_config_from_metadata(meta);
  if (!config) return R::failure("classifier weights: " + config.error());
  const std::string too_few = file_too_small_for(contents, "classifier", classifier_parameter_count(config.value()));
  if (!too_few.empty()) return R::failure(too_few);
  LoadedClassifier out;
  out.metadata = meta;
  if (!contents.tensors.empty()) out.stored_dtype = contents.tensors.front().stored_dtype;
  out.classifier.reset(new (std::nothrow) Classifier(config.value()));
  if (!out.classifier) return R::failure("classifier weights: out of memory building the model");
  auto ok = load_parameters(contents, out.classifier->parameters());
  if (!ok) return R::failure("classifier weights: " + ok.error());
  out.parameter_count = out.classifier->parameters().count();
  return R::success(std::move(out));
}

}  // namespace latentlab
