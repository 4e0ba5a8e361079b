// The fuzz targets' seed corpus, replayed through the same entry points libFuzzer calls
// (tests/fuzz/entry_points.cpp): the harness code runs in the default suite, and the corpus stays
// what it claims to be — valid seeds are accepted by the parsers, invalid ones refused cleanly.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/entry_points.hpp"
#include "data/idx.hpp"
#include "data/npy.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/io/safetensors.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

const fs::path kCorpus = fs::path(LATENTLAB_SOURCE_DIR) / "tests" / "fuzz" / "corpus";

Bytes read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

std::vector<fs::path> seeds(const std::string& target) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kCorpus / target)) out.push_back(e.path());
  return out;
}

}  // namespace

TEST_CASE("fuzz seed corpus replays through the fuzz entry points without a broken invariant", "[fuzz]") {
  std::size_t replayed = 0;
  for (const char* target : {"safetensors", "idx", "npy", "model"}) {
    const auto files = seeds(target);
    INFO("target " << target);
    CHECK(files.size() >= 8);
    for (const auto& f : files) {
      const Bytes b = read_bytes(f);
      INFO("seed " << f.filename().string());
      if (std::string(target) == "safetensors") latentlab::fuzz::safetensors_one_input(b.data(), b.size());
      if (std::string(target) == "idx") latentlab::fuzz::idx_one_input(b.data(), b.size());
      if (std::string(target) == "npy") latentlab::fuzz::npy_one_input(b.data(), b.size());
      if (std::string(target) == "model") latentlab::fuzz::model_one_input(b.data(), b.size());
      ++replayed;  // an invariant violation aborts the test binary, which ctest reports as a failure
    }
  }
  CHECK(replayed >= 40);
}

TEST_CASE("fuzz seed corpus: valid seeds parse and invalid seeds are refused", "[fuzz]") {
  const fs::path st = kCorpus / "safetensors";
  for (const char* name : {"valid_f32", "valid_f16", "valid_bf16", "valid_empty", "valid_integer_dtypes", "scalar", "tiny_vae"}) {
    const Bytes b = read_bytes(st / (std::string(name) + ".safetensors"));
    INFO(name);
    CHECK(latentlab::decode_safetensors(b.data(), b.size()).ok());
  }
  for (const char* name : {"truncated", "header_too_long", "bad_json", "overlap", "nan", "huge_shape"}) {
    const Bytes b = read_bytes(st / (std::string(name) + ".safetensors"));
    INFO(name);
    CHECK_FALSE(latentlab::decode_safetensors(b.data(), b.size()).ok());
  }

  const fs::path model = kCorpus / "model";
  for (const char* name : {"tiny_vae", "tiny_gan", "tiny_gan_generator_only", "tiny_gan_batchnorm"}) {
    const Bytes b = read_bytes(model / (std::string(name) + ".safetensors"));
    INFO(name);
    CHECK(latentlab::load_model(b.data(), b.size()).ok());
  }
  for (const char* name : {"truncated_vae", "no_kind", "vae_claims_2e27_parameters", "gan_claims_big_generator"}) {
    const Bytes b = read_bytes(model / (std::string(name) + ".safetensors"));
    INFO(name);
    CHECK_FALSE(latentlab::load_model(b.data(), b.size()).ok());
  }

  const fs::path idx = kCorpus / "idx";
  using latentlab::native::read_idx_images;
  using latentlab::native::read_idx_labels;
  CHECK(read_idx_images((idx / "images_3x4x4.idx").string()).pixels.size() == 48);
  CHECK(read_idx_images((idx / "images_3x4x4.idx.gz").string()).pixels.size() == 48);
  CHECK(read_idx_labels((idx / "labels_5.idx").string()).labels.size() == 5);
  CHECK(read_idx_labels((idx / "labels_5.idx.gz").string()).labels.size() == 5);
  CHECK(read_idx_labels((idx / "labels_two_gzip_members.idx.gz").string()).labels.size() == 5);
  for (const char* name : {"images_truncated.idx", "images_truncated.idx.gz", "images_claims_4e9.idx",
                           "images_claims_4e9.idx.gz", "wrong_magic.idx"}) {
    INFO(name);
    CHECK_THROWS_AS(read_idx_images((idx / name).string()), latentlab::native::DataError);
  }
  CHECK_THROWS_AS(read_idx_labels((idx / "labels_trailing_byte.idx").string()), latentlab::native::DataError);

  const fs::path npy = kCorpus / "npy";
  using latentlab::native::read_npy_images;
  CHECK(read_npy_images((npy / "valid_2x4x4.npy").string()).pixels.size() == 32);
  CHECK(read_npy_images((npy / "valid_v2_2x16.npy").string()).image_size() == 16);
  CHECK(read_npy_images((npy / "valid_v3_nchw.npy").string()).rows == 3);
  for (const char* name : {"float64.npy", "fortran.npy", "truncated_data.npy", "truncated_header.npy", "nan.npy",
                           "claims_2e16_images.npy", "unknown_key.npy"}) {
    INFO(name);
    CHECK_THROWS_AS(read_npy_images((npy / name).string()), latentlab::native::DataError);
  }
}

TEST_CASE("load_model refuses metadata that claims more parameters than the file holds before building the model",
          "[fuzz][safetensors]") {
  // 142 and 236 bytes whose __metadata__ describe a 6.7e7-parameter VAE and GAN (within the 2^27
  // configuration limit): building either would allocate ~270 MB of values and as much of gradients.
  // The refusal must come from the size check (its message), not from a failed tensor lookup after
  // the model was built.
  const auto check = [](const char* file, const char* kind) {
    const Bytes b = read_bytes(kCorpus / "model" / file);
    REQUIRE(b.size() < 256);
    auto r = latentlab::load_model(b.data(), b.size());
    REQUIRE_FALSE(r.ok());
    INFO(r.error());
    CHECK(r.error().rfind(std::string(kind) + " weights: __metadata__ describes a model needing ", 0) == 0);
    CHECK(r.error().find("but the file holds only 1 values") != std::string::npos);
  };
  check("vae_claims_2e27_parameters.safetensors", "VAE");
  check("gan_claims_big_generator.safetensors", "GAN");
}

TEST_CASE("load_classifier refuses metadata that claims more parameters than the file holds before building it",
          "[safetensors]") {
  // 784-8192-8192-10: 7.4e7 parameters (within the 2^27 configuration limit), one value stored.
  const std::string header =
      R"({"__metadata__":{"kind":"classifier","input":"784","hidden":"8192,8192","classes":"10"},)"
      R"("x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  Bytes b(8, 0);
  for (int i = 0; i < 8; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(header.size() >> (8 * i));
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), 4, 0);
  auto r = latentlab::load_classifier(b.data(), b.size());
  REQUIRE_FALSE(r.ok());
  INFO(r.error());
  CHECK(r.error().rfind("classifier weights: __metadata__ describes a model needing 73629706 parameters", 0) == 0);
  CHECK(r.error().find("but the file holds only 1 values") != std::string::npos);
}
