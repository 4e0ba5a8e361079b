#include "trainer.hpp"

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

void epoch_order(Rng& rng, std::size_t n, std::vector<std::uint32_t>& order) {
  order.resize(n);
  std::iota(order.begin(), order.end(), 0u);
  rng.shuffle(order.data(), n);
}

void gather_batch(const Dataset& data, const std::vector<std::uint32_t>& order, std::size_t first, int count,
                  float scale, float shift, float* batch) {
  const std::size_t pixels = static_cast<std::size_t>(data.rows) * static_cast<std::size_t>(data.cols);
  for (int r = 0; r < count; ++r) {
    const float* src = data.image(order[first + static_cast<std::size_t>(r)]);
    float* dst = batch + static_cast<std::size_t>(r) * pixels;
    for (std::size_t i = 0; i < pixels; ++i) dst[i] = scale * src[i] + shift;
  }
}

}  // namespace latentlab::native
