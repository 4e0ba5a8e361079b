// The fuzz entry points (see entry_points.hpp). Every check that fails calls fail(), which
// prints what was violated and aborts, so libFuzzer (or the Catch2 replay) reports it.
#include "entry_points.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "output/file_io.hpp"
#include "data/idx.hpp"
#include "latentlab/infer/generation.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/io/safetensors.hpp"

namespace latentlab::fuzz {

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant violated: %s\n", what.c_str());
  std::abort();
}

bool all_finite(const float* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) return false;
  return true;
}

std::uint64_t product(const std::vector<std::int64_t>& shape) {
  std::uint64_t n = 1;
  for (auto d : shape) {
    if (d < 0) fail("negative dimension accepted");
    n *= static_cast<std::uint64_t>(d);
  }
  return n;
}

// The IDX reader takes a path: the bytes go into one in-memory file (memfd, a regular file to
// fstat) that is rewritten for each input, reached through /proc/self/fd.
class MemoryFile {
 public:
  MemoryFile() {
    fd_ = ::memfd_create("latentlab-fuzz-idx", MFD_CLOEXEC);
    if (fd_ < 0) fail("memfd_create failed");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  const std::string& hold(const std::uint8_t* data, std::size_t size) {
    if (::ftruncate(fd_, 0) != 0) fail("ftruncate failed");
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) fail("pwrite failed");
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace

void safetensors_one_input(const std::uint8_t* data, std::size_t size) {
  auto decoded = decode_safetensors(data, size);
  if (!decoded) {
    if (decoded.error().empty()) fail("decode_safetensors failed without a message");
    return;
  }
  const SafetensorsContents& contents = decoded.value();
  std::vector<TensorToWrite> again;
  for (const auto& t : contents.tensors) {
    if (product(t.shape) != t.values.size()) fail("tensor " + t.name + ": value count does not match its shape");
    if (!all_finite(t.values.data(), t.values.size())) fail("tensor " + t.name + ": non-finite value accepted");
    again.push_back({t.name, t.shape, t.values.data()});
  }
  // Round trip: what was accepted re-encodes (as f32) to a file that decodes to the same values.
  const auto bytes = encode_safetensors(again, contents.metadata, DType::F32);
  auto redecoded = decode_safetensors(bytes.data(), bytes.size());
  if (!redecoded) fail("re-encoded file is rejected: " + redecoded.error());
  const auto& back = redecoded.value();
  if (back.tensors.size() != contents.tensors.size() || back.metadata != contents.metadata)
    fail("re-encoded file differs in tensors or metadata");
  for (std::size_t i = 0; i < back.tensors.size(); ++i) {
    const DecodedTensor* original = contents.find(back.tensors[i].name);
    if (!original || original->shape != back.tensors[i].shape || original->values != back.tensors[i].values)
      fail("re-encoded tensor " + back.tensors[i].name + " differs");
  }
}

void idx_one_input(const std::uint8_t* data, std::size_t size) {
  static MemoryFile file;
  const std::string& path = file.hold(data, size);
  try {
    const native::IdxImages images = native::read_idx_images(path);
    const std::uint64_t announced = std::uint64_t(images.count) * images.rows * images.cols;
    if (images.count == 0 || images.rows == 0 || images.cols == 0) fail("IDX images with a zero dimension accepted");
    if (images.pixels.size() != announced) fail("IDX images: pixel count differs from the header");
  } catch (const native::DataError& e) {
    if (std::string(e.what()).find(path) == std::string::npos) fail("IDX error does not name the file");
  }
  try {
    const native::IdxLabels labels = native::read_idx_labels(path);
    if (labels.labels.empty()) fail("IDX labels file with 0 labels accepted");
  } catch (const native::DataError& e) {
    if (std::string(e.what()).find(path) == std::string::npos) fail("IDX error does not name the file");
  }
}

void model_one_input(const std::uint8_t* data, std::size_t size) {
  auto loaded = load_model(data, size);
  if (!loaded) {
    if (loaded.error().empty()) fail("load_model failed without a message");
    return;
  }
  LoadedModel& model = loaded.value();
  if (!model.kind || !model.model || find_model_kind(model.kind->name) != model.kind)
    fail("a loaded model without a registered kind");
  const int latent = model->latent_dim();
  const int image = model->image_size();
  if (latent < 1 || latent > 4096 || image < 1 || image > 65536) fail("configuration outside the documented limits");
  for (const TensorGroup& g : model->tensor_groups())
    if (!all_finite(g.set->values(), g.set->size()))
      fail(std::string(model.kind->label) + " with a non-finite parameter accepted");
  // A loaded model can generate: one image from a fixed latent.
  std::vector<float> z(static_cast<std::size_t>(latent));
  sample_latents(1, z.data(), z.size());
  std::vector<float> pixels(static_cast<std::size_t>(image));
  model->decode(z.data(), nullptr, 1, pixels.data());
}

}  // namespace latentlab::fuzz
