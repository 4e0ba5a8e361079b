// What the training driver (run.cpp) needs from a model's trainer, and the skeleton every trainer
// shares: the epoch loop (train_epoch), the step skeleton (apply: finite check → Adam; the step
// counted once per iteration), the checkpoint (the model's tensor groups, every registered
// optimiser, both RNGs, the counters) and its restoration. A kind's trainer (VaeTrainer,
// GanTrainer, ClassifierTrainer) supplies its model, one train_step and its metrics; tests use
// them directly, without the CLI. Trainers are built through the native registry (registry.hpp).
//
// Data parallelism (docs/distributed.md) lives here too, so every kind gets it: under
// `mpirun -np N` each step's global batch is split into N slices (distributed.hpp), train_step
// sees this rank's rows only, and apply() sums the gradients and the checked loss terms over the
// ranks before Adam, which then runs identically everywhere; train_epoch sums the returned loss
// terms and agrees on the stop check. With one process all of this is skipped.
//
// The random streams it uses are listed in latentlab/streams.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "data/batches.hpp"
#include "data/datasets.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/models/registry.hpp"
#include "latentlab/nn/adam.hpp"
#include "latentlab/result.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/streams.hpp"
#include "latentlab/io/safetensors.hpp"

namespace latentlab::native {

// Named values in a fixed order (log.csv columns, progress line, summary.json).
using Metrics = std::vector<std::pair<std::string, double>>;
double metric(const Metrics& metrics, const std::string& name);  // NaN if absent

struct TrainingOptions {
  int batch = 128;
  float lr = 1e-3f;
  std::uint64_t seed = 1;
  // VAE kinds: the KL weight ramps linearly from 0 to β over this many epochs (0: β throughout),
  // per step t (steps done before it) with S steps per epoch: β_t = β · min(1, t / (EPOCHS · S)).
  int kl_warmup_epochs = 0;
  // Adversarial kinds: D steps per G step (n_critic; a G step follows every critic_steps-th D
  // step, counted over the run) and wgan-gp's gradient-penalty weight λ.
  int critic_steps = 1;
  float gp_lambda = 10.0f;
};

// Called after every optimisation step of an epoch: steps and images done in this epoch, and
// the running means of the loss terms over the epoch so far.
using StepObserver = std::function<void(std::size_t steps_done, std::size_t images_done, const Metrics& running)>;
// Asked before every optimisation step (the CLI's SIGINT/SIGTERM flag): true ends the epoch there.
using StopCheck = std::function<bool()>;

class Trainer {
 public:
  // Named loss terms: a step's sums over its batch, in the order of training_metric_names().
  using LossTerms = std::vector<std::pair<const char*, double>>;

  // The RNGs every trainer has: Rng(seed, kDataOrderStream) and Rng(seed, kNoiseStream).
  explicit Trainer(const TrainingOptions& options);
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;
  virtual ~Trainer() = default;

  // The registered kind of the model being trained (the "kind" of its config_metadata()).
  const ModelKind& kind() const;
  const TrainingOptions& options() const { return options_; }
  // The model being trained: its tensor groups are what model_bytes, checkpoint_bytes, restore
  // and finite() work on.
  virtual const Model& model() const = 0;
  virtual int latent_dim() const = 0;
  virtual int image_size() const = 0;
  // The model configuration as weights-file metadata (config_metadata of the model).
  virtual Metadata config_metadata() const = 0;

  // Optimisation steps of one epoch over n training images (n / batch, rounded up; rounded down
  // when the kind drops the last partial batch).
  std::size_t steps_per_epoch(std::size_t n) const;
  // One epoch over the first n images of `train`, in an order shuffled by the data-order RNG.
  // Returns the epoch's mean loss terms (the names of training_metric_names()).
  Metrics train_epoch(const Dataset& train, std::size_t n, const StepObserver& observer);
  virtual std::vector<std::string> training_metric_names() const = 0;
  // Metrics on the first n images of `test` (names of test_metric_names()).
  virtual Metrics evaluate(const Dataset& test, std::size_t n) = 0;
  virtual std::vector<std::string> test_metric_names() const = 0;
  // Images in [0, 1] for count latents z (count × latent) → pixels (count × image); labels: their
  // classes for a conditional model (classes() > 0), else nullptr.
  virtual void render(const float* z, const int* labels, int count, float* pixels) = 0;
  // The classes the model is conditioned on (0: unconditional).
  virtual int classes() const { return 0; }

  // false once any trained parameter is NaN or infinite.
  bool finite() const;
  // model.safetensors bytes (F32) with `extra` metadata.
  std::vector<std::uint8_t> model_bytes(const Metadata& extra) const;
  // checkpoint.safetensors bytes: model + every optimiser + both RNGs + counters (checkpoint.hpp).
  std::vector<std::uint8_t> checkpoint_bytes(const Metadata& extra) const;
  // Restores a checkpoint written by checkpoint_bytes of a trainer with the same configuration.
  // Never throws; on failure the trainer must not be used further.
  Result<bool> restore(const SafetensorsContents& checkpoint);

  Rng& data_rng() { return data_rng_; }
  Rng& noise_rng() { return noise_rng_; }
  int epochs_done() const { return epochs_done_; }
  std::int64_t steps_done() const { return steps_done_; }

