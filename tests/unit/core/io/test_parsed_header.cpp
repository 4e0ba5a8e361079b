// decode_parsed_safetensors (the page's path: the header parsed by JSON.parse in web/latentlab.js)
// gives the same contents and the same messages as decode_safetensors for the same header, since
// both run the checks of core/src/io/safetensors_checks.cpp; and load_model(contents) is the assembly
// that load_model(bytes) runs.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "latentlab/io/model_io.hpp"
#include "latentlab/io/safetensors.hpp"

using namespace latentlab;
using Catch::Matchers::Contains;

namespace {

// A file and its header in parsed form (one F32 tensor per entry, data filled with 0.5).
struct Both {
  std::vector<std::uint8_t> file;
  ParsedSafetensorsHeader parsed;
  std::vector<std::uint8_t> data;
};

Both make(const std::vector<ParsedTensor>& tensors, const std::map<std::string, std::string>& metadata,
          std::size_t data_bytes) {
  Both b;
  b.parsed.metadata = metadata;
  b.parsed.tensors = tensors;
  std::string json = "{";
  if (!metadata.empty()) {
    json += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      json += (first ? "\"" : ",\"") + k + "\":\"" + v + "\"";
      first = false;
    }
    json += "}";
  }
  for (const ParsedTensor& t : tensors) {
    if (json.size() > 1) json += ",";
    json += "\"" + t.name + "\":{\"dtype\":\"" + t.dtype + "\",\"shape\":[";
    for (std::size_t i = 0; i < t.shape.size(); ++i) json += (i ? "," : "") + std::to_string(t.shape[i]);
    json += "],\"data_offsets\":[" + std::to_string(t.begin) + "," + std::to_string(t.end) + "]}";
  }
  json += "}";
  for (int i = 0; i < 8; ++i) b.file.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(json.size()) >> (8 * i)));
  b.file.insert(b.file.end(), json.begin(), json.end());
  for (std::size_t i = 0; i < data_bytes / 4; ++i) {
    const std::uint8_t half[4] = {0x00, 0x00, 0x00, 0x3F};  // 0.5f
    b.data.insert(b.data.end(), half, half + 4);
  }
  b.data.resize(data_bytes, 0);
  b.file.insert(b.file.end(), b.data.begin(), b.data.end());
  return b;
}

void same_outcome(const Both& b) {
  auto native = decode_safetensors(b.file.data(), b.file.size());
  auto parsed = decode_parsed_safetensors(b.parsed, b.data.data(), b.data.size());
  REQUIRE(native.ok() == parsed.ok());
  if (!native.ok()) {
    CHECK(parsed.error() == native.error());
    return;
  }
  CHECK(parsed.value().metadata == native.value().metadata);
  REQUIRE(parsed.value().tensors.size() == native.value().tensors.size());
  for (std::size_t i = 0; i < native.value().tensors.size(); ++i) {
    CHECK(parsed.value().tensors[i].name == native.value().tensors[i].name);
    CHECK(parsed.value().tensors[i].shape == native.value().tensors[i].shape);
    CHECK(parsed.value().tensors[i].values == native.value().tensors[i].values);
  }
}

}  // namespace

TEST_CASE("a parsed header decodes exactly as the bytes do, and fails with the same message") {
  const std::map<std::string, std::string> meta{{"kind", "vae"}};
  same_outcome(make({{"a", "F32", {2, 3}, 0, 24}, {"b", "F32", {1}, 24, 28}}, meta, 28));        // valid
  same_outcome(make({{"a", "I64", {2}, 0, 16}}, meta, 16));                                       // dtype
  same_outcome(make({{"a", "F32", {1, 1, 1, 1, 1, 1, 1, 1, 1}, 0, 4}}, meta, 4));                 // rank
  same_outcome(make({{"a", "F32", {1ull << 32}, 0, 4}}, meta, 4));                                // dimension
  same_outcome(make({{"a", "F32", {2}, 4, 0}}, meta, 8));                                         // begin > end
  same_outcome(make({{"a", "F32", {2}, 0, 12}}, meta, 8));                                        // beyond
  same_outcome(make({{"a", "F32", {3}, 0, 8}}, meta, 8));                                         // size
  same_outcome(make({{"a", "F32", {2}, 0, 8}, {"b", "F32", {1}, 4, 8}}, meta, 8));                // overlap
  same_outcome(make({{"a", "F32", {1}, 4, 8}}, meta, 8));                                         // hole
  same_outcome(make({{"a", "F32", {1}, 0, 4}}, meta, 8));                                         // trailing
  same_outcome(make({}, meta, 4));                                                                 // no tensors
}

TEST_CASE("load_model(contents) refuses what load_model(bytes) refuses, with the same message") {
  const std::map<std::string, std::string> meta{{"kind", "vae"}, {"input", "4"}, {"hidden", "2"}, {"latent", "1"},
                                                {"beta", "-1"}};
  const Both b = make({{"a", "F32", {1}, 0, 4}}, meta, 4);
  auto native = load_model(b.file.data(), b.file.size());
  auto parsed = decode_parsed_safetensors(b.parsed, b.data.data(), b.data.size());
  REQUIRE(parsed.ok());
  auto assembled = load_model(parsed.value());
  REQUIRE_FALSE(native.ok());
  REQUIRE_FALSE(assembled.ok());
  CHECK(assembled.error() == native.error());
  // The bound is printed as %.9g prints the float bound (the message no longer formats it at run time).
  CHECK_THAT(native.error(), Contains("is not a number in [0, 1000000]"));
}

TEST_CASE("the float ranges of GAN metadata messages are the %.9g texts of their bounds") {
  std::map<std::string, std::string> meta{{"kind", "gan"}, {"image", "4"}, {"latent", "2"}, {"generator_hidden", "2"},
                                          {"discriminator_hidden", "2"}, {"leaky_slope", "2"}};
  auto slope = gan_config_from_metadata(meta);
  REQUIRE_FALSE(slope.ok());
  CHECK_THAT(slope.error(), Contains("is not a number in [9.99999997e-07, 1]"));
  meta["leaky_slope"] = "0.2";
  meta["generator_activation"] = "leaky_relu";
  meta["generator_batchnorm"] = "1";
  meta["batchnorm_eps"] = "11";
  auto eps = gan_config_from_metadata(meta);
  REQUIRE_FALSE(eps.ok());
  CHECK_THAT(eps.error(), Contains("is not a number in [9.99999996e-13, 10]"));
}
