#include "train/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "train/checkpoint.hpp"
#include "latentlab/kernels/parallel.hpp"
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
  if (!position_.active) return;
  // A stopped epoch: the sums as exact bit patterns, so the epoch's means continue bit for bit.
  metadata["epoch_position.n"] = u64_to_decimal(position_.n);
  metadata["epoch_position.steps"] = u64_to_decimal(position_.steps);
  metadata["epoch_position.images"] = u64_to_decimal(position_.images);
  std::string sums;
  for (double v : position_.sums) sums += (sums.empty() ? "" : ",") + double_to_bits_hex(v);
  metadata["epoch_position.sums"] = sums;
  store_rng(metadata, "epoch_start", position_.start);
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

  position_ = EpochPosition();
  if (metadata.find("epoch_position.n") == metadata.end()) return R::success(true);
  auto n = metadata_u64(metadata, "epoch_position.n");
  if (!n) return R::failure(n.error());
  auto steps = metadata_u64(metadata, "epoch_position.steps");
  if (!steps) return R::failure(steps.error());
  auto images = metadata_u64(metadata, "epoch_position.images");
  if (!images) return R::failure(images.error());
  auto sums = metadata_value(metadata, "epoch_position.sums");
  if (!sums) return R::failure(sums.error());
  if (images.value() > n.value() || steps.value() > images.value())
    return R::failure("checkpoint epoch position is inconsistent (" + u64_to_decimal(images.value()) + " of " +
                      u64_to_decimal(n.value()) + " images in " + u64_to_decimal(steps.value()) + " steps)");
  const std::string& text = sums.value();
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    auto v = double_from_bits_hex(text.substr(start, comma - start));
    if (!v) return R::failure("checkpoint \"epoch_position.sums\": " + v.error());
    position_.sums.push_back(v.value());
    start = comma + 1;
  }
  if (auto ok = restore_rng(metadata, "epoch_start", position_.start); !ok) return ok;
  position_.n = n.value();
  position_.steps = steps.value();
  position_.images = images.value();
  position_.active = true;
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

void Trainer::begin_epoch(Rng& data_rng, std::size_t n, std::size_t terms) {
  if (position_.active) {
    if (position_.n != n || position_.sums.size() != terms)
      throw std::runtime_error("the checkpoint was stopped in an epoch over " + u64_to_decimal(position_.n) +
                               " images with " + std::to_string(position_.sums.size()) + " loss terms, this run has " +
                               std::to_string(n) + " images and " + std::to_string(terms));
    Rng replay = position_.start;  // data_rng itself already stands after this epoch's shuffle
    epoch_order(replay, n, order_);
    return;
  }
  position_.start = data_rng;
  epoch_order(data_rng, n, order_);
  position_.n = n;
  position_.steps = position_.images = 0;
  position_.sums.assign(terms, 0.0);
  position_.active = true;
}

Metrics Trainer::run_epoch(Rng& data_rng, std::size_t n, std::size_t images, int batch, std::size_t terms,
                           const std::function<bool(std::size_t first, int count)>& step,
                           const std::function<Metrics()>& means, const StepObserver& observer) {
  begin_epoch(data_rng, n, terms);
  EpochPosition& p = position_;
  while (p.images < images) {
    if (stop_requested()) return means();  // the position stays active: a checkpoint continues here
    const int count = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(batch), images - p.images));
    if (!step(p.images, count)) break;  // diverged: the driver reports divergence() and stops
    p.images += static_cast<std::size_t>(count);
    ++p.steps;
    if (observer) observer(p.steps, p.images, means());
  }
  p.active = false;
  ++epochs_done_;
  return means();
}

bool Trainer::step_finite(std::initializer_list<std::pair<const char*, double>> terms, const ParameterSet& params) {
  const std::string step = "step " + std::to_string(steps_done_ + 1) + ": ";
  for (const auto& [name, value] : terms) {
    if (std::isfinite(value)) continue;
    divergence_ = step + name + " is " + (std::isnan(value) ? "NaN" : "inf");
    return false;
  }
  // One pass over the flat gradient buffer; the tensor is looked up only when something is wrong.
  // A finite gradient beyond √FLT_MAX counts as diverged too: Adam's second moment (g²) would
  // become inf, and a checkpoint holding it could never be read back (found by the divergence
  // test: a GAN at lr 1e8 kept finite weights but wrote adam.generator.v = inf).
  const float limit = std::sqrt(std::numeric_limits<float>::max());
  const float* g = params.grads();
  const std::size_t bad = params.first_gradient_beyond(limit);  // NaN counts as beyond
  if (bad == params.size()) return true;
  std::string tensor = "a padding element";
  for (const auto& t : params.tensors())
    if (bad >= t.offset && bad < t.offset + t.size) tensor = t.name;
  const float v = g[bad];
  char what[96];
  if (std::isfinite(v))
    std::snprintf(what, sizeof what, "too large (%.3g; beyond %.3g its square overflows Adam's second moment)",
                  static_cast<double>(v), static_cast<double>(limit));
  else
    std::snprintf(what, sizeof what, "%s", std::isnan(v) ? "NaN" : "inf");
  divergence_ = step + "gradient of " + tensor + " is " + what;
  return false;
}

void epoch_order(Rng& rng, std::size_t n, std::vector<std::uint32_t>& order) {
  order.resize(n);
  std::iota(order.begin(), order.end(), 0u);
  rng.shuffle(order.data(), n);
}

void gather_batch(const Dataset& data, const std::vector<std::uint32_t>& order, std::size_t first, int count,
                  float scale, float shift, float* batch) {
  const std::size_t pixels = static_cast<std::size_t>(data.rows) * static_cast<std::size_t>(data.cols);
  // A byte has 256 values: map each once (the same expression as per pixel, so the same floats),
  // then every pixel is one table lookup.
  float table[256];
  for (int b = 0; b < 256; ++b) table[b] = scale * pixel_value(static_cast<std::uint8_t>(b)) + shift;
  // Rows are independent: split them across the kernels' threads for a training batch.
  constexpr std::size_t kMinPixelsPerThread = 1 << 15;
  const int parts = std::min(std::max(count, 1), parallel::parts_for(static_cast<std::size_t>(count) * pixels, kMinPixelsPerThread));
  parallel::for_ranges(static_cast<std::size_t>(count), parts, 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t r = begin; r < end; ++r) {
      const std::uint8_t* src = data.image(order[first + r]);
      float* dst = batch + r * pixels;
      for (std::size_t i = 0; i < pixels; ++i) dst[i] = table[src[i]];
    }
  });
}

}  // namespace latentlab::native
