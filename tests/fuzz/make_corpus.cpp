// Writes the seed corpus of the fuzz targets into <dir>/{safetensors,idx,npy,model}/ (committed as
// tests/fuzz/corpus/; regenerate with `scripts/fuzz --make-corpus`). Small valid files, so the
// fuzzer starts from inputs that reach deep into each parser, and a few invalid ones (truncated,
// wrong magic, lying headers) that stop at each early check.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "latentlab/io/model_io.hpp"
#include "latentlab/rng.hpp"

namespace fs = std::filesystem;
using namespace latentlab;
using Bytes = std::vector<std::uint8_t>;

namespace {

void write(const fs::path& dir, const std::string& name, const Bytes& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "make_corpus: cannot write %s\n", (dir / name).c_str());
    std::exit(1);
  }
}

Bytes truncated(Bytes b, std::size_t n) {
  b.resize(std::min(n, b.size()));
  return b;
}

void put_be32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

Bytes idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, bool with_payload = true) {
  Bytes b;
  put_be32(b, 0x00000803);
  put_be32(b, count);
  put_be32(b, rows);
  put_be32(b, cols);
  if (with_payload)
    for (std::uint32_t i = 0; i < count * rows * cols; ++i) b.push_back(static_cast<std::uint8_t>(i * 37));
  return b;
}

Bytes idx_labels(std::uint32_t count) {
  Bytes b;
  put_be32(b, 0x00000801);
  put_be32(b, count);
  for (std::uint32_t i = 0; i < count; ++i) b.push_back(static_cast<std::uint8_t>(i % 10));
  return b;
}

Bytes gzip(const Bytes& plain) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::exit(1);
  Bytes out(deflateBound(&zs, plain.size()) + 32);
  zs.next_in = const_cast<Bytef*>(plain.data());
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::exit(1);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Bytes tiny_vae() {
  VaeConfig c;
  c.input = 16;
  c.hidden = {8};
  c.latent = 2;
  Vae vae(c);
  Rng rng(7);
  vae.init(rng);
  return save_model(vae, config_metadata(vae.config()), {{"dataset", "corpus"}});
}

Gan tiny_gan_model(bool batchnorm) {
  GanConfig c;
  c.image = 16;
  c.latent = 2;
  c.generator_hidden = {8, 8};
  c.discriminator_hidden = {8};
  c.generator_batchnorm = batchnorm;
  c.generator_leaky = batchnorm;
  return Gan(c);
}

Bytes tiny_gan(bool batchnorm, bool with_discriminator) {
  Gan gan = tiny_gan_model(batchnorm);
  Rng rng(8);
  gan.init(rng);
  return save_model(gan, config_metadata(gan.config()), {}, DType::F32, /*generate_only=*/!with_discriminator);
}

