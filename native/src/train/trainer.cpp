#include "train/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "train/checkpoint.hpp"
#include "train/distributed.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "latentlab/rng.hpp"

namespace latentlab::native {

double metric(const Metrics& metrics, const std::string& name) {
  for (const auto& [key, value] : metrics)
    if (key == name) return value;
  return std::nan("");
}

Trainer::Trainer(const TrainingOptions& options)
    : options_(options), data_rng_(options.seed, kDataOrderStream), noise_rng_(options.seed, kNoiseStream) {}

const ModelKind& Trainer::kind() const {
  const Metadata config = config_metadata();
  const ModelKind* kind = find_model_kind(config.at("kind"));
  if (!kind) throw std::logic_error("trainer of an unregistered model kind \"" + config.at("kind") + "\"");
  return *kind;
}

bool Trainer::finite() const {
  for (const TensorGroup& group : model().tensor_groups())
    if (group.trained && !parameters_finite(*group.set)) return false;
  return true;
}

std::vector<std::uint8_t> Trainer::model_bytes(const Metadata& extra) const {
  return save_model(model(), config_metadata(), extra, DType::F32);
}

std::vector<std::uint8_t> Trainer::checkpoint_bytes(const Metadata& extra) const {
  Metadata metadata = extra;
  store_counters(metadata);
  const NamedStates<const Adam> optimisers(optimisers_.begin(), optimisers_.end());
  return encode_checkpoint(model(), optimisers, {{"data", &data_rng_}, {"noise", &noise_rng_}}, metadata,
                           config_metadata());
}

Result<bool> Trainer::restore(const SafetensorsContents& checkpoint) {
  if (auto ok = restore_common(checkpoint); !ok) return ok;
  if (auto ok = check_config(checkpoint.metadata); !ok) return ok;
  return restore_checkpoint(checkpoint, model(), optimisers_, {{"data", &data_rng_}, {"noise", &noise_rng_}});
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

Result<bool> Trainer::restore_common(const SafetensorsContents& checkpoint) {
  using R = Result<bool>;
  const Metadata& m = checkpoint.metadata;
  if (auto ok = restore_counters(m); !ok) return ok;  // also checks this is a checkpoint at all
  const ModelKind& kind = this->kind();
  const std::string label = kind.label;
  auto found = m.find("kind");
  if (found == m.end() || found->second != kind.name)
    return R::failure("the checkpoint holds a " + (found == m.end() ? std::string("model of unknown kind") : found->second) +
                      ", not a " + label);
  for (const auto& t : checkpoint.tensors)
    if (t.stored_dtype != DType::F32) return R::failure("checkpoint tensor \"" + t.name + "\" is not F32");
  return R::success(true);
}

void Trainer::begin_epoch(std::size_t n, std::size_t terms) {
  if (position_.active) {
    if (position_.n != n || position_.sums.size() != terms)
      throw std::runtime_error("the checkpoint was stopped in an epoch over " + u64_to_decimal(position_.n) +
                               " images with " + std::to_string(position_.sums.size()) + " loss terms, this run has " +
                               std::to_string(n) + " images and " + std::to_string(terms));
    Rng replay = position_.start;  // data_rng_ itself already stands after this epoch's shuffle
    epoch_order(replay, n, order_);
    return;
  }
  position_.start = data_rng_;
  epoch_order(data_rng_, n, order_);
  position_.n = n;
  position_.steps = position_.images = 0;
  position_.sums.assign(terms, 0.0);
  position_.active = true;
}

std::size_t Trainer::steps_per_epoch(std::size_t n) const {
  const std::size_t b = static_cast<std::size_t>(options_.batch);
  return drops_last_batch() ? n / b : (n + b - 1) / b;
}

// The loop of one epoch, the same for every trainer: begin_epoch over the first n images, then
// batches of `batch` rows of order_ (the last one shorter, or dropped) until the epoch's images
// are done. Before each batch the stop check (a stop leaves the position active, so a checkpoint
// continues there); then train_step, whose terms are added to the running sums by position
// (training_metric_names() order); then the step is counted and the observer sees the running
// means. A diverged step ends the epoch (the driver reports divergence() and stops).
Metrics Trainer::train_epoch(const Dataset& train, std::size_t n, const StepObserver& observer) {
  const std::vector<std::string> names = training_metric_names();
  const std::size_t batch = static_cast<std::size_t>(options_.batch);
  const std::size_t images = drops_last_batch() ? steps_per_epoch(n) * batch : n;
  begin_epoch(n, names.size());
  EpochPosition& p = position_;
  const bool per_step = means_per_step();
  const auto means = [&] {
    const double d = static_cast<double>(std::max<std::uint64_t>(per_step ? p.steps : p.images, 1));
    Metrics m;
    for (std::size_t i = 0; i < names.size(); ++i) m.emplace_back(names[i], p.sums[i] / d);
    return m;
  };
  while (p.images < images) {
    // Every rank stops at the same step boundary if any rank was asked to stop.
    if (distributed::any(stop_requested())) return means();  // the position stays active: a checkpoint continues here
    const int count = static_cast<int>(std::min(batch, images - p.images));
    const distributed::Slice slice = distributed::slice(count);
    step_rows_ = {p.images, count, slice.offset, slice.count};
    LossTerms terms = train_step(train, p.images + slice.offset, slice.count);
    if (!divergence_.empty()) break;  // decided on the ranks' shared values (apply): every rank breaks
    if (terms.size() != names.size())
      throw std::logic_error("train_step returned " + std::to_string(terms.size()) + " loss terms for " +
                             std::to_string(names.size()) + " training metrics");
    share_across_ranks(terms, nullptr);
    for (std::size_t i = 0; i < terms.size(); ++i) {
      if (names[i] != terms[i].first) throw std::logic_error("train_step's loss term " + names[i] + " is misnamed");
      p.sums[i] += terms[i].second;
    }
    ++steps_done_;
    p.images += static_cast<std::size_t>(count);
    ++p.steps;
    if (observer) observer(p.steps, p.images, means());
  }
  p.active = false;
  ++epochs_done_;
  return means();
}

bool Trainer::apply(const LossTerms& checked, ParameterSet& params, Adam& adam) {
  if (distributed::size() == 1) {
    if (!step_finite(checked, params)) return false;
  } else {
    LossTerms global = checked;
    share_across_ranks(global, &params);
    if (!step_finite(global, params)) return false;
  }
  adam.step(params.values(), params.grads());
  return true;
}

void Trainer::share_across_ranks(LossTerms& terms, ParameterSet* params) {
  if (distributed::size() == 1) return;
  // A batch mean over this rank's rows counts with weight local/count in the global mean (the
  // same for every rank: data_parallel_problem requires equal slices, so the synchronised
  // BatchNorm's backward sees uniformly weighted rows).
  const bool means = means_per_step();
  const double weight = means ? static_cast<double>(step_rows_.local) / step_rows_.count : 1.0;
  shared_terms_.resize(terms.size());
  for (std::size_t i = 0; i < terms.size(); ++i) shared_terms_[i] = terms[i].second * weight;
  distributed::sum(shared_terms_.data(), shared_terms_.size());
  for (std::size_t i = 0; i < terms.size(); ++i) terms[i].second = shared_terms_[i];
  if (!params) return;
  if (means) {
    const float w = static_cast<float>(weight);
    float* g = params->grads();
    for (std::size_t i = 0; i < params->size(); ++i) g[i] *= w;
  }
  distributed::sum(params->grads(), params->size());
}

const float* Trainer::step_normals(int width) {
  const std::size_t w = static_cast<std::size_t>(width);
  normals_.resize(static_cast<std::size_t>(step_rows_.count) * w);
  noise_rng_.fill_normal(normals_.data(), normals_.size());
  return normals_.data() + step_rows_.offset * w;
}

const float* Trainer::step_uniforms(int width) {
  const std::size_t w = static_cast<std::size_t>(width);
  uniforms_.resize(static_cast<std::size_t>(step_rows_.count) * w);
  noise_rng_.fill_uniform(uniforms_.data(), uniforms_.size(), 0.0f, 1.0f);
  return uniforms_.data() + step_rows_.offset * w;
}

std::string Trainer::data_parallel_problem(std::size_t n) const {
  const int ranks = distributed::size();
  if (ranks == 1) return "";
  const int batch = options_.batch;
  const std::string of_ranks = " the " + std::to_string(ranks) + " ranks";
  if (batch < ranks) return "--batch " + std::to_string(batch) + " is smaller than" + of_ranks + ": every rank needs rows";
  const std::size_t last = n % static_cast<std::size_t>(batch);
  if (means_per_step() && (batch % ranks != 0 || (!drops_last_batch() && last % static_cast<std::size_t>(ranks) != 0)))
    return "this model's losses are means over the batch, and the synchronised step needs equal slices: --batch " +
           std::to_string(batch) + " (and the last batch) must be a multiple of" + of_ranks;
  if (!drops_last_batch() && last != 0 && last < static_cast<std::size_t>(ranks))
    return "the epoch's last batch has " + std::to_string(last) + " images, fewer than" + of_ranks +
           ": change --batch or --limit";
  return "";
}

float* Trainer::gather(const Dataset& data, std::size_t first, int count, PixelRange range) {
  const PixelMap map = pixel_map(range);
  batch_.resize(static_cast<std::size_t>(count) * static_cast<std::size_t>(data.rows) * static_cast<std::size_t>(data.cols));
  gather_batch(data, order_, first, count, map.scale, map.shift, batch_.data());
  return batch_.data();
}

const int* Trainer::gather_classes(const Dataset& data, std::size_t first, int count) {
  if (classes() == 0) return nullptr;
  batch_labels_.resize(static_cast<std::size_t>(count));
  gather_labels(data, order_, first, count, batch_labels_.data());
  return batch_labels_.data();
}

bool Trainer::step_finite(const LossTerms& terms, const ParameterSet& params) {
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

}  // namespace latentlab::native
