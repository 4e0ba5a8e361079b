// One training run as `latentlab train` performs it: the epoch loop around a Trainer, and
// everything it leaves in the output directory:
//
//   <out>/samples/epoch_NNN.png   8×8 grid of the model's images for a FIXED latent batch
//                                 z = Rng(seed, kSampleStream).fill_normal(64·latent), drawn
//                                 once, so epochs can be compared (and `latentlab sample
//                                 --seed <seed> --n 64` on the final model gives the last one)
//   <out>/log.csv                 one row per epoch (training_log.hpp)
//   <out>/checkpoint.safetensors  after every epoch: everything needed to continue exactly
//                                 (checkpoint.hpp), written atomically
//   <out>/model.safetensors       at the end: the model (F32) with its training metadata
//   <out>/best.safetensors        generative runs with a classifier: the model of the evaluated
//                                 epoch with the lowest FD so far (collapse_watch.hpp), with its
//                                 metrics; rewritten atomically whenever a new best is found
//   <out>/summary.json            final metrics, wall time, epochs, steps, images/s
//
// No file that already holds a good model or checkpoint is ever replaced by a broken one:
// every write is atomic (write_file_atomically), and nothing is written once a parameter
// has become NaN/Inf (the run stops with an error instead).
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "data/datasets.hpp"
#include "latentlab/io/safetensors.hpp"
#include "train/progress.hpp"
#include "train/registry.hpp"
#include "train/trainer.hpp"

namespace latentlab::native {

struct TrainSettings {
  const NativeKind* kind = nullptr;  // the model kind (registry.hpp)
  std::any config;               // its configuration, made by the kind's entry (sizes from the data are set there)
  std::string data = "mnist";    // "mnist" | "fashion" | a directory of IDX files
  int epochs = 10;               // total epochs (a resumed run continues up to this number)
  TrainingOptions training;      // batch, lr, seed
  std::size_t limit = 0;         // use only the first `limit` training images (0: all)
  std::size_t test_limit = 0;    // evaluate on the first `test_limit` test images (0: all)
  int eval_every = 1;            // evaluate every k epochs (0: only after the last one); a generative
                                 // run also measures its sample quality then (training_quality.hpp)
  std::string classifier;        // judges the samples; "" = the data set's shipped classifier, if any
  int threads = 1;               // threads of the kernels' pool (GEMMs, Adam); results identical for any count
  std::string out;               // output directory (created)
  bool overwrite = false;        // allow starting a new run in a directory that holds one
  std::string command_line;      // stored in the metadata of the files written
  StopCheck stop_requested;      // asked before every step (SIGINT/SIGTERM): stop, checkpoint, throw
};

// Thrown when stop_requested() ended the run: the checkpoint holding the position reached (mid-
// epoch if need be) has been written. what() says where the run stopped and the exact command
// that continues it.
class TrainingInterrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Result of a run (also written to summary.json).
struct TrainSummary {
  Metrics train;     // last epoch's training metrics
  Metrics test;      // final evaluation
  int epochs = 0;    // epochs done in total (including those before a resume)
  std::int64_t steps = 0;
  double wall_seconds = 0;      // this process, from start to the last file written
  double train_seconds = 0;     // time spent in training steps by this process
  double images_per_second = 0; // training images / train_seconds
};

// Metadata keys under which a run stores its settings (in checkpoints and models), so that
// --resume can restore and check them.
inline constexpr const char* kMetaDataset = "dataset";
inline constexpr const char* kMetaEpochsTarget = "epochs_target";
inline constexpr const char* kMetaBatch = "batch";
inline constexpr const char* kMetaLr = "lr";
inline constexpr const char* kMetaSeed = "seed";
inline constexpr const char* kMetaLimit = "limit";
inline constexpr const char* kMetaTestLimit = "test_limit";
inline constexpr const char* kMetaEvalEvery = "eval_every";
inline constexpr const char* kMetaKlWarmup = "kl_warmup";  // only when > 0 (older checkpoints: 0)
inline constexpr const char* kMetaCriticSteps = "n_critic";  // only when > 1 (absent: 1)
inline constexpr const char* kMetaGpLambda = "gp_lambda";    // only for wgan-gp (has_gradient_penalty)

// True when a model's configuration metadata says it trains with a gradient penalty (gan_loss wgan-gp).
inline bool has_gradient_penalty(const Metadata& config) {
  auto it = config.find("gan_loss");
  return it != config.end() && it->second == "wgan-gp";
}
inline constexpr const char* kMetaClassifier = "eval_classifier";  // only when --classifier was given

// Runs the training. `resume` (may be null) is a decoded checkpoint whose configuration
// `settings` already reproduces (the CLI checks that). `resume_path` names it in messages and
// locates an earlier log.csv. Throws DataError (files, data), UsageError (settings that do
// not fit the data), std::runtime_error (divergence: a NaN/Inf loss term or gradient; the last
// good checkpoint is kept) or TrainingInterrupted.
TrainSummary run_training(const TrainSettings& settings, const SafetensorsContents* resume,
                          const std::string& resume_path, Progress& progress);

}  // namespace latentlab::native
