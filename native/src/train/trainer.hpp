// What the training driver (training_run.cpp) needs from a model's trainer. VaeTrainer and
// GanTrainer implement it; tests use them directly, without the CLI.
//
// The random streams it uses are listed in latentlab/streams.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "data/datasets.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/result.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/streams.hpp"
#include "latentlab/io/safetensors.hpp"

namespace latentlab::native {

// Test images evaluated per forward pass.
inline constexpr int kEvalChunk = 500;

// Named values in a fixed order (log.csv columns, progress line, summary.json).
using Metrics = std::vector<std::pair<std::string, double>>;
double metric(const Metrics& metrics, const std::string& name);  // NaN if absent

struct TrainingOptions {
  int batch = 128;
  float lr = 1e-3f;
  std::uint64_t seed = 1;
};

// Called after every optimisation step of an epoch: steps and images done in this epoch, and
// the running means of the loss terms over the epoch so far.
using StepObserver = std::function<void(std::size_t steps_done, std::size_t images_done, const Metrics& running)>;
// Asked before every optimisation step (the CLI's SIGINT/SIGTERM flag): true ends the epoch there.
using StopCheck = std::function<bool()>;

class Trainer {
 public:
  virtual ~Trainer() = default;

  virtual std::string kind() const = 0;  // "vae" | "gan"
  virtual const TrainingOptions& options() const = 0;
  virtual int latent_dim() const = 0;
  virtual int image_size() const = 0;
  // The model configuration as weights-file metadata (config_metadata of the model).
  virtual Metadata config_metadata() const = 0;

  // Optimisation steps of one epoch over n training images.
  virtual std::size_t steps_per_epoch(std::size_t n) const = 0;
  // One epoch over the first n images of `train`, in an order shuffled by the data-order RNG.
  // Returns the epoch's mean loss terms (the names of training_metric_names()).
  virtual Metrics train_epoch(const Dataset& train, std::size_t n, const StepObserver& observer) = 0;
  virtual std::vector<std::string> training_metric_names() const = 0;
  // Metrics on the first n images of `test` (names of test_metric_names()).
  virtual Metrics evaluate(const Dataset& test, std::size_t n) = 0;
  virtual std::vector<std::string> test_metric_names() const = 0;
  // Images in [0, 1] for count latents z (count × latent) → pixels (count × image).
  virtual void render(const float* z, int count, float* pixels) = 0;

  // false once any parameter is NaN or infinite.
  virtual bool finite() const = 0;
  // model.safetensors bytes (F32) with `extra` metadata.
  virtual std::vector<std::uint8_t> model_bytes(const Metadata& extra) const = 0;
  // checkpoint.safetensors bytes: model + optimiser + RNG + counters (see checkpoint.hpp).
  virtual std::vector<std::uint8_t> checkpoint_bytes(const Metadata& extra) const = 0;
  // Restores a checkpoint written by checkpoint_bytes of a trainer with the same configuration.
  // Never throws; on failure the trainer must not be used further.
  virtual Result<bool> restore(const SafetensorsContents& checkpoint) = 0;

  int epochs_done() const { return epochs_done_; }
  std::int64_t steps_done() const { return steps_done_; }

  void set_stop_check(StopCheck check) { stop_check_ = std::move(check); }
  // true after a train_epoch that the stop check ended early: the epoch is not counted as done,
  // and checkpoint_bytes records the position in it, so that a resumed run continues mid-epoch
  // with bit-identical results.
  bool epoch_interrupted() const { return position_.active; }
  std::size_t epoch_steps_done() const { return position_.steps; }
  // Non-empty once a step met a non-finite loss term or gradient ("step 37: KL is inf", "step 37:
  // gradient of decoder.fc2.weight is NaN", or a gradient beyond √FLT_MAX whose square would
  // overflow Adam's state). That update was not applied and the epoch ended.
  const std::string& divergence() const { return divergence_; }

 protected:
  // Where a running (or stopped) epoch is: the data-order RNG at the epoch's start (the order
  // is re-derived from it), steps and images done, and the running sums of the loss terms.
  struct EpochPosition {
    bool active = false;
    Rng start = Rng(0, 0);
    std::uint64_t n = 0, steps = 0, images = 0;
    std::vector<double> sums;
  };

  // Common checkpoint metadata (epoch, step, position in a stopped epoch) and its restoration.
  void store_counters(Metadata& metadata) const;
  Result<bool> restore_counters(const Metadata& metadata);
  // What every restore checks first: a checkpoint at all (counters restored), of this `kind`
  // ("vae", named `label` = "VAE" in messages), every tensor stored as F32.
  Result<bool> restore_common(const SafetensorsContents& checkpoint, const std::string& label);
  // Starts an epoch over n images with `terms` loss sums, drawing its order (order_) from
  // data_rng, or continues the stopped one (its order re-derived from the stored start state).
  void begin_epoch(Rng& data_rng, std::size_t n, std::size_t terms);
  bool stop_requested() const { return stop_check_ && stop_check_(); }
  // The loop of one epoch, the same for every trainer: begin_epoch over the first n images, then
  // batches of `batch` rows of order_ (the last one shorter) until `images` are done (n, or
  // fewer when a trainer drops the incomplete batch). Before each batch the stop check (a stop
  // leaves the position active, so a checkpoint continues there); then step(first, count),
  // which gathers rows order_[first … first+count), trains, adds its loss terms to
  // position_.sums and returns false when the step diverged (the epoch then ends); then the
  // observer with means(), the running means of the terms. Returns means().
  Metrics run_epoch(Rng& data_rng, std::size_t n, std::size_t images, int batch, std::size_t terms,
                    const std::function<bool(std::size_t first, int count)>& step,
                    const std::function<Metrics()>& means, const StepObserver& observer);
  // Checks a step's loss terms (in order) and then the gradients of `params` for NaN/Inf before
  // they are applied; on the first bad one sets divergence() and returns false.
  bool step_finite(std::initializer_list<std::pair<const char*, double>> terms, const ParameterSet& params);

  int epochs_done_ = 0;
  std::int64_t steps_done_ = 0;
  EpochPosition position_;
  std::vector<std::uint32_t> order_;  // the image order of the current epoch
  std::string divergence_;
  StopCheck stop_check_;
};

// The indices 0…n−1 in the order of one epoch: identity, then Rng::shuffle with `rng`.
// Starting from the identity every epoch (rather than re-shuffling the last order) makes the
// order a function of the RNG state alone, which is all a checkpoint needs to store.
void epoch_order(Rng& rng, std::size_t n, std::vector<std::uint32_t>& order);

// Calls visit(chunk, first, count) for the first n images of `data` in order, in chunks of at
// most kEvalChunk images (chunk: count × image floats, pixels in [0, 1]): the test evaluations.
void for_each_test_chunk(const Dataset& data, std::size_t n,
                         const std::function<void(const float* chunk, std::size_t first, int count)>& visit);

// Copies rows order[first … first+count) of `data` into `batch` (count × image floats),
// mapping each pixel p to scale·p + shift (VAE: 1·p + 0, GAN: 2·p − 1).
void gather_batch(const Dataset& data, const std::vector<std::uint32_t>& order, std::size_t first, int count,
                  float scale, float shift, float* batch);

}  // namespace latentlab::native
