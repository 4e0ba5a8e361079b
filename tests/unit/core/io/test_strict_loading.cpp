// Strict loading (model_io.hpp, LoadOptions): the hazards of issue 17, one test each. A file
// loads only when its tensors are exactly the model's (BatchNorm's num_batches_tracked and a
// checkpoint's optimiser state excepted) and its metadata states every key whose absence would be
// ambiguous; integer tensors PyTorch writes never make a file unreadable.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latentlab/infer/generation.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/io/safetensors.hpp"
#include "latentlab/models/registry.hpp"

using namespace latentlab;
using Catch::Matchers::Contains;

namespace {

// One tensor of a hand-made file: float values (written as `dtype`, F32 or F16) or, for an
// integer dtype, `bytes` of raw data.
struct Entry {
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::vector<float> values;
  std::vector<std::uint8_t> bytes;
};

std::vector<std::uint8_t> encode(const std::vector<Entry>& entries, const Metadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  header["__metadata__"] = metadata;
  std::vector<std::uint8_t> data;
  for (const Entry& e : entries) {
    const std::size_t begin = data.size();
    if (e.dtype == "F32") {
      for (float v : e.values) {
        std::uint8_t b[4];
        std::memcpy(b, &v, 4);
        data.insert(data.end(), b, b + 4);
      }
    } else if (e.dtype == "F16") {
      for (float v : e.values) {
        const std::uint16_t h = float_to_half(v);
        data.push_back(static_cast<std::uint8_t>(h & 0xFF));
        data.push_back(static_cast<std::uint8_t>(h >> 8));
      }
    } else {
      data.insert(data.end(), e.bytes.begin(), e.bytes.end());
    }
    header[e.name] = {{"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {begin, data.size()}}};
  }
  const std::string json = header.dump();
  std::vector<std::uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(json.size() >> (8 * i)));
  for (char c : json) out.push_back(static_cast<std::uint8_t>(c));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// A running variance must be positive for the decode to mean anything.
bool ends_with_var(const std::string& name) {
  return name.size() > 12 && name.compare(name.size() - 12, 12, ".running_var") == 0;
}

// A small GAN (generator 3 → 6 → 8 → 16, BatchNorm after the second hidden layer when
// `batchnorm`) as its F32 entries (generator only) with distinct values, and its metadata.
struct GanFile {
  std::vector<Entry> entries;
  Metadata metadata;
};

GanFile small_gan(bool batchnorm) {
  GanConfig c;
  c.image = 16;
  c.latent = 3;
  c.generator_hidden = {6, 8};
  c.discriminator_hidden = {5};
  c.generator_leaky = batchnorm;
  c.generator_batchnorm = batchnorm;
  c.batchnorm_eps = batchnorm ? 0.8f : 1e-5f;
  GanFile f;
  f.metadata = config_metadata(c);
  Gan gan(c);
  float v = 0.01f;
  for (const TensorGroup& g : gan.tensor_groups()) {
    if (!g.needed_to_generate) continue;
    for (const auto& t : g.set->tensors()) {
      Entry e{t.name, "F32", {t.shape.begin(), t.shape.end()}, {}, {}};
      for (std::size_t i = 0; i < t.size; ++i, v += 0.003f) e.values.push_back(ends_with_var(t.name) ? 1.5f + v : v);
      f.entries.push_back(std::move(e));
    }
  }
  return f;
}

Result<LoadedModel> load(const GanFile& f, const LoadOptions& options = {}) {
  const std::vector<std::uint8_t> bytes = encode(f.entries, f.metadata);
  return load_model(bytes.data(), bytes.size(), options);
}

std::vector<float> pixels_of(LoadedModel& model) {
  std::vector<float> z(static_cast<std::size_t>(2 * model->latent_dim()));
  sample_latents(4, z.data(), z.size());
  std::vector<float> p(static_cast<std::size_t>(2 * model->image_size()));
  model->decode(z.data(), nullptr, 2, p.data());
  return p;
}

Entry num_batches_tracked(const std::string& layer) {
  return Entry{layer + ".bn.num_batches_tracked", "I64", {}, {}, {7, 0, 0, 0, 0, 0, 0, 0}};
}

}  // namespace

TEST_CASE("the small GAN files load as written, with no notes", "[strict-loading]") {
  for (bool bn : {false, true}) {
    auto r = load(small_gan(bn));
    INFO(r.error());
    REQUIRE(r.ok());
    CHECK(r.value().notes.empty());
  }
}

TEST_CASE("a GAN file without generator_batchnorm is refused, naming the key", "[strict-loading]") {
  GanFile f = small_gan(true);
  f.metadata.erase("generator_batchnorm");
  auto r = load(f);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error(), Contains("\"generator_batchnorm\"") && Contains("required"));
  // Also for a plain generator: the absence is ambiguous whatever the tensors say.
  GanFile plain = small_gan(false);
  plain.metadata.erase("generator_batchnorm");
  REQUIRE_FALSE(load(plain).ok());
}

TEST_CASE("a GAN file without generator_activation is refused, naming the key", "[strict-loading]") {
  for (bool bn : {false, true}) {
    GanFile f = small_gan(bn);
    f.metadata.erase("generator_activation");
    auto r = load(f);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error(), Contains("\"generator_activation\"") && Contains("required"));
  }
}