// A safetensors file from a literal header and data section.
Bytes raw_safetensors(const std::string& header, const Bytes& data) {
  Bytes b(8);
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(n >> (8 * i));
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// A .npy file as numpy.save writes it: magic, version, header length (u16 for 1.x, else u32), the
// dict padded with spaces and '\n' to a multiple of 64 bytes, then the data.
Bytes npy(const std::string& dict, const Bytes& data, int major = 1) {
  Bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major), 0};
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  std::string header = dict;
  while ((b.size() + length_bytes + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  for (std::size_t i = 0; i < length_bytes; ++i) b.push_back(static_cast<std::uint8_t>(header.size() >> (8 * i)));
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// n float32 pixels k/n (little-endian), all in [0, 1).
Bytes npy_pixels(std::size_t n) {
  Bytes b;
  for (std::size_t k = 0; k < n; ++k) {
    const float v = static_cast<float>(k) / static_cast<float>(n);
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
  }
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus <corpus dir>\n");
    return 2;
  }
  const fs::path root = argv[1];

  // safetensors: generic tensors in each dtype, the real model files, and broken headers.
  const fs::path st = root / "safetensors";
  const float values[6] = {0.5f, -1.25f, 3.0f, 0.0f, 65504.0f, -1e-3f};
  const std::vector<TensorToWrite> two = {{"a", {2, 3}, values}, {"b", {2}, values + 4}};
  const Bytes f32 = encode_safetensors(two, {{"note", "seed"}}, DType::F32);
  write(st, "valid_f32.safetensors", f32);
  write(st, "valid_f16.safetensors", encode_safetensors(two, {}, DType::F16));
  write(st, "valid_bf16.safetensors",
        raw_safetensors(R"({"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", {0x80, 0x3f, 0x00, 0xc0}));
  write(st, "valid_empty.safetensors", raw_safetensors("{}", {}));
  // Integer dtypes (PyTorch's BatchNorm num_batches_tracked is an I64 scalar) beside a float.
  write(st, "valid_integer_dtypes.safetensors",
        raw_safetensors(R"({"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]},)"
                        R"("m":{"dtype":"BOOL","shape":[2],"data_offsets":[8,10]},)"
                        R"("x":{"dtype":"F16","shape":[1],"data_offsets":[10,12]}})",
                        {7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x00, 0x3c}));
  write(st, "scalar.safetensors",
        raw_safetensors(R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})", {0, 0, 128, 63}));
  write(st, "tiny_vae.safetensors", tiny_vae());
  write(st, "truncated.safetensors", truncated(f32, f32.size() - 3));
  write(st, "header_too_long.safetensors", truncated(f32, 20));
  write(st, "bad_json.safetensors", raw_safetensors(R"({"a":{"dtype":"F32","shape":[1],)", {0, 0, 0, 0}));
  write(st, "overlap.safetensors",
        raw_safetensors(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                        {0, 0, 0, 0}));
  write(st, "nan.safetensors",
        raw_safetensors(R"({"n":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", {0, 0, 0xc0, 0x7f}));
  write(st, "huge_shape.safetensors",
        raw_safetensors(R"({"h":{"dtype":"F32","shape":[1000000,1000000,1000000],"data_offsets":[0,4]}})",
                        {0, 0, 0, 0}));

  // IDX: tiny images and labels files, plain and gzip, and broken ones.
  const fs::path idx = root / "idx";
  const Bytes images = idx_images(3, 4, 4);
  const Bytes labels = idx_labels(5);
  write(idx, "images_3x4x4.idx", images);
  write(idx, "labels_5.idx", labels);
  write(idx, "images_3x4x4.idx.gz", gzip(images));
  write(idx, "labels_5.idx.gz", gzip(labels));
  Bytes two_members = gzip(truncated(labels, 9));
  const Bytes rest = gzip(Bytes(labels.begin() + 9, labels.end()));
  two_members.insert(two_members.end(), rest.begin(), rest.end());
  write(idx, "labels_two_gzip_members.idx.gz", two_members);
  write(idx, "images_truncated.idx", truncated(images, images.size() - 5));
  write(idx, "images_truncated.idx.gz", truncated(gzip(images), gzip(images).size() - 6));
  write(idx, "images_claims_4e9.idx", idx_images(4'000'000'000u, 28, 28, false));
  write(idx, "images_claims_4e9.idx.gz", gzip(idx_images(4'000'000'000u, 28, 28, false)));
  Bytes wrong_magic = images;
  wrong_magic[3] = 0x01;
  write(idx, "wrong_magic.idx", wrong_magic);
  Bytes trailing = labels;
  trailing.push_back(0);
  write(idx, "labels_trailing_byte.idx", trailing);

  // .npy: images in each accepted layout and version, and refused ones.
  const fs::path np = root / "npy";
  const auto dict = [](const std::string& shape, const std::string& descr = "<f4", const char* fortran = "False") {
    return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
  };
  const Bytes valid = npy(dict("(2, 4, 4)"), npy_pixels(32));
  write(np, "valid_2x4x4.npy", valid);
  write(np, "valid_v2_2x16.npy", npy(dict("(2, 16)"), npy_pixels(32), 2));
  write(np, "valid_v3_nchw.npy", npy(dict("(1, 1, 3, 3)"), npy_pixels(9), 3));
  write(np, "float64.npy", npy(dict("(1, 4)", "<f8"), Bytes(32, 0)));
  write(np, "fortran.npy", npy(dict("(2, 4, 4)", "<f4", "True"), npy_pixels(32)));
  write(np, "truncated_data.npy", truncated(valid, valid.size() - 3));
  write(np, "truncated_header.npy", truncated(valid, 40));
  Bytes nan = valid;
  nan[nan.size() - 2] = 0xc0;
  nan[nan.size() - 1] = 0x7f;
  write(np, "nan.npy", nan);
  write(np, "claims_2e16_images.npy", npy(dict("(65536, 65536, 4)"), npy_pixels(4)));
  write(np, "unknown_key.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), 'x': 0}", npy_pixels(1)));

  // Model files: tiny VAE and GANs (full, generator-only, BatchNorm) and wrong ones.
  const fs::path model = root / "model";
  const Bytes vae = tiny_vae();
  write(model, "tiny_vae.safetensors", vae);
  write(model, "tiny_gan.safetensors", tiny_gan(false, true));
  write(model, "tiny_gan_generator_only.safetensors", tiny_gan(false, false));
  write(model, "tiny_gan_batchnorm.safetensors", tiny_gan(true, true));
  write(model, "truncated_vae.safetensors", truncated(vae, vae.size() / 2));
  write(model, "no_kind.safetensors", f32);
  write(model, "vae_claims_2e27_parameters.safetensors",
        raw_safetensors(R"({"__metadata__":{"kind":"vae","input":"32768","hidden":"1024","latent":"16"},)"
                        R"("x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                        {0, 0, 0, 0}));
  write(model, "gan_claims_big_generator.safetensors",
        raw_safetensors(R"({"__metadata__":{"kind":"gan","image":"65536","latent":"100","generator_hidden":"1024","discriminator_hidden":"1",)"
                        R"("generator_activation":"relu","generator_batchnorm":"0"},)"
                        R"("x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                        {0, 0, 0, 0}));
  std::printf("make_corpus: wrote seeds under %s\n", root.c_str());
  return 0;
}
