#include "train/run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "latentlab/infer/generation.hpp"
#include "program.hpp"
#include "output/format.hpp"
#include "output/file_io.hpp"
#include "output/image_grid.hpp"
#include "latentlab/kernels/parallel.hpp"
#include "latentlab/rng.hpp"
#include "eval/shipped_classifier.hpp"
#include "train/collapse_watch.hpp"
#include "train/distributed.hpp"
#include "train/registry.hpp"
#include "train/training_log.hpp"
#include "train/training_quality.hpp"

namespace latentlab::native {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kSampleCount = 64;  // the fixed 8×8 grid
constexpr int kSampleGridColumns = 8;
constexpr int kSampleScale = 2;
constexpr int kSamplePadding = 2;

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Data-parallel runs (distributed.hpp): every rank trains, rank 0 alone evaluates and writes the
// run's files (log, sample grids, checkpoints, model, summary). Every rank holds the same
// parameters, optimiser state and RNGs, so rank 0's checkpoint resumes with any number of ranks.
bool writes_files() { return distributed::rank() == 0; }

// Settings stored in every file the run writes.
// With a watch: its best-so-far (the checkpoint carries it over a resume).
Metadata run_metadata(const TrainSettings& s, const Trainer& trainer, const CollapseWatch* watch = nullptr) {
  Metadata m;
  m[kMetaDataset] = s.data;
  m[kMetaEpochsTarget] = std::to_string(s.epochs);
  m[kMetaBatch] = std::to_string(s.training.batch);
  m[kMetaLr] = shortest_float(s.training.lr);
  m[kMetaSeed] = std::to_string(s.training.seed);
  m[kMetaLimit] = std::to_string(s.limit);
  m[kMetaTestLimit] = std::to_string(s.test_limit);
  m[kMetaEvalEvery] = std::to_string(s.eval_every);
  if (s.training.kl_warmup_epochs > 0) m[kMetaKlWarmup] = std::to_string(s.training.kl_warmup_epochs);
  if (s.training.critic_steps > 1) m[kMetaCriticSteps] = std::to_string(s.training.critic_steps);
  if (has_gradient_penalty(trainer.config_metadata())) m[kMetaGpLambda] = shortest_float(s.training.gp_lambda);
  m["threads"] = std::to_string(s.threads);
  if (distributed::size() > 1) m["ranks"] = std::to_string(distributed::size());
  m["command_line"] = s.command_line;
  m["trained_by"] = std::string("latentlab ") + latentlab_version();
  m["epochs"] = std::to_string(trainer.epochs_done());
  m["steps"] = std::to_string(trainer.steps_done());
  if (!s.classifier.empty()) m[kMetaClassifier] = s.classifier;
  if (watch) watch->store(m);
  return m;
}

std::string metrics_text(const Metrics& metrics) {
  std::string s;
  for (const auto& [name, value] : metrics) {
    char item[80];
    std::snprintf(item, sizeof item, "%s%s %.4f", s.empty() ? "" : "  ", name.c_str(), value);
    s += item;
  }
  return s;
}

bool all_finite(const Metrics& metrics) {
  for (const auto& [name, value] : metrics)
    if (!std::isfinite(value)) return false;
  return true;
}

std::string describe_architecture(const NativeKind& kind, const Trainer& t) {
  return kind.describe(t.config_metadata()) + ", " + std::to_string(t.model().parameter_count()) + " parameters";
}

bool same_directory(const std::string& a, const std::string& b) {
  std::error_code ec;
  const bool same = std::filesystem::equivalent(a, b, ec);
  return !ec && same;
}

// Refuses to start a NEW run where a run already left its files, unless --overwrite.
void check_fresh_directory(const TrainSettings& s) {
  if (s.overwrite) return;
  for (const char* name : {"checkpoint.safetensors", "model.safetensors"}) {
    const std::string path = join_path(s.out, name);
    if (is_regular_file(path))
      throw UsageError("--out: '" + s.out + "' already holds a training run (" + name +
                       "); continue it with --resume " + join_path(s.out, "checkpoint.safetensors") +
                       ", choose another --out, or pass --overwrite to replace it");
  }
}

// What the epochs work on: the data, the trainer (restored when resuming) and the log so far.
struct PreparedRun {
  DatasetPair data;
  std::size_t n_train = 0, n_test = 0;
  std::unique_ptr<Trainer> trainer;
  std::unique_ptr<TrainingLog> log;
  int first_epoch = 1;
  // The sample quality at evaluated epochs (rank 0, generative kinds with a classifier), and the
  // best model / collapse watch fed by it.
  std::unique_ptr<TrainingQuality> quality;
  std::unique_ptr<CollapseWatch> watch;
  std::string quality_note;  // why there is no quality evaluation ("" when there is, or for a classifier run)
};

// The sample quality of a generative run, unless its data set has no classifier (a note says so).
void prepare_quality(const TrainSettings& s, const SafetensorsContents* resume, PreparedRun& run) {
  if (s.kind->kind->role != ModelRole::Generative || !writes_files()) return;
  const std::string path = s.classifier.empty() ? find_shipped_classifier(s.data) : s.classifier;
  if (path.empty()) {
    const std::string relative = shipped_classifier_relative_path(s.data);
    run.quality_note = relative.empty()
                           ? "no classifier judges the data set '" + s.data +
                                 "' (shipped: mnist, fashion): FD and classes covered are not evaluated during "
                                 "training; pass --classifier FILE to evaluate them"
                           : "the shipped classifier " + relative +
                                 " was not found: FD and classes covered are not evaluated during training; pass "
                                 "--classifier FILE";
    return;
  }
  run.quality = std::make_unique<TrainingQuality>(path, run.data.test, run.n_test, run.trainer->latent_dim(),
                                                  s.training.seed);
  run.watch = std::make_unique<CollapseWatch>(run.quality->classes());
  if (resume) run.watch->restore(resume->metadata);
}

// Output directory, data, trainer, resumed state and the log carried over, in that order (an
// unwritable --out fails before minutes of data loading).
PreparedRun prepare_run(const TrainSettings& s, const SafetensorsContents* resume, const std::string& resume_path) {
  const NativeKind& kind = *s.kind;
  // A resumed run may write over its own checkpoint's directory, but not over another run.
  if (!resume || !same_directory(s.out, parent_directory(resume_path))) check_fresh_directory(s);
  if (writes_files()) {
    ensure_directory(s.out);
    if (kind.kind->role == ModelRole::Generative) ensure_directory(join_path(s.out, "samples"));
  }

  PreparedRun run;
  run.data = load_dataset(s.data);
  const Dataset& train = run.data.train;
  const Dataset& test = run.data.test;
  if (train.count == 0 || test.count == 0) throw DataError("data set '" + s.data + "' has no training or no test images");
  if (s.limit > train.count)
    throw UsageError("--limit: " + std::to_string(s.limit) + " is more than the " + std::to_string(train.count) +
                     " training images of '" + s.data + "'");
  if (s.test_limit > test.count)
    throw UsageError("--test-limit: " + std::to_string(s.test_limit) + " is more than the " +
                     std::to_string(test.count) + " test images of '" + s.data + "'");
  run.n_train = s.limit ? s.limit : train.count;
  run.n_test = s.test_limit ? s.test_limit : test.count;

  parallel::set_thread_count(s.threads);  // the kernels' pool (GEMM blocks, Adam ranges)
  // Both splits share one label space 0…num_classes−1 (load_dataset), so every label fits the head.
  if (kind.needs_labels && train.num_classes < 2)
    throw DataError("data set '" + s.data + "' has fewer than 2 classes: nothing to classify");
  run.trainer = kind.make_trainer(s.config, s.training, DataShape{train.rows * train.cols, train.num_classes});
  Trainer& trainer = *run.trainer;
  if (trainer.steps_per_epoch(run.n_train) == 0)
    throw UsageError("--batch " + std::to_string(s.training.batch) + " is larger than the " +
                     std::to_string(run.n_train) +
                     " training images, and the GAN drops incomplete batches: lower --batch or raise --limit");
  if (const std::string problem = trainer.data_parallel_problem(run.n_train); !problem.empty())
    throw UsageError("cannot split the batches over " + std::to_string(distributed::size()) + " ranks: " + problem);
  if (resume) {
    auto ok = trainer.restore(*resume);
    if (!ok) throw DataError("cannot resume from '" + resume_path + "': " + ok.error());
    if (trainer.epochs_done() >= s.epochs)
      throw UsageError("--epochs: the checkpoint '" + resume_path + "' has already done " +
                       std::to_string(trainer.epochs_done()) + " epochs; pass --epochs greater than that to continue");
  }
  run.first_epoch = trainer.epochs_done() + 1;
  prepare_quality(s, resume, run);

  // Log: the header follows the trainer's metric names.
  std::vector<std::string> columns{"epoch", "step"};
  for (const auto& n : trainer.training_metric_names()) columns.push_back(n);
  for (const auto& n : trainer.test_metric_names()) columns.push_back(n);
  columns.push_back("seconds");
  columns.push_back("eval_seconds");
  if (run.quality) {
    for (const auto& n : TrainingQuality::metric_names()) columns.push_back(n);
    columns.push_back("collapse");
    columns.push_back("quality_seconds");
  }
  run.log = std::make_unique<TrainingLog>(join_path(s.out, "log.csv"), columns);
  // Resuming into a new directory: carry over the rows of the checkpoint's own run.
  if (writes_files() && resume && !run.log->load_existing(trainer.epochs_done()))
    run.log->carry_over(join_path(parent_directory(resume_path), "log.csv"), trainer.epochs_done());
  return run;
}

// The first line of the run: what is trained on what, and where to.
void announce(const TrainSettings& s, const PreparedRun& run, bool resumed, Progress& progress) {
  const Trainer& trainer = *run.trainer;
  char intro[512];
  std::snprintf(intro, sizeof intro,
                "%s %s on %s: %zu training / %zu test images of %dx%d, batch %d, lr %s, seed %llu, epochs %d%s -> %s",
                resumed ? "resuming" : "training", describe_architecture(*s.kind, trainer).c_str(), s.data.c_str(),
                run.n_train, run.n_test, run.data.train.rows, run.data.train.cols, s.training.batch,
                shortest_float(s.training.lr).c_str(), static_cast<unsigned long long>(s.training.seed), s.epochs,
                resumed ? (" (from epoch " + std::to_string(trainer.epochs_done()) + ")").c_str() : "", s.out.c_str());
  const int ranks = distributed::size();
  progress.message(intro + (ranks > 1 ? " (data-parallel over " + std::to_string(ranks) + " ranks)" : std::string()));
  if (!run.quality_note.empty()) progress.message(run.quality_note);
}

// The per-epoch sample grid: the model's images of a fixed latent batch, drawn once from the
// run's seed (kSampleStream). A kind without a latent space (the classifier) draws none.
// Unconditional: 64 latents, 8 × 8. Conditional (C classes): one row per class, the same 8
// latents in every row (image (c, j) = decode(z_j, c)), as `sample --seed S --classes 0-(C-1) --n 8`.
class SampleGrid {
 public:
  SampleGrid(const TrainSettings& s, const Trainer& trainer, const Dataset& data)
      : dir_(join_path(s.out, "samples")),
        rows_(data.rows),
        cols_(data.cols),
        count_(trainer.classes() > 0 ? trainer.classes() * kSampleGridColumns : kSampleCount),
        pixels_(static_cast<std::size_t>(count_) * static_cast<std::size_t>(data.rows * data.cols)) {
    const int drawn = trainer.classes() > 0 ? kSampleGridColumns : kSampleCount;
    std::vector<float> z(static_cast<std::size_t>(drawn) * static_cast<std::size_t>(trainer.latent_dim()));
    sample_latents(s.training.seed, z.data(), z.size());  // the sampling contract: `sample --seed` draws the same
    if (trainer.classes() == 0 || z.empty()) {
      z_ = std::move(z);
      return;
    }
    for (int c = 0; c < trainer.classes(); ++c) {
      z_.insert(z_.end(), z.begin(), z.end());
      labels_.insert(labels_.end(), kSampleGridColumns, c);
    }
  }