  void set_stop_check(StopCheck check) { stop_check_ = std::move(check); }
  // true after a train_epoch that the stop check ended early: the epoch is not counted as done,
  // and checkpoint_bytes records the position in it, so that a resumed run continues mid-epoch
  // with bit-identical results.
  bool epoch_interrupted() const { return position_.active; }
  // Why this trainer cannot split an epoch over n images across distributed::size() ranks
  // (a batch with fewer rows than ranks; a batch-mean loss over a batch the ranks cannot share
  // equally), or "" if it can.
  std::string data_parallel_problem(std::size_t n) const;
  std::size_t epoch_steps_done() const { return position_.steps; }
  // Non-empty once a step met a non-finite loss term or gradient ("step 37: KL is inf", "step 37:
  // gradient of decoder.fc2.weight is NaN", or a gradient beyond √FLT_MAX whose square would
  // overflow Adam's state). That update was not applied and the epoch ended.
  const std::string& divergence() const { return divergence_; }

 protected:
  // One optimisation step on rows order_[first … first+count) of `train` (gather() them): the
  // kind's gradients, then apply() per player. Returns the loss terms of these rows; after a
  // divergence (divergence() set) the epoch ends and they are not counted.
  // Data-parallel: these rows are this rank's slice of the step's global batch (step_rows());
  // per-row noise must come from step_normals() (or be drawn for every row of the global batch,
  // as step_normals does), so that the ranks' noise streams stay identical and a row gets the
  // same noise for any number of ranks.
  virtual LossTerms train_step(const Dataset& train, std::size_t first, int count) = 0;
  // How an epoch runs: a GAN drops the last partial batch and averages its terms per step; the
  // others keep it (PyTorch drop_last=False) and average per image.
  virtual bool drops_last_batch() const { return false; }
  // true: the loss terms AND the gradients of train_step are means over its rows (the GAN);
  // false: sums over its rows. Decides how ranks combine them: a weighted sum (local/global
  // rows) or a plain sum.
  virtual bool means_per_step() const { return false; }
  // Refuses a checkpoint whose model configuration differs from this trainer's (the message
  // names the kind's sizes).
  virtual Result<bool> check_config(const Metadata& checkpoint) const = 0;

  // Registers an optimiser under its checkpoint name ("adam", "adam.generator"), in save order.
  void add_optimiser(const char* name, Adam& adam) { optimisers_.push_back({name, &adam}); }
  // Rng(seed, kInitStream): the parameter initialisation.
  Rng init_rng() const { return Rng(options_.seed, kInitStream); }
  // The step skeleton of one player: its loss terms (in order) and then the gradients of
  // `params` checked for NaN/Inf (step_finite), then adam's update. false, with nothing
  // applied and divergence() set, on the first bad one.
  bool apply(const LossTerms& checked, ParameterSet& params, Adam& adam);
  // Rows order_[first … first+count) of `data` in the model's pixel range (batch_, count × image).
  float* gather(const Dataset& data, std::size_t first, int count, PixelRange range);
  // The classes of the same rows for a conditional model (classes() > 0; batch_labels_), else nullptr.
  const int* gather_classes(const Dataset& data, std::size_t first, int count);
  // The image order of the current epoch (row r of a batch from `first` is image order[first + r]).
  const std::vector<std::uint32_t>& epoch_order_rows() const { return order_; }
  // Images of the running epoch (its n).
  std::size_t epoch_images() const { return static_cast<std::size_t>(position_.n); }
  // The current step's rows: the global batch (order_ rows first … first+count) and this rank's
  // slice of it (rows first+offset … first+offset+local, what train_step was given).
  struct StepRows {
    std::size_t first = 0;
    int count = 0;
    std::size_t offset = 0;
    int local = 0;
  };
  const StepRows& step_rows() const { return step_rows_; }
  // count × width standard normals from noise_rng_ for every row of the step's global batch, in
  // row order (what one process drawing for the whole batch draws); returns this rank's rows.
  const float* step_normals(int width);
  // The same with uniforms in [0, 1) (one per row and column).
  const float* step_uniforms(int width);

  TrainingOptions options_;
  Rng data_rng_, noise_rng_;

 private:
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
  // What every restore checks first: a checkpoint at all (counters restored), of this kind,
  // every tensor stored as F32.
  Result<bool> restore_common(const SafetensorsContents& checkpoint);
  // Starts an epoch over n images with `terms` loss sums, drawing its order (order_) from
  // data_rng_, or continues the stopped one (its order re-derived from the stored start state).
  void begin_epoch(std::size_t n, std::size_t terms);
  bool stop_requested() const { return stop_check_ && stop_check_(); }
  // Checks a step's loss terms (in order) and then the gradients of `params` for NaN/Inf before
  // they are applied; on the first bad one sets divergence() and returns false.
  bool step_finite(const LossTerms& terms, const ParameterSet& params);
  // Data-parallel: the terms (and the gradients of params, when given) summed over the ranks,
  // each rank's share weighted by its rows / the global rows when means_per_step().
  void share_across_ranks(LossTerms& terms, ParameterSet* params);

  int epochs_done_ = 0;
  std::int64_t steps_done_ = 0;
  EpochPosition position_;
  std::vector<std::uint32_t> order_;  // the image order of the current epoch
  std::vector<float> batch_;          // gather()'s rows
  std::vector<int> batch_labels_;     // gather_classes()' rows
  std::vector<float> normals_;        // step_normals()'s draw for the global batch
  std::vector<float> uniforms_;       // step_uniforms()'s
  std::vector<double> shared_terms_;  // share_across_ranks's buffer
  StepRows step_rows_;
  std::vector<std::pair<const char*, Adam*>> optimisers_;
  std::string divergence_;
  StopCheck stop_check_;
};

}  // namespace latentlab::native