TEST_CASE("a BatchNorm GAN file without batchnorm_eps is refused, a plain one does not need it", "[strict-loading]") {
  GanFile f = small_gan(true);
  f.metadata.erase("batchnorm_eps");
  auto r = load(f);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error(), Contains("\"batchnorm_eps\"") && Contains("generator_batchnorm is 1"));
  GanFile plain = small_gan(false);
  plain.metadata.erase("batchnorm_eps");
  CHECK(load(plain).ok());
}

TEST_CASE("a tensor the model does not use is an error naming it, unless extra tensors are allowed",
          "[strict-loading]") {
  GanFile f = small_gan(false);
  f.entries.push_back(Entry{"generator.fc9.weight", "F32", {2, 2}, {1, 2, 3, 4}, {}});
  auto strict = load(f);
  REQUIRE_FALSE(strict.ok());
  CHECK_THAT(strict.error(), Contains("\"generator.fc9.weight\" (F32 [2, 2])") && Contains("not used") &&
                                 Contains("--allow-extra-tensors"));

  LoadOptions allow;
  allow.allow_extra_tensors = true;
  auto lenient = load(f, allow);
  INFO(lenient.error());
  REQUIRE(lenient.ok());
  REQUIRE(lenient.value().notes.size() == 1);
  CHECK_THAT(lenient.value().notes[0], Contains("ignored tensor \"generator.fc9.weight\""));
  // The extra tensor changes nothing the model computes.
  auto clean = load(small_gan(false));
  REQUIRE(clean.ok());
  CHECK(pixels_of(lenient.value()) == pixels_of(clean.value()));
}

TEST_CASE("a half-present optional group is refused, naming the missing tensor", "[strict-loading]") {
  GanFile f = small_gan(false);
  f.entries.push_back(Entry{"discriminator.fc1.weight", "F32", {5, 16}, std::vector<float>(80, 0.1f), {}});
  auto r = load(f);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error(), Contains("discriminator.fc1.bias"));
}

TEST_CASE("BatchNorm's num_batches_tracked (I64) is skipped with a note and the pixels are unchanged",
          "[strict-loading]") {
  GanFile f = small_gan(true);
  f.entries.push_back(num_batches_tracked("generator.fc2"));
  auto r = load(f);
  INFO(r.error());
  REQUIRE(r.ok());
  REQUIRE(r.value().notes.size() == 1);
  CHECK_THAT(r.value().notes[0], Contains("skipped tensor \"generator.fc2.bn.num_batches_tracked\" (I64 [])"));
  auto clean = load(small_gan(true));
  REQUIRE(clean.ok());
  CHECK(pixels_of(r.value()) == pixels_of(clean.value()));
}

TEST_CASE("BatchNorm tensors with BatchNorm off, or BatchNorm on without them, name the tensor and the key",
          "[strict-loading]") {
  // Tensors of a BatchNorm file, metadata of a plain one.
  GanFile with_bn = small_gan(true);
  with_bn.metadata = small_gan(false).metadata;
  with_bn.metadata["generator_activation"] = "leaky_relu";
  auto r = load(with_bn);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error(), Contains("\"generator.fc2.bn.weight\"") && Contains("\"generator_batchnorm\" = \"0\"") &&
                            Contains("disagree"));
  // Allowing extra tensors does not hide the disagreement.
  LoadOptions allow;
  allow.allow_extra_tensors = true;
  CHECK_FALSE(load(with_bn, allow).ok());

  // Only the batch counter: still a BatchNorm tensor the model has no place for.
  GanFile counter = small_gan(false);
  counter.entries.push_back(num_batches_tracked("generator.fc2"));
  auto c = load(counter);
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.error(), Contains("\"generator.fc2.bn.num_batches_tracked\"") &&
                            Contains("\"generator_batchnorm\" = \"0\""));

  // Metadata of a BatchNorm file, tensors of a plain one.
  GanFile without_bn = small_gan(false);
  without_bn.metadata = small_gan(true).metadata;
  auto m = load(without_bn);
  REQUIRE_FALSE(m.ok());
  CHECK_THAT(m.error(), Contains("no tensor \"generator.fc2.bn.weight\"") &&
                            Contains("\"generator_batchnorm\" = \"1\"") && Contains("disagree"));
}

