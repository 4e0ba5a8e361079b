// `latentlab info` lists every tensor of a file (name, dtype, shape), reports mixed dtypes, and
// shows the loader's notes; `--allow-extra-tensors` on the commands that read weights files.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "latentlab/io/model_io.hpp"
#include "latentlab/io/safetensors.hpp"
#include "latentlab/models/registry.hpp"
#include "support/cli.hpp"

using latentlab::test::ProcessResult;
using latentlab::test::run_cli;
using latentlab::test::TempDir;
using namespace latentlab;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// A small BatchNorm GAN's generator file whose tensors alternate F16 and F32, with `extra`
// tensors (name, F32 values) appended and an I64 num_batches_tracked for fc2.
void write_mixed_gan(const std::string& path, const std::vector<std::pair<std::string, std::vector<float>>>& extra) {
  GanConfig c;
  c.image = 16;
  c.latent = 3;
  c.generator_hidden = {6, 8};
  c.discriminator_hidden = {5};
  c.generator_leaky = c.generator_batchnorm = true;
  c.batchnorm_eps = 0.8f;
  Gan gan(c);
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  header["__metadata__"] = config_metadata(c);
  std::vector<std::uint8_t> data;
  bool half = true;
  const auto add = [&](const std::string& name, const std::vector<std::int64_t>& shape, const float* v, std::size_t n) {
    const std::size_t begin = data.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (half) {
        const std::uint16_t h = float_to_half(v[i]);
        data.push_back(static_cast<std::uint8_t>(h & 0xFF));
        data.push_back(static_cast<std::uint8_t>(h >> 8));
      } else {
        std::uint32_t bits;
        std::memcpy(&bits, &v[i], 4);
        for (int b = 0; b < 4; ++b) data.push_back(static_cast<std::uint8_t>(bits >> (8 * b)));
      }
    }
    header[name] = {{"dtype", half ? "F16" : "F32"}, {"shape", shape}, {"data_offsets", {begin, data.size()}}};
    half = !half;
  };
  for (const TensorToWrite& t : model_tensors(gan, /*generate_only=*/true)) {
    std::size_t n = 1;
    for (auto d : t.shape) n *= static_cast<std::size_t>(d);
    add(t.name, t.shape, t.values, n);
  }
  for (const auto& [name, values] : extra) {
    half = false;
    add(name, {static_cast<std::int64_t>(values.size())}, values.data(), values.size());
  }
  const std::size_t begin = data.size();
  data.insert(data.end(), 8, 0);
  header["generator.fc2.bn.num_batches_tracked"] = {{"dtype", "I64"}, {"shape", nlohmann::json::array()},
                                                    {"data_offsets", {begin, data.size()}}};
  const std::string json = header.dump();
  std::ofstream f(path, std::ios::binary);
  for (int i = 0; i < 8; ++i) f.put(static_cast<char>(json.size() >> (8 * i)));
  f << json;
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

}  // namespace

TEST_CASE("info lists every tensor with its dtype and shape, reports mixed dtypes and the loader's notes", "[cli]") {
  TempDir dir;
  const std::string file = dir / "mixed.safetensors";
  write_mixed_gan(file, {});
  ProcessResult r = run_cli({"info", file});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "stored as   F16, F32, I64 (mixed), 11 tensors"));
  CHECK(contains(r.out, "  generator.fc1.weight                 F16  [6, 3]\n"));
  CHECK(contains(r.out, "  generator.fc1.bias                   F32  [6]\n"));
  CHECK(contains(r.out, "  generator.fc2.bn.running_var         F32  [8]\n"));
  CHECK(contains(r.out, "  generator.fc2.bn.num_batches_tracked I64  []\n"));
  CHECK(contains(r.out, "note        skipped tensor \"generator.fc2.bn.num_batches_tracked\" (I64 [])"));

  r = run_cli({"info", "--json", file});
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["stored_dtype"] == "F16, F32, I64 (mixed)");
  REQUIRE(j["tensors"].size() == 11);
  CHECK(j["tensors"][0] == nlohmann::json({{"name", "generator.fc1.weight"}, {"dtype", "F16"}, {"shape", {6, 3}}}));
  CHECK(j["tensors"][1] == nlohmann::json({{"name", "generator.fc1.bias"}, {"dtype", "F32"}, {"shape", {6}}}));
  CHECK(j["tensors"][10] == nlohmann::json({{"name", "generator.fc2.bn.num_batches_tracked"},
                                            {"dtype", "I64"},
                                            {"shape", nlohmann::json::array()}}));
  REQUIRE(j["notes"].size() == 1);
  CHECK(contains(j["notes"][0].get<std::string>(), "num_batches_tracked"));
}

TEST_CASE("a file with an extra tensor is refused naming it, and read with --allow-extra-tensors", "[cli]") {
  TempDir dir;
  const std::string file = dir / "extra.safetensors";
  write_mixed_gan(file, {{"generator.fc1.weight_orig", {1, 2, 3}}});
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"info", file}, {"sample", "--weights", file, "--n", "1", "--out", dir / "s.png"},
        {"interpolate", "--weights", file, "--from", "1", "--to", "2", "--steps", "2", "--out", dir / "i.png"},
        {"export", file, "--out", dir / "e.safetensors"}}) {
    INFO(command[0]);
    ProcessResult r = run_cli(command);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "tensor \"generator.fc1.weight_orig\" (F32 [3]) is not used"));
    std::vector<std::string> allowed = command;
    allowed.push_back("--allow-extra-tensors");
    r = run_cli(allowed);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out + r.err, "ignored tensor \"generator.fc1.weight_orig\""));
  }
  // export keeps only the model's tensors: its output loads strictly.
  ProcessResult r = run_cli({"info", dir / "e.safetensors"});
  CHECK(r.exit_code == 0);
  CHECK_FALSE(contains(r.out, "weight_orig"));
}
