#include "cli/train.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>

#include "train/checkpoint.hpp"
#include "train/distributed.hpp"
#include "output/file_io.hpp"
#include "latentlab/io/model_io.hpp"
#include "train/progress.hpp"
#include "train/stop_signals.hpp"
#include "train/registry.hpp"
#include "train/run.hpp"
#include "latentlab/nn/gradient_penalty.hpp"

namespace latentlab::native {

namespace {

// Flag values as parsed (strings for those whose meaning depends on the model).
struct TrainFlags {
  std::string model, data = "mnist", out, resume, hidden, disc_hidden, generator = "stable", classifier, gan_loss,
              discriminator_conditioning = "projection";
  int epochs = 0, batch = 0, latent = 0, threads = 1, eval_every = 1, kl_warmup = 0, n_critic = kCriticSteps;
  long long limit = 0, test_limit = 0;
  float lr = 0, beta = 1.0f, gp_lambda = kGradientPenaltyWeight;
  std::uint64_t seed = 1;
  bool quiet = false, overwrite = false, conditional = false, spectral_norm = false;
  // The CLI11 options, to ask whether a flag was given.
  CLI::Option *o_model, *o_data, *o_epochs, *o_batch, *o_lr, *o_latent, *o_hidden, *o_disc_hidden, *o_beta, *o_seed,
      *o_limit, *o_test_limit, *o_out, *o_eval_every, *o_kl_warmup, *o_gan_loss, *o_n_critic, *o_gp_lambda,
      *o_discriminator_conditioning;
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

// The default objective of a new run of the kind ("" for a kind without one).
const char* default_gan_loss(const TrainFlags& f, const NativeKind& kind) {
  return f.conditional ? kind.defaults.conditional_gan_loss : kind.defaults.gan_loss;
}

// The objective of a new run: --gan-loss, or the default.
std::string gan_loss(const TrainFlags& f, const NativeKind& kind) {
  return given(f.o_gan_loss) ? f.gan_loss : default_gan_loss(f, kind);
}

// The flags that shape a model, as the registry's entries read them (a --latent or --gan-loss
// not given is the kind's default).
ModelFlags model_flags(const TrainFlags& f, const NativeKind& kind) {
  ModelFlags m;
  m.latent = {given(f.o_latent) ? f.latent : kind.defaults.latent, given(f.o_latent)};
  if (given(f.o_hidden)) m.hidden = {parse_width_list(f.hidden, "--hidden"), true};
  if (given(f.o_disc_hidden)) m.disc_hidden = {parse_width_list(f.disc_hidden, "--disc-hidden"), true};
  const bool conditional_beta = !given(f.o_beta) && f.conditional && kind.defaults.conditional_beta > 0;
  m.beta = {conditional_beta ? kind.defaults.conditional_beta : f.beta, given(f.o_beta)};
  m.kl_warmup = {f.kl_warmup, given(f.o_kl_warmup)};
  m.generator = f.generator;
  m.conditional = f.conditional;
  m.gan_loss = {gan_loss(f, kind), given(f.o_gan_loss)};
  m.spectral_norm = f.spectral_norm;
  m.discriminator_conditioning = {f.discriminator_conditioning, given(f.o_discriminator_conditioning)};
  return m;
}

// --n-critic and --gp-lambda tune the gradient penalty's objective only.
void refuse_critic_flags(const TrainFlags& f, bool wgan_gp, const std::string& why) {
  if (wgan_gp) return;
  for (const auto& [o, name] : {std::pair{f.o_n_critic, "--n-critic"}, std::pair{f.o_gp_lambda, "--gp-lambda"}})
    if (given(o))
      throw UsageError(std::string(name) + ": only --gan-loss wgan-gp has critic steps and a gradient penalty" + why);
}

// Settings of a new run from the flags (defaults by model).
TrainSettings fresh_settings(const TrainFlags& f) {
  if (f.model.empty())
    throw UsageError("--model is required (" + native_kind_names() + "), unless --resume is given");
  const NativeKind* kind = find_native_kind(f.model);
  if (!kind) throw UsageError("--model: unknown model '" + f.model + "' (expected " + native_kind_names() + ")");
  const TrainDefaults& d = kind->defaults;

  TrainSettings s;
  s.kind = kind;
  s.config = kind->fresh_config(model_flags(f, *kind));
  s.data = f.data;
  const int conditional_epochs = f.conditional ? d.conditional_epochs : 0;
  s.epochs = given(f.o_epochs) ? f.epochs : conditional_epochs > 0 ? conditional_epochs : d.epochs;
  s.training.batch = given(f.o_batch) ? f.batch : d.batch;
  s.training.lr = given(f.o_lr) ? f.lr : std::strtof(d.lr, nullptr);
  s.training.seed = f.seed;
  s.training.kl_warmup_epochs = f.kl_warmup;
  // wgan-gp: the paper's n_critic, λ and lr (Gulrajani et al. 2017, Algorithm 1) unless given.
  const bool wgan_gp = gan_loss(f, *kind) == "wgan-gp";
  std::string why;
  if (!given(f.o_gan_loss)) {
    const std::string model = f.model + (f.conditional ? " --conditional" : "");
    const char* objective = default_gan_loss(f, *kind);
    why = *objective ? " (the default of --model " + model + " is --gan-loss " + objective + ")"
                     : " (--model " + f.model + " is not a GAN)";
  }
  refuse_critic_flags(f, wgan_gp, why);
  if (wgan_gp) {
    s.training.critic_steps = f.n_critic;
    s.training.gp_lambda = f.gp_lambda;
    if (!given(f.o_lr)) s.training.lr = kWganGpLearningRate;
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
  auto name = m.find("kind");
  const NativeKind* kind = name == m.end() ? nullptr : find_native_kind(name->second);
  if (!kind)
    throw DataError("cannot resume from '" + path + "': its metadata names no model kind (" + native_kind_names() + ")");

  TrainSettings s;
  s.kind = kind;
  if (given(f.o_model) && f.model != kind->kind->name)
    throw UsageError("--resume: '" + path + "' is a " + kind->kind->name + " checkpoint but --model " + f.model +
                     " was given");
  auto config = kind->checkpoint_config(m);
  if (!config) throw DataError("cannot resume from '" + path + "': " + config.error());
  s.config = config.take();
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
  if (m.count(kMetaKlWarmup)) s.training.kl_warmup_epochs = static_cast<int>(checkpoint_u64(m, kMetaKlWarmup, path));
  if (m.count(kMetaCriticSteps)) s.training.critic_steps = static_cast<int>(checkpoint_u64(m, kMetaCriticSteps, path));
  const bool wgan_gp = has_gradient_penalty(m);
  if (wgan_gp) {
    auto lambda = metadata_float(m, kMetaGpLambda, {0.0f, 1e6f, "[0, 1000000]"}, kGradientPenaltyWeight);
    if (!lambda) throw DataError("cannot resume from '" + path + "': " + lambda.error());
    s.training.gp_lambda = lambda.value();
  }
  if (s.training.critic_steps < 1 || s.training.critic_steps > 1000)
    throw DataError("cannot resume from '" + path + "': its n_critic is out of range");
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
  if (given(f.o_kl_warmup))
    conflict("--kl-warmup", std::to_string(f.kl_warmup), std::to_string(s.training.kl_warmup_epochs));
  kind->check_resume_flags(s.config, model_flags(f, *kind), conflict);
  refuse_critic_flags(f, wgan_gp, " (the checkpoint's objective is not wgan-gp)");
  if (given(f.o_n_critic)) conflict("--n-critic", std::to_string(f.n_critic), std::to_string(s.training.critic_steps));
  if (given(f.o_gp_lambda)) conflict("--gp-lambda", shortest_float(f.gp_lambda), shortest_float(s.training.gp_lambda));
  // These only change what is evaluated or how long the run goes on.
  if (given(f.o_epochs)) s.epochs = f.epochs;
  const std::uint64_t done = checkpoint_u64(m, "epoch", path);
  if (done >= static_cast<std::uint64_t>(s.epochs))
    throw UsageError("--epochs: the checkpoint '" + path + "' has already done " + std::to_string(done) + " of " +
                     std::to_string(s.epochs) + " epochs; pass --epochs greater than " + std::to_string(done) +
                     " to continue");
  if (given(f.o_test_limit)) s.test_limit = static_cast<std::size_t>(f.test_limit);
  if (given(f.o_eval_every)) s.eval_every = f.eval_every;
  if (auto c = m.find(kMetaClassifier); c != m.end()) s.classifier = c->second;
  if (!f.classifier.empty()) s.classifier = f.classifier;
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
    s.classifier = f.classifier;
    s.out = given(f.o_out) ? f.out : "runs/" + std::string(s.kind->kind->name) + "-" + timestamp();
  }
  s.threads = f.threads;
  s.overwrite = f.overwrite;
  s.command_line = command_line;

  // Under mpirun, rank 0 speaks for the job (the other ranks hold the same state).
  const bool speaks = distributed::rank() == 0;
  // mpirun gives every rank a pseudo-terminal whatever its own stdout is: plain lines then.
  ProgressMode mode = detect_progress_mode(f.quiet);
  if (distributed::size() > 1 && mode == ProgressMode::Terminal) mode = ProgressMode::Lines;
  Progress progress(mode, speaks ? stdout : nullptr);
  StopSignals signals;
  s.stop_requested = [] { return StopSignals::received() != 0; };
  try {
    run_training(s, f.resume.empty() ? nullptr : &checkpoint, f.resume, progress);
  } catch (const TrainingInterrupted& e) {
    // A rank that was not signalled itself stopped because another was (the ranks agree on the
    // stop step); it exits as the signalled ones do.
    const int signal = StopSignals::received() != 0 ? StopSignals::received() : SIGTERM;
    if (speaks) std::fprintf(stderr, "latentlab train: interrupted by %s: %s\n", StopSignals::name(signal), e.what());
    return 128 + signal;  // the shell's convention: 130 for SIGINT, 143 for SIGTERM
  }
  return kExitSuccess;
}

// A kind's default as the help text writes it: "2e-4", or "1e-4 (2e-4 with --conditional)".
std::string with_conditional(const std::string& plain, const std::string& conditional) {
  return conditional.empty() || plain == conditional ? plain : plain + " (" + conditional + " with --conditional)";
}

// "(vae 10, gan 30, classifier 15)": a default of every kind that has one (value() non-empty).
template <class Value>
std::string per_kind(const Value& value, const std::string& tail = "") {
  std::string s;
  for (const NativeKind* k : native_kinds()) {
    const std::string v = value(k->defaults);
    if (!v.empty()) s += (s.empty() ? "(" : ", ") + std::string(k->kind->name) + " " + v;
  }
  return s + tail + ")";
}

// The help footer's defaults of every kind.
std::string defaults_footer() {
  std::string s = "Defaults by model:\n";
  for (const NativeKind* k : native_kinds()) s += "  " + std::string(k->kind->name) + ": " + k->defaults.help + "\n";
  return s;
}

}  // namespace

Command add_train_command(CLI::App& parent, const std::string& command_line) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* app = parent.add_subcommand("train", "Train a VAE, a GAN or the evaluator's classifier on MNIST-style images");
  app->footer(
      defaults_footer() +
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

  std::vector<std::string> names;
  for (const NativeKind* k : native_kinds()) names.push_back(k->kind->name);
  f->o_model = app->add_option("--model", f->model, "Model to train: " + native_kind_names() + " (required unless --resume)")
                   ->check(CLI::IsMember(names));
  f->o_data = app->add_option("--data", f->data,
                              "Data set: mnist (data/mnist or $LATENTLAB_DATA/mnist), fashion "
                              "(/usr/share/datasets/fashion-mnist), or a directory of IDX files")
                  ->capture_default_str();
  f->o_epochs = app->add_option("--epochs", f->epochs, "Total epochs " + per_kind([](const TrainDefaults& d) {
                                  return with_conditional(std::to_string(d.epochs),
                                                          d.conditional_epochs > 0 ? std::to_string(d.conditional_epochs) : "");
                                }))->transform(integer_in(1, 100000));
  f->o_batch = app->add_option("--batch", f->batch, "Batch size " + per_kind([](const TrainDefaults& d) { return std::to_string(d.batch); }))->transform(integer_in(1, 65536));
  // wgan-gp trains with its paper's lr (kWganGpLearningRate) unless --lr is given, also when it
  // is the kind's default objective.
  f->o_lr = app->add_option("--lr", f->lr,
                            "Adam learning rate " +
                                per_kind(
                                    [](const TrainDefaults& d) {
                                      auto lr = [&](const std::string& objective) {
                                        return objective == "wgan-gp" ? std::string("1e-4") : std::string(d.lr);
                                      };
                                      return with_conditional(lr(d.gan_loss), lr(d.conditional_gan_loss));
                                    },
                                    "; a GAN's: 1e-4 with --gan-loss wgan-gp, 2e-4 with the others; up to 1e9 is "
                                    "accepted, which diverges"))
                   ->transform(finite_number(0, 1e9, true));
  f->o_latent = app->add_option("--latent", f->latent, "Latent dimensions " + per_kind([](const TrainDefaults& d) {
                                  return d.latent > 0 ? std::to_string(d.latent) : std::string();
                                }))->transform(integer_in(1, 4096));
  f->o_hidden = app->add_option("--hidden", f->hidden,
                                "Hidden widths, comma list: VAE encoder (decoder mirrors it), GAN generator, or classifier " +
                                    per_kind([](const TrainDefaults& d) { return std::string(d.hidden); }))
                    ->check(width_list());
  app->add_option("--generator", f->generator,
                  "GAN generator variant: stable (LeakyReLU + BatchNorm, default) or plain (ReLU, no normalisation)")
      ->check(CLI::IsMember({"stable", "plain"}));
  f->o_disc_hidden = app->add_option("--disc-hidden", f->disc_hidden,
                                     "GAN discriminator widths (default 1024,512,256; the reverse of --hidden when "
                                     "only --hidden is given)")
                         ->check(width_list());
  app->add_flag("--conditional", f->conditional,
                "VAE, GAN, DCGAN, conv VAE: condition the model on the data set's class labels (10 for "
                "mnist/fashion; the DCGAN's discriminator by projection unless --discriminator-conditioning "
                "channels); sample, interpolate and eval then take --class C or --classes A-B");
  f->o_discriminator_conditioning =
      app->add_option("--discriminator-conditioning", f->discriminator_conditioning,
                      "Conditional DCGAN only: how D reads the label: projection (logit + <E[y], h>, default) or "
                      "channels (10 constant one-hot planes beside the image: conv1 is Conv(1 + classes -> d1))")
          ->check(CLI::IsMember({"projection", "channels"}))
          ->capture_default_str();
  f->o_gan_loss = app->add_option("--gan-loss", f->gan_loss,
                                  "GAN, DCGAN: the adversarial objective " +
                                      per_kind([](const TrainDefaults& d) {
                                        return with_conditional(d.gan_loss, d.conditional_gan_loss);
                                      }) +
                                      ": bce (non-saturating), lsgan, hinge or wgan-gp (critic + gradient penalty, "
                                      "DCGAN critic without BatchNorm; Adam lr 1e-4, betas 0, 0.9). A file without "
                                      "gan_loss in its metadata was trained with bce")
                      ->check(CLI::IsMember({"bce", "lsgan", "hinge", "wgan-gp"}));
  app->add_flag("--spectral-norm", f->spectral_norm,
                "GAN, DCGAN: spectral normalisation of every discriminator weight (one power iteration per step)");
  f->o_n_critic = app->add_option("--n-critic", f->n_critic, "wgan-gp: critic steps per generator step")
                      ->transform(integer_in(1, 1000))
                      ->capture_default_str();
  f->o_gp_lambda = app->add_option("--gp-lambda", f->gp_lambda, "wgan-gp: weight of the gradient penalty")
                       ->transform(finite_number(0, 1e6, false))
                       ->capture_default_str();
  f->o_beta = app->add_option("--beta", f->beta,
                              "VAE, conv VAE: weight of the KL term, 1 = the ELBO " + per_kind([&](const TrainDefaults& d) {
                                if (d.conditional_beta <= 0) return std::string();
                                return with_conditional(shortest_float(f->beta), shortest_float(d.conditional_beta));
                              }) + "; a conditional VAE at 4 draws the class asked for: docs/evaluation.md")
                  ->transform(finite_number(0, 1e6, false));
  f->o_kl_warmup = app->add_option("--kl-warmup", f->kl_warmup,
                                   "VAE (vae, conv-vae): the KL weight ramps linearly from 0 to --beta over this many epochs, step by "
                                   "step (0: --beta from the start)")
                       ->transform(integer_in(0, 100000))
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
                                    "Evaluate every K epochs (0: only after the last epoch): test-set metrics and, for a VAE/GAN with a "
                                    "classifier, FD and classes covered of 2,000 samples, keeping best.safetensors")
                        ->transform(integer_in(0, 100000))
                        ->capture_default_str();
  app->add_option("--classifier", f->classifier,
                  "VAE/GAN: the classifier that judges the samples at evaluated epochs (FD, classes covered, "
                  "best.safetensors); default: the shipped one of --data mnist or fashion")
      ->check(CLI::ExistingFile);
  app->add_flag("--quiet,-q", f->quiet, "No live progress, only one line per epoch");
  app->add_flag("--overwrite", f->overwrite, "Allow a new run in an --out directory that already holds one");

  return Command{app, [f, command_line]() { return run_train(*f, command_line); }};
}

}  // namespace latentlab::native