TEST_CASE("a file of mixed dtypes loads, and every tensor keeps its own stored dtype", "[strict-loading]") {
  GanFile f = small_gan(true);
  for (std::size_t i = 0; i < f.entries.size(); i += 2) f.entries[i].dtype = "F16";
  const std::vector<std::uint8_t> bytes = encode(f.entries, f.metadata);
  auto decoded = decode_safetensors(bytes.data(), bytes.size());
  REQUIRE(decoded.ok());
  for (const Entry& e : f.entries) {
    const DecodedTensor* t = decoded.value().find(e.name);
    REQUIRE(t != nullptr);
    CHECK(dtype_name(t->stored_dtype) == e.dtype);
  }
  auto r = load_model(decoded.value());
  INFO(r.error());
  REQUIRE(r.ok());
  CHECK(r.value().stored_dtype == DType::F16);  // the first tensor's
}

TEST_CASE("an integer tensor where the model needs floats is refused, naming it and its dtype", "[strict-loading]") {
  GanFile f = small_gan(false);
  Entry& bias = f.entries[1];  // generator.fc1.bias, 6 values
  REQUIRE(bias.name == "generator.fc1.bias");
  bias.dtype = "I32";
  bias.bytes.assign(6 * 4, 0);
  auto r = load(f);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error(), Contains("\"generator.fc1.bias\" is stored as I32"));
}

TEST_CASE("the integer dtypes of the safetensors spec decode (sizes checked, values not kept)", "[strict-loading]") {
  const std::vector<std::pair<std::string, std::size_t>> sizes = {{"BOOL", 1}, {"U8", 1},  {"I8", 1},
                                                                  {"I16", 2},  {"U16", 2}, {"I32", 4},
                                                                  {"U32", 4},  {"I64", 8}, {"U64", 8}};
  for (const auto& [dtype, size] : sizes) {
    INFO(dtype);
    const std::vector<Entry> entries{{"x", dtype, {3}, {}, std::vector<std::uint8_t>(3 * size, 1)},
                                     {"y", "F32", {1}, {2.5f}, {}}};
    const std::vector<std::uint8_t> bytes = encode(entries, {{"note", "n"}});
    auto d = decode_safetensors(bytes.data(), bytes.size());
    INFO(d.error());
    REQUIRE(d.ok());
    const DecodedTensor* x = d.value().find("x");
    REQUIRE(x != nullptr);
    CHECK(dtype_name(x->stored_dtype) == dtype);
    CHECK(x->values.empty());
    CHECK(d.value().find("y")->values == std::vector<float>{2.5f});
    // One byte short of the shape is refused like any mis-sized tensor.
    const std::vector<Entry> short_entries{{"x", dtype, {3}, {}, std::vector<std::uint8_t>(3 * size - 1, 1)}};
    const std::vector<std::uint8_t> bad = encode(short_entries, {});
    auto refused = decode_safetensors(bad.data(), bad.size());
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error(), Contains("needs " + std::to_string(3 * size)));
  }
  const std::vector<std::uint8_t> f64 = encode({{"x", "F64", {1}, {}, std::vector<std::uint8_t>(8, 0)}}, {});
  auto r = decode_safetensors(f64.data(), f64.size());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error(), Contains("\"F64\" not supported"));
}

TEST_CASE("a checkpoint's optimiser moments are not extra tensors, the same names without the marker are",
          "[strict-loading]") {
  GanFile f = small_gan(false);
  f.entries.push_back(Entry{"adam.generator.m", "F32", {2}, {0, 0}, {}});
  f.entries.push_back(Entry{"adam.generator.v", "F32", {2}, {0, 0}, {}});
  f.metadata["adam.generator.steps"] = "3";
  auto plain = load(f);
  REQUIRE_FALSE(plain.ok());
  CHECK_THAT(plain.error(), Contains("\"adam.generator.m\""));
  f.metadata["checkpoint"] = "1";
  auto checkpoint = load(f);
  INFO(checkpoint.error());
  REQUIRE(checkpoint.ok());
  CHECK(checkpoint.value().notes.empty());
}

TEST_CASE("the classifier loader is strict too", "[strict-loading]") {
  ClassifierConfig c;
  c.input = 4;
  c.hidden = {3};
  c.classes = 2;
  Classifier classifier(c);
  std::vector<TensorToWrite> tensors = model_tensors(classifier);
  const float extra[2] = {1, 2};
  tensors.push_back({"classifier.fc9.bias", {2}, extra});
  const std::vector<std::uint8_t> bytes = encode_safetensors(tensors, config_metadata(c));
  auto r = load_classifier(bytes.data(), bytes.size());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error(), Contains("\"classifier.fc9.bias\""));
  LoadOptions allow;
  allow.allow_extra_tensors = true;
  auto lenient = load_classifier(bytes.data(), bytes.size(), allow);
  REQUIRE(lenient.ok());
  CHECK(lenient.value().notes.size() == 1);
}