  // samples/epoch_NNN.png
  void write(Trainer& trainer, int epoch) {
    if (z_.empty()) return;
    trainer.render(z_.data(), labels_.empty() ? nullptr : labels_.data(), count_, pixels_.data());
    char name[32];
    std::snprintf(name, sizeof name, "epoch_%03d.png", epoch);
    write_png_grid(join_path(dir_, name), pixels_.data(), count_, rows_, cols_, kSampleGridColumns, 0.0f, 1.0f,
                   kSampleScale, kSamplePadding);
  }

 private:
  std::string dir_;
  int rows_, cols_, count_;
  std::vector<float> z_, pixels_;
  std::vector<int> labels_;
};

// After train_epoch: a diverged epoch ends the run (the last good checkpoint stays), and one the
// stop check interrupted writes its mid-epoch checkpoint and ends it.
void stop_unless_epoch_completed(const TrainSettings& s, const Trainer& trainer, int epoch, const Metrics& train,
                                 std::size_t steps_per_epoch, const std::string& checkpoint_path,
                                 const CollapseWatch* watch) {
  if (!trainer.divergence().empty() || !all_finite(train) || !trainer.finite()) {
    const std::string kept = is_regular_file(checkpoint_path)
                                 ? "the last good checkpoint '" + checkpoint_path + "' is kept"
                                 : "nothing was saved";
    const std::string what = !trainer.divergence().empty() ? trainer.divergence()
                                                           : "a loss or parameter is NaN/Inf (" + metrics_text(train) + ")";
    throw std::runtime_error("training diverged in epoch " + std::to_string(epoch) + ": " + what + "; " + kept +
                             ". Try a lower --lr.");
  }
  if (trainer.epoch_interrupted()) {
    // Stopped between two steps (the same one on every rank): save the position in this epoch, so
    // --resume continues exactly here.
    if (writes_files())
      write_file_atomically(checkpoint_path, trainer.checkpoint_bytes(run_metadata(s, trainer, watch)));
    throw TrainingInterrupted("stopped in epoch " + std::to_string(epoch) + " after step " +
                              std::to_string(trainer.epoch_steps_done()) + " of " + std::to_string(steps_per_epoch) +
                              "; wrote " + checkpoint_path + ". Continue with: latentlab train --resume " +
                              checkpoint_path);
  }
}

// The epoch's log.csv row: epoch, step, training metrics, test metrics (empty when not
// evaluated), seconds.
std::vector<std::string> log_row(const Trainer& trainer, int epoch, const Metrics& train, const Metrics* test,
                                 double train_seconds, double eval_seconds) {
  std::vector<std::string> row{std::to_string(epoch), std::to_string(trainer.steps_done())};
  for (const auto& [key, value] : train) row.push_back(format_float(value));
  for (const auto& key : trainer.test_metric_names()) row.push_back(test ? format_float(metric(*test, key)) : "");
  row.push_back(format_float(train_seconds));
  row.push_back(test ? format_float(eval_seconds) : "");
  return row;
}

// The quality columns of a log row (empty when not evaluated): the metrics, collapse (1 when the
// watch reported one, else 0) and the seconds they took.
void add_quality_columns(std::vector<std::string>& row, const Metrics* quality, bool collapse, double seconds) {
  for (const auto& name : TrainingQuality::metric_names()) row.push_back(quality ? format_float(metric(*quality, name)) : "");
  row.push_back(quality ? (collapse ? "1" : "0") : "");
  row.push_back(quality ? format_float(seconds) : "");
}

// "  |  fd 23.4  classes 10  kl_uniform 0.0123  confidence 0.912  (best)  COLLAPSE? classes covered 7 of 10, …"
std::string quality_text(const Metrics& q, const CollapseWatch::Verdict& v) {
  char text[160];
  std::snprintf(text, sizeof text, "  |  fd %.2f  classes %d  kl_uniform %.4f  confidence %.3f", metric(q, "fd"),
                static_cast<int>(metric(q, "classes_covered")), metric(q, "kl_uniform"), metric(q, "confidence"));
  return text + std::string(v.best ? "  (best)" : "") + (v.collapse.empty() ? "" : "  COLLAPSE? " + v.collapse);
}

// The epochs up to s.epochs: train, stop on divergence or interruption, evaluate, draw the
// sample grid, log, checkpoint. Returns the last training metrics, the last evaluation and the
// training time.
TrainSummary run_epochs(const TrainSettings& s, PreparedRun& run, Progress& progress) {
  Trainer& trainer = *run.trainer;
  SampleGrid grid(s, trainer, run.data.train);
  const std::string checkpoint_path = join_path(s.out, "checkpoint.safetensors");
  const std::size_t steps_per_epoch = trainer.steps_per_epoch(run.n_train);
  TrainSummary summary;
  trainer.set_stop_check(s.stop_requested);

  for (int epoch = run.first_epoch; epoch <= s.epochs; ++epoch) {
    progress.start_epoch(epoch, s.epochs, steps_per_epoch);
    const auto epoch_start = Clock::now();
    const Metrics train = trainer.train_epoch(
        run.data.train, run.n_train,
        [&](std::size_t steps, std::size_t images, const Metrics& running) { progress.step(steps, images, running); });
    const double train_seconds = seconds_since(epoch_start);
    summary.train_seconds += train_seconds;
    stop_unless_epoch_completed(s, trainer, epoch, train, steps_per_epoch, checkpoint_path, run.watch.get());

    const bool evaluate = epoch == s.epochs || (s.eval_every > 0 && epoch % s.eval_every == 0);
    Metrics test;
    const auto eval_start = Clock::now();
    const bool writer = writes_files();
    if (evaluate && writer) test = trainer.evaluate(run.data.test, run.n_test);
    const double eval_seconds = evaluate ? seconds_since(eval_start) : 0.0;
    const bool judge = evaluate && run.quality;  // only on rank 0
    Metrics quality;
    CollapseWatch::Verdict verdict;
    const auto quality_start = Clock::now();
    if (judge) {
      quality = run.quality->measure(trainer);
      verdict = run.watch->observe(epoch, metric(quality, "fd"), static_cast<int>(metric(quality, "classes_covered")));
      test.insert(test.end(), quality.begin(), quality.end());
    }
    const double quality_seconds = judge ? seconds_since(quality_start) : 0.0;

    if (writer) {
      grid.write(trainer, epoch);
      std::vector<std::string> row = log_row(trainer, epoch, train, evaluate ? &test : nullptr, train_seconds, eval_seconds);
      if (run.quality) add_quality_columns(row, judge ? &quality : nullptr, !verdict.collapse.empty(), quality_seconds);
      run.log->add_row(row);
      run.log->save();
      Metadata meta = run_metadata(s, trainer, run.watch.get());
      if (verdict.best) {
        // best.safetensors: the model of the lowest FD so far, beside the last one.
        Metadata best = meta;
        for (const auto& [key, value] : test) best[key] = format_float(value);
        write_file_atomically(join_path(s.out, "best.safetensors"), trainer.model_bytes(best));
      }
      for (const auto& [key, value] : train) meta["train_" + key] = format_float(value);
      write_file_atomically(checkpoint_path, trainer.checkpoint_bytes(meta));
    }

    char rate[96];
    std::snprintf(rate, sizeof rate, "epoch %d/%d  %zu steps  %.1f s  %.0f img/s  ", epoch, s.epochs, steps_per_epoch,
                  train_seconds, static_cast<double>(run.n_train) / train_seconds);
    std::string shown = metrics_text(train);
    if (evaluate) {
      Metrics test_only(test.begin(), test.end() - static_cast<std::ptrdiff_t>(quality.size()));
      shown += "  |  " + metrics_text(test_only);
    }
    progress.end_epoch(rate + shown + (judge ? quality_text(quality, verdict) : ""));

    summary.train = train;
    if (evaluate) summary.test = test;
    if (epoch < s.epochs && distributed::any(s.stop_requested && s.stop_requested()))
      throw TrainingInterrupted("stopped after epoch " + std::to_string(epoch) + "; wrote " + checkpoint_path +
                                ". Continue with: latentlab train --resume " + checkpoint_path);
  }
  return summary;
}

// model.safetensors (the run's settings and final metrics in its metadata) and summary.json;
// completes `summary` with the counters, the rate and the wall time.
void write_outputs(const TrainSettings& s, const PreparedRun& run, TrainSummary& summary,
                   Clock::time_point wall_start, Progress& progress) {
  const Trainer& trainer = *run.trainer;
  if (!writes_files()) return;
  Metadata meta = run_metadata(s, trainer, run.watch.get());
  for (const auto& [key, value] : summary.train) meta["train_" + key] = format_float(value);
  for (const auto& [key, value] : summary.test) meta[key] = format_float(value);
  const std::string model_path = join_path(s.out, "model.safetensors");
  write_file_atomically(model_path, trainer.model_bytes(meta));

  const int epochs_run = s.epochs - run.first_epoch + 1;
  const std::size_t images_trained = run.n_train * static_cast<std::size_t>(std::max(epochs_run, 0));
  summary.epochs = trainer.epochs_done();
  summary.steps = trainer.steps_done();
  summary.images_per_second = summary.train_seconds > 0 ? static_cast<double>(images_trained) / summary.train_seconds : 0;

  nlohmann::json j;
  j["model"] = trainer.kind().name;
  j["dataset"] = s.data;
  j["seed"] = s.training.seed;
  j["batch"] = s.training.batch;
  j["lr"] = std::stod(shortest_float(s.training.lr));
  j["parameters"] = trainer.model().parameter_count();
  j["epochs"] = summary.epochs;
  j["steps"] = summary.steps;
  j["train_images"] = run.n_train;
  j["test_images"] = run.n_test;
  for (const auto& [key, value] : summary.train) j["train_" + key] = value;
  for (const auto& [key, value] : summary.test) j[key] = value;
  if (run.watch && run.watch->has_best()) {
    j["best_epoch"] = run.watch->best_epoch();
    j["best_fd"] = run.watch->best_fd();
  }
  j["train_seconds"] = summary.train_seconds;
  j["images_per_second"] = summary.images_per_second;
  j["seconds_per_epoch"] = epochs_run >= 1 ? summary.train_seconds / epochs_run : 0.0;
  j["resumed_from_epoch"] = run.first_epoch - 1;
  j["threads"] = s.threads;
  j["ranks"] = distributed::size();
  j["trained_by"] = std::string("latentlab ") + latentlab_version();
  j["command_line"] = s.command_line;
  summary.wall_seconds = seconds_since(wall_start);
  j["wall_seconds"] = summary.wall_seconds;
  const std::string text = j.dump(2) + "\n";
  write_file_atomically(join_path(s.out, "summary.json"), text.data(), text.size());

  progress.message("wrote " + model_path + " (" + metrics_text(summary.test) + "), " + run.log->path() + ", " +
                   join_path(s.out, "summary.json") + "; " + format_duration(summary.wall_seconds) + " in total");
}

}  // namespace

TrainSummary run_training(const TrainSettings& s, const SafetensorsContents* resume, const std::string& resume_path,
                          Progress& progress) {
  const auto wall_start = Clock::now();
  PreparedRun run = prepare_run(s, resume, resume_path);
  announce(s, run, resume != nullptr, progress);
  TrainSummary summary = run_epochs(s, run, progress);
  write_outputs(s, run, summary, wall_start, progress);
  return summary;
}

}  // namespace latentlab::native
