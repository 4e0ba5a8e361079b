#include "cli/train.hpp"

#include <cstdio>
#include <ctime>
#include <memory>

#include "train/checkpoint.hpp"
#include "output/file_io.hpp"
#include "latentlab/io/model_io.hpp"
#include "train/progress.hpp"
#include "train/stop_signals.hpp"
#include "train/run.hpp"

namespace latentlab::native {

namespace {

// Defaults that depend on the model (PyTorch's examples/vae and the usual MLP GAN recipe).
struct ModelDefaults {
  int epochs, batch, latent;
  float lr;
};
constexpr ModelDefaults kVaeDefaults{10, 128, 20, 1e-3f};
constexpr ModelDefaults kGanDefaults{30, 64, 100, 2e-4f};
constexpr ModelDefaults kClassifierDefaults{15, 128, 0, 1e-3f};

// Flag values as parsed (strings for those whose meaning depends on the model).
struct TrainFlags {
  std::string model, data = "mnist", out, resume, hidden, disc_hidden, generator = "stable";
  int epochs = 0, batch = 0, latent = 0, threads = 1, eval_every = 1;
  long long limit = 0, test_limit = 0;
  float lr = 0, beta = 1.0f;
  std::uint64_t seed = 1;
  bool quiet = false, overwrite = false;
  // The CLI11 options, to ask whether a flag was given.
  CLI::Option *o_model, *o_data, *o_epochs, *o_batch, *o_lr, *o_latent, *o_hidden, *o_disc_hidden, *o_beta, *o_seed,
      *o_limit, *o_test_limit, *o_out, *o_eval_every;
};

bool given(const CLI::Option* o) { return o->count() > 0; }

std::string timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

std::vector<int> reversed(std::vector<int> v) { return {v.rbegin(), v.rend()}; }

// Settings of a new run from the flags (defaults by model).
TrainSettings fresh_settings(const TrainFlags& f) {
  if (f.model.empty()) throw UsageError("--model is required (vae, gan or classifier), unless --resume is given");
  const bool vae = f.model == "vae", classifier = f.model == "classifier";
  const ModelDefaults& d = vae ? kVaeDefaults : classifier ? kClassifierDefaults : kGanDefaults;
  if (!vae && given(f.o_beta)) throw UsageError("--beta: only a VAE has a KL weight (--model vae)");
  if (f.model != "gan" && given(f.o_disc_hidden))
    throw UsageError("--disc-hidden: only a GAN has a discriminator (--model gan)");
  if (classifier && given(f.o_latent)) throw UsageError("--latent: a classifier has no latent space");

  TrainSettings s;
  s.model = f.model;
  s.data = f.data;
  s.epochs = given(f.o_epochs) ? f.epochs : d.epochs;
  s.training.batch = given(f.o_batch) ? f.batch : d.batch;
  s.training.lr = given(f.o_lr) ? f.lr : d.lr;
  s.training.seed = f.seed;
  const int latent = given(f.o_latent) ? f.latent : d.latent;
  if (classifier) {
    if (given(f.o_hidden)) s.classifier.hidden = parse_width_list(f.hidden, "--hidden");
  } else if (vae) {
    s.vae.latent = latent;
    s.vae.beta = f.beta;
    if (given(f.o_hidden)) s.vae.hidden = parse_width_list(f.hidden, "--hidden");
  } else {
    s.gan.latent = latent;
    if (given(f.o_hidden)) {
      s.gan.generator_hidden = parse_width_list(f.hidden, "--hidden");
      s.gan.discriminator_hidden = reversed(s.gan.generator_hidden);
    }
    if (given(f.o_disc_hidden)) s.gan.discriminator_hidden = parse_width_list(f.disc_hidden, "--disc-hidden");
    // "stable": LeakyReLU + BatchNorm(eps 0.8) in G (the PyTorch-GAN recipe); "plain": ReLU, no
    // normalisation — which mode-collapses on MNIST here and in PyTorch (docs/training.md).
    if (f.generator == "stable") {
      s.gan.generator_leaky = true;
      s.gan.generator_batchnorm = true;
      s.gan.batchnorm_eps = 0.8f;
    }
  }
  return s;
}

// A setting stored in the checkpoint; DataError if missing or malformed.
std::uint64_t checkpoint_u64(const Metadata& m, const std::string& key, const std::string& path) {
  auto v = metadata_u64(m, key);
  if (!v) throw DataError("cannot resume from '" + path + "': " + v.error());
  return v.value();
}

// Settings of a resumed run: the checkpoint's, checked against every flag that was given.
TrainSettings resume_settings(const TrainFlags& f, const SafetensorsContents& ckpt) {
  const Metadata& m = ckpt.metadata;
  const std::string& path = f.resume;
  auto marker = m.find(kCheckpointMarker);
  if (marker == m.end() || marker->second != "1")
    throw DataError("cannot resume from '" + path +
                    "': it is not a training checkpoint (no optimiser state); resume from a run's checkpoint.safetensors");
  auto kind = m.find("kind");
  if (kind == m.end() || (kind->second != "vae" && kind->second != "gan" && kind->second != "classifier"))
    throw DataError("cannot resume from '" + path + "': its metadata names no model kind (vae, gan or classifier)");

  TrainSettings s;
  s.model = kind->second;
  if (given(f.o_model) && f.model != s.model)
    throw UsageError("--resume: '" + path + "' is a " + s.model + " checkpoint but --model " + f.model + " was given");
  if (s.model == "vae") {
    auto c = vae_config_from_metadata(m);
    if (!c) throw DataError("cannot resume from '" + path + "': " + c.error());
    s.vae = c.value();
  } else if (s.model == "classifier") {
    auto c = classifier_config_from_metadata(m);
    if (!c) throw DataError("cannot resume from '" + path + "': " + c.error());
    s.classifier = c.value();
  } else {
    auto c = gan_config_from_metadata(m);
    if (!c) throw DataError("cannot resume from '" + path + "': " + c.error());
    s.gan = c.value();
  }
  auto dataset = metadata_value(m, kMetaDataset);
  auto lr_text = metadata_value(m, kMetaLr);
  if (!dataset || !lr_text) throw DataError("cannot resume from '" + path + "': " + (dataset ? lr_text : dataset).error());
  s.data = dataset.value();
  s.training.lr = std::strtof(lr_text.value().c_str(), nullptr);
  s.training.batch = static_cast<int>(checkpoint_u64(m, kMetaBatch, path));
  s.training.seed = checkpoint_u64(m, kMetaSeed, path);
  s.limit = checkpoint_u64(m, kMetaLimit, path);
  s.test_limit = checkpoint_u64(m, kMetaTestLimit, path);
  s.eval_every = static_cast<int>(checkpoint_u64(m, kMetaEvalEvery, path));
  s.epochs = static_cast<int>(checkpoint_u64(m, kMetaEpochsTarget, path));
  if (s.training.batch < 1 || s.training.batch > 65536 || !(s.training.lr > 0))
    throw DataError("cannot resume from '" + path + "': its batch or lr setting is out of range");

  // Any flag that shapes the training must agree with the checkpoint: a run continued with
  // another batch size, learning rate, seed, data or architecture would not be the same run.
  auto conflict = [&](const char* flag, const std::string& wanted, const std::string& stored) {
    if (wanted != stored)
      throw UsageError(std::string(flag) + ": the checkpoint '" + path + "' was trained with " + flag + " " + stored +
                       ", not " + wanted + "; a resumed run keeps its settings (start a new run to change them)");
  };
  if (given(f.o_data)) conflict("--data", f.data, s.data);
  if (given(f.o_batch)) conflict("--batch", std::to_string(f.batch), std::to_string(s.training.batch));
  if (given(f.o_lr)) conflict("--lr", shortest_float(f.lr), shortest_float(s.training.lr));
  if (given(f.o_seed)) conflict("--seed", std::to_string(f.seed), std::to_string(s.training.seed));
  if (given(f.o_limit)) conflict("--limit", std::to_string(f.limit), std::to_string(s.limit));
  if (s.model == "classifier") {
    if (given(f.o_disc_hidden) || given(f.o_beta) || given(f.o_latent))
      throw UsageError("--disc-hidden, --beta and --latent do not apply to the classifier the checkpoint holds");
    if (given(f.o_hidden))
      conflict("--hidden", join_widths(parse_width_list(f.hidden, "--hidden")), join_widths(s.classifier.hidden));
  } else if (s.model == "vae") {
    if (given(f.o_disc_hidden)) throw UsageError("--disc-hidden: only a GAN has a discriminator, the checkpoint holds a VAE");
    if (given(f.o_latent)) conflict("--latent", std::to_string(f.latent), std::to_string(s.vae.latent));
    if (given(f.o_hidden)) conflict("--hidden", join_widths(parse_width_list(f.hidden, "--hidden")), join_widths(s.vae.hidden));
    if (given(f.o_beta)) conflict("--beta", shortest_float(f.beta), shortest_float(s.vae.beta));
  } else {
    if (given(f.o_beta)) throw UsageError("--beta: only a VAE has a KL weight, the checkpoint holds a GAN");
    if (given(f.o_latent)) conflict("--latent", std::to_string(f.latent), std::to_string(s.gan.latent));
    if (given(f.o_hidden))
      conflict("--hidden", join_widths(parse_width_list(f.hidden, "--hidden")), join_widths(s.gan.generator_hidden));
    if (given(f.o_disc_hidden))
      conflict("--disc-hidden", join_widths(parse_width_list(f.disc_hidden, "--disc-hidden")),
               join_widths(s.gan.discriminator_hidden));
  }
  // These only change what is evaluated or how long the run goes on.
  if (given(f.o_epochs)) s.epochs = f.epochs;
  const std::uint64_t done = checkpoint_u64(m, "epoch", path);
  if (done >= static_cast<std::uint64_t>(s.epochs))
    throw UsageError("--epochs: the checkpoint '" + path + "' has already done " + std::to_string(done) + " of " +
                     std::to_string(s.epochs) + " epochs; pass --epochs greater than " + std::to_string(done) +
                     " to continue");
  if (given(f.o_test_limit)) s.test_limit = static_cast<std::size_t>(f.test_limit);
  if (given(f.o_eval_every)) s.eval_every = f.eval_every;
  return s;
}

std::string directory_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

int run_train(const TrainFlags& f, const std::string& command_line) {
  SafetensorsContents checkpoint;
  TrainSettings s;
  if (!f.resume.empty()) {
    const std::vector<std::uint8_t> bytes = read_file(f.resume, kMaxWeightsFileBytes);
    auto decoded = decode_safetensors(bytes.data(), bytes.size());
    if (!decoded) throw DataError("cannot resume from '" + f.resume + "': " + decoded.error());
    checkpoint = decoded.take();
    s = resume_settings(f, checkpoint);
    s.out = given(f.o_out) ? f.out : directory_of(f.resume);
  } else {
    s = fresh_settings(f);
    s.limit = static_cast<std::size_t>(f.limit);
    s.test_limit = static_cast<std::size_t>(f.test_limit);
    s.eval_every = f.eval_every;
    s.out = given(f.o_out) ? f.out : "runs/" + s.model + "-" + timestamp();
  }
  s.threads = f.threads;
  s.overwrite = f.overwrite;
  s.command_line = command_line;

  Progress progress(detect_progress_mode(f.quiet), stdout);
  StopSignals signals;
  s.stop_requested = [] { return StopSignals::received() != 0; };
  try {
    run_training(s, f.resume.empty() ? nullptr : &checkpoint, f.resume, progress);
  } catch (const TrainingInterrupted& e) {
    const int signal = StopSignals::received();
    std::fprintf(stderr, "latentlab train: interrupted by %s: %s\n", StopSignals::name(signal), e.what());
    return 128 + signal;  // the shell's convention: 130 for SIGINT, 143 for SIGTERM
  }
  return kExitSuccess;
}

}  // namespace

Command add_train_command(CLI::App& parent, const std::string& command_line) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* app = parent.add_subcommand("train", "Train a VAE, a GAN or the evaluator's classifier on MNIST-style images");
  app->footer(
      "Defaults by model:\n"
      "  vae: --epochs 10  --batch 128  --lr 1e-3 (Adam 0.9, 0.999)  --latent 20   --hidden 400\n"
      "       pixels in [0,1]; an epoch includes the last partial batch (PyTorch drop_last=False)\n"
      "  gan: --epochs 30  --batch 64   --lr 2e-4 (Adam 0.5, 0.999 for G and D)  --latent 100\n"
      "       --hidden 128,256,512,1024 (G)  --disc-hidden 1024,512,256 (D); pixels in [-1,1];\n"
      "       an epoch drops the last partial batch\n"
      "  classifier: --epochs 15  --batch 128  --lr 1e-3 (Adam 0.9, 0.999)  --hidden 512,256\n"
      "       784-512-256-10 ReLU MLP, softmax cross-entropy, training images shifted by up to 2 pixels;\n"
      "       no sample grids (docs/evaluation.md)\n"
      "Output (--out, default runs/<model>-<YYYYmmdd-HHMMSS>):\n"
      "  samples/epoch_NNN.png  8x8 grid from a fixed latent batch (z of `sample --seed <seed> --n 64`)\n"
      "  log.csv                one row per epoch: losses, test metrics, seconds\n"
      "  checkpoint.safetensors after every epoch: parameters, Adam state, RNG states (for --resume)\n"
      "  model.safetensors      the trained model (for sample, interpolate, reconstruct, info)\n"
      "  summary.json           final metrics, wall time, images/s\n"
      "--resume continues a run exactly where its checkpoint left off (bit-identical losses on\n"
      "the same build); the checkpoint's settings are kept and flags that contradict them are refused.\n"
      "SIGINT/SIGTERM (Ctrl-C) finishes the current step, writes the checkpoint (mid-epoch if need be) and\n"
      "exits 130/143 printing the --resume command; a second Ctrl-C stops at once.\n"
      "Exit codes: 0 success, 1 runtime error (data, files, divergence), 2 usage error, 130/143 interrupted.");

