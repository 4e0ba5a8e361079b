#include "trainer.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "checkpoint.hpp"
#include "latentlab/rng.hpp"

namespace latentlab::native {

double metric(const Metrics& metrics, const std::string& name) {
  for (const auto& [key, value] : metrics)
    if (key == name) return value;
  return std::nan("");
}

void Trainer::store_counters(Metadata& metadata) const {
  metadata[kCheckpointMarker] = "1";
  metadata["epoch"] = std::to_string(epochs_done_);
  metadata["step"] = std::to_string(steps_done_);
}

Result<bool> Trainer::restore_counters(const Metadata& metadata) {
  using R = Result<bool>;
  auto marker = metadata.find(kCheckpointMarker);
  if (marker == metadata.end() || marker->second != "1")
    return R::failure("not a training checkpoint (no \"checkpoint\" entry in its metadata): a model.safetensors "
                      "cannot be resumed, use the run's checkpoint.safetensors");
  auto epoch = metadata_u64(metadata, "epoch");
  if (!epoch) return R::failure(epoch.error());
  auto step = metadata_u64(metadata, "step");
  if (!step) return R::failure(step.error());
  if (epoch.value() > 1000000 || step.value() > (std::uint64_t{1} << 62))
    return R::failure("checkpoint epoch/step counters are out of range");
  epochs_done_ = static_cast<int>(epoch.value());
  steps_done_ = static_cast<std::int64_t>(step.value());
  return R::success(true);
}

Result<bool> Trainer::restore_common(const SafetensorsContents& checkpoint, const std::string& label) {
  using R = Result<bool>;
  const Metadata& m = checkpoint.metadata;
  if (auto ok = restore_counters(m); !ok) return ok;  // also checks this is a checkpoint at all
  auto found = m.find("kind");
  if (found == m.end() || found->second != kind())
    return R::failure("the checkpoint holds a " + (found == m.end() ? std::string("model of unknown kind") : found->second) +
                      ", not a " + label);
  for (const auto& t : checkpoint.tensors)
    if (t.stored_dtype != DType::F32) return R::failure("checkpoint tensor \"" + t.name + "\" is not F32");
  return R::success(true);
}

void for_each_test_chunk(const Dataset& data, std::size_t n,
                         const std::function<void(const float* chunk, std::size_t first, int count)>& visit) {
  const std::size_t pixels = static_cast<std::size_t>(data.rows) * static_cast<std::size_t>(data.cols);
  std::vector<float> chunk(static_cast<std::size_t>(kEvalChunk) * pixels);
  std::vector<std::uint32_t> identity(n);
  std::iota(identity.begin(), identity.end(), 0u);
  for (std::size_t first = 0; first < n; first += kEvalChunk) {
    const int count = static_cast<int>(std::min<std::size_t>(kEvalChunk, n - first));
    gather_batch(data, identity, first, count, 1.0f, 0.0f, chunk.data());
    visit(chunk.data(), first, count);
  }
}

void epoch_order(Rng& rng, std::size_t n, std::vector<std::uint32_t>& order) {
  order.resize(n);
  std::iota(order.begin(), order.end(), 0u);
  rng.shuffle(order.data(), n);
}

void gather_batch(const Dataset& data, const std::vector<std::uint32_t>& order, std::size_t first, int count,
                  float scale, float shift, float* batch) {
  const std::size_t pixels = static_cast<std::size_t>(data.rows) * static_cast<std::size_t>(data.cols);
  for (int r = 0; r < count; ++r) {
    const std::uint8_t* src = data.image(order[first + static_cast<std::size_t>(r)]);
    float* dst = batch + static_cast<std::size_t>(r) * pixels;
    for (std::size_t i = 0; i < pixels; ++i) dst[i] = scale * pixel_value(src[i]) + shift;
  }
}

}  // namespace latentlab::native