  f->o_model = app->add_option("--model", f->model, "Model to train: vae, gan or classifier (required unless --resume)")
                   ->check(CLI::IsMember({"vae", "gan", "classifier"}));
  f->o_data = app->add_option("--data", f->data,
                              "Data set: mnist (data/mnist or $LATENTLAB_DATA/mnist), fashion "
                              "(/usr/share/datasets/fashion-mnist), or a directory of IDX files")
                  ->capture_default_str();
  f->o_epochs = app->add_option("--epochs", f->epochs, "Total epochs (vae 10, gan 30, classifier 15)")->transform(integer_in(1, 100000));
  f->o_batch = app->add_option("--batch", f->batch, "Batch size (vae 128, gan 64, classifier 128)")->transform(integer_in(1, 65536));
  f->o_lr = app->add_option("--lr", f->lr,
                            "Adam learning rate (vae 1e-3, gan 2e-4, classifier 1e-3; up to 1e9 is accepted, which diverges)")
                   ->transform(finite_number(0, 1e9, true));
  f->o_latent = app->add_option("--latent", f->latent, "Latent dimensions (vae 20, gan 100)")->transform(integer_in(1, 4096));
  f->o_hidden = app->add_option("--hidden", f->hidden,
                                "Hidden widths, comma list: VAE encoder (decoder mirrors it), GAN generator, or classifier "
                                "(vae 400, gan 128,256,512,1024, classifier 512,256)")
                    ->check(width_list());
  app->add_option("--generator", f->generator,
                  "GAN generator variant: stable (LeakyReLU + BatchNorm, default) or plain (ReLU, no normalisation)")
      ->check(CLI::IsMember({"stable", "plain"}));
  f->o_disc_hidden = app->add_option("--disc-hidden", f->disc_hidden,
                                     "GAN discriminator widths (default 1024,512,256; the reverse of --hidden when "
                                     "only --hidden is given)")
                         ->check(width_list());
  f->o_beta = app->add_option("--beta", f->beta, "VAE: weight of the KL term (1 = the ELBO)")
                  ->transform(finite_number(0, 1e6, false))
                  ->capture_default_str();
  f->o_seed = app->add_option("--seed", f->seed, "Seed of every random stream (init, data order, noise, sample grid)")
                  ->transform(unsigned_64())
                  ->capture_default_str();
  app->add_option("--threads", f->threads,
                  "Threads for the GEMMs and Adam (>= 1; results are identical for any count)")
      ->transform(integer_in(1, 1024))
      ->capture_default_str();
  f->o_out = app->add_option("--out", f->out, "Output directory (default runs/<model>-<timestamp>; with --resume, the "
                                             "checkpoint's directory)");
  app->add_option("--resume", f->resume, "Continue the run saved in this checkpoint.safetensors")
      ->check(CLI::ExistingFile);
  f->o_limit = app->add_option("--limit", f->limit, "Use only the first N training images (quick runs, tests)")
                   ->transform(integer_in(1, 1000000000));
  f->o_test_limit = app->add_option("--test-limit", f->test_limit, "Evaluate on the first N test images only (default: all)")
                        ->transform(integer_in(1, 1000000000));
  f->o_eval_every = app->add_option("--eval-every", f->eval_every,
                                    "Evaluate on the test set every K epochs (0: only after the last epoch)")
                        ->transform(integer_in(0, 100000))
                        ->capture_default_str();
  app->add_flag("--quiet,-q", f->quiet, "No live progress, only one line per epoch");
  app->add_flag("--overwrite", f->overwrite, "Allow a new run in an --out directory that already holds one");

  return Command{app, [f, command_line]() { return run_train(*f, command_line); }};
}

}  // namespace latentlab::native
