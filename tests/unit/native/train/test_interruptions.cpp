// What happens to a training run when it is killed, interrupted, runs out of disk or diverges —
// with the real `latentlab` binary on small real-MNIST subsets (each run takes a second or less).
//   SIGKILL at random moments   the last checkpoint loads, and --resume gives the uninterrupted
//                               run's per-epoch losses bit for bit
//   SIGINT / SIGTERM            the step finishes, a (mid-epoch) checkpoint is written, exit 130 /
//                               143 with the --resume command; resuming is bit-identical
//   checkpoint write fails      (RLIMIT_FSIZE as a full disk) exit 1, the earlier checkpoint intact
//   absurd learning rate        exit 1 naming the step and the non-finite term, last good
//                               checkpoint kept with finite parameters
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/cli.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/io/safetensors.hpp"
#include "train/classifier_trainer.hpp"
#include "train/vae_trainer.hpp"
#include "train/dcgan_trainer.hpp"
#include "train/gan_trainer.hpp"

using latentlab::test::log_without_timings;
using latentlab::test::TempDir;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// 640 training and 100 test images of real MNIST, written once per test process.
const std::string& small_mnist() {
  static TempDir dir;
  static const std::string path = [] {
    latentlab::test::write_mnist_subset_dir(dir / "mnist", 2000, 100);
    return dir / "mnist";
  }();
  return path;
}

void sleep_seconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

// The training seconds of epoch 1 from the --quiet progress line "epoch 1/N  S steps  T s  …".
double first_epoch_seconds(const std::string& out) {
  const std::size_t at = out.find("epoch 1/");
  const std::size_t steps = out.find(" steps ", at);
  REQUIRE(steps != std::string::npos);
  return std::stod(out.substr(steps + 7));
}

// A `latentlab` child process; stdout/stderr go to files in a scratch directory.
class Child {
 public:
  // file_size_limit > 0 sets RLIMIT_FSIZE in the child (a full disk: write() fails with EFBIG).
  explicit Child(const std::vector<std::string>& args, rlim_t file_size_limit = 0) {
    std::vector<std::string> storage{LATENTLAB_CLI_PATH};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string out = scratch_ / "stdout", err = scratch_ / "stderr";
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (o < 0 || e < 0) ::_exit(125);
      ::dup2(o, STDOUT_FILENO);
      ::dup2(e, STDERR_FILENO);
      if (file_size_limit > 0) {
        ::signal(SIGXFSZ, SIG_IGN);  // fail the write instead of killing the process
        struct rlimit limit {file_size_limit, file_size_limit};
        ::setrlimit(RLIMIT_FSIZE, &limit);
      }
      ::execv(argv[0], argv.data());
      ::_exit(126);
    }
    started_ = std::chrono::steady_clock::now();
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  // Polls the child's stdout until it contains `text` (or 120 s pass); returns what was read.
  std::string wait_for_output(const std::string& text) const {
    for (int i = 0; i < 60000; ++i) {
      const std::string out = latentlab::test::read_text(scratch_ / "stdout");
      if (out.find(text) != std::string::npos) return out;
      sleep_seconds(0.002);
    }
    FAIL("the child never printed '" << text << "'");
    return {};
  }
  // Waits for the end; exit code (or −1 if it died of a signal, then signal() is set).
  latentlab::test::ProcessResult wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) REQUIRE(errno == EINTR);
    latentlab::test::ProcessResult r;
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    r.out = latentlab::test::read_text(scratch_ / "stdout");
    r.err = latentlab::test::read_text(scratch_ / "stderr");
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    return r;
  }
  double seconds() const { return seconds_; }

 private:
  TempDir scratch_;
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point started_;
  double seconds_ = 0;
};

latentlab::test::ProcessResult run(const std::vector<std::string>& args, rlim_t file_size_limit = 0) {
  Child child(args, file_size_limit);
  return child.wait();
}

std::vector<std::string> train_args(const std::string& model, const std::string& out, int epochs,
                                    std::vector<std::string> extra) {
  std::vector<std::string> args{"train", "--model", model, "--data", small_mnist(), "--epochs", std::to_string(epochs),
                                "--test-limit", "100", "--out", out, "--quiet"};
  // Seed 3 and small models unless extra gives them.
  const auto has = [&](const char* flag) { return std::find(extra.begin(), extra.end(), flag) != extra.end(); };
  if (!has("--seed")) args.insert(args.end(), {"--seed", "3"});
  const bool sized = has("--hidden");
  if (!sized && model == "vae") args.insert(args.end(), {"--hidden", "32", "--latent", "4"});
  if (!sized && model == "gan") args.insert(args.end(), {"--hidden", "16,32", "--latent", "8"});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

latentlab::SafetensorsContents read_checkpoint(const std::string& path) {
  const std::string bytes = latentlab::test::read_text(path);
  auto r = latentlab::decode_safetensors(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  INFO(path << ": " << r.error());
  REQUIRE(r.ok());
  return r.take();
}

// The checkpoint is a loadable model whose every parameter is finite.
void check_loadable_and_finite(const std::string& path) {
  const std::string bytes = latentlab::test::read_text(path);
  auto m = latentlab::load_model(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  INFO(path << ": " << m.error());
  REQUIRE(m.ok());
  // decode_safetensors refuses non-finite values, so a decoded checkpoint is finite; check anyway.
  std::size_t non_finite = 0;
  for (const auto& t : read_checkpoint(path).tensors)
    for (float v : t.values) non_finite += !std::isfinite(v);
  CHECK(non_finite == 0);
}

}  // namespace

TEST_CASE("SIGKILL at random moments: the last checkpoint loads and resume reproduces the uninterrupted losses",
          "[cli][interrupt]") {
  TempDir dir;
  const int epochs = 6;
  const std::vector<std::string> extra{"--limit", "640", "--batch", "32"};
  Child reference(train_args("vae", dir / "reference", epochs, extra));
  const auto r = reference.wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto expected = log_without_timings(dir / "reference/log.csv");
  REQUIRE(expected.size() == epochs + 1);
  const double duration = reference.seconds();

  // Kill after delays drawn from a seeded generator over the whole run (startup included).
  latentlab::Rng rng(2026, 7);
  int resumed = 0;
  for (int k = 0; k < 4; ++k) {
    const std::string out = dir / ("killed" + std::to_string(k));
    const double delay = (0.25 + 0.7 * rng.uniform()) * duration;
    INFO("kill " << k << " after " << delay << " s of a " << duration << " s run");
    Child victim(train_args("vae", out, epochs, extra));
    sleep_seconds(delay);
    victim.signal(SIGKILL);
    const auto v = victim.wait();
    const std::string checkpoint = out + "/checkpoint.safetensors";
    if (v.exit_code == 0) {
      // The run finished before the kill: it must simply be complete and identical.
      CHECK(log_without_timings(out + "/log.csv") == expected);
      continue;
    }
    REQUIRE(v.signal == SIGKILL);
    if (fs::exists(checkpoint) && read_checkpoint(checkpoint).metadata.at("epoch") == std::to_string(epochs)) {
      // Killed after the last checkpoint, before model.safetensors: training is complete and the
      // checkpoint itself is the model (sample/export read it); nothing is left to resume.
      check_loadable_and_finite(checkpoint);
      CHECK(log_without_timings(out + "/log.csv") == expected);
      continue;
    }
    if (!fs::exists(checkpoint)) {
      // Killed before the first epoch ended: nothing to resume, a fresh start reproduces the run.
      REQUIRE(run(train_args("vae", out, epochs, extra)).exit_code == 0);
    } else {
      check_loadable_and_finite(checkpoint);
      const auto c = run({"train", "--resume", checkpoint, "--quiet"});
      INFO(c.err);
      REQUIRE(c.exit_code == 0);
      ++resumed;
    }
    CHECK(log_without_timings(out + "/log.csv") == expected);
  }
  // The delays are spread over the run: at least one kill must have hit after a checkpoint.
  CHECK(resumed >= 1);
}

TEST_CASE("SIGINT mid-epoch writes a checkpoint and exits 130 and resuming it is bit-identical", "[cli][interrupt]") {
  TempDir dir;
  // 1000 images in batches of 8 (125 steps per epoch) of a 784-100-8 VAE: an epoch lasts long
  // enough that a signal lands inside one (measured: 0.06 s natively, 1.4 s under ASan + UBSan).
  const std::vector<std::string> extra{"--limit", "1000", "--batch", "8", "--hidden", "100", "--latent", "8"};
  std::string out, checkpoint;
  latentlab::SafetensorsContents saved;
  latentlab::test::ProcessResult r;
  // Once epoch 1 is reported, epoch 2 runs: signal 40 % into it (timed by epoch 1, so this holds
  // under sanitizers too). Should it still land between two epochs (the checkpoint then has no
  // epoch position, or one at step 0 when the stop check ran before epoch 2's first step: on a
  // loaded machine the end-of-epoch work can outlast 40 % of a 60 ms epoch), retry.
  for (int attempt = 0; attempt < 4; ++attempt) {
    out = dir / ("interrupted" + std::to_string(attempt));
    checkpoint = out + "/checkpoint.safetensors";
    Child child(train_args("vae", out, 100, extra));
    sleep_seconds(0.4 * first_epoch_seconds(child.wait_for_output("epoch 1/")));
    child.signal(SIGINT);
    r = child.wait();
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 130);
    REQUIRE(fs::exists(checkpoint));
    saved = read_checkpoint(checkpoint);
    if (saved.metadata.count("epoch_position.steps") && saved.metadata.at("epoch_position.steps") != "0") break;
  }
  INFO(r.err);
  CHECK(contains(r.err, "interrupted by SIGINT"));
  CHECK(contains(r.err, "Continue with: latentlab train --resume " + checkpoint));
  REQUIRE(saved.metadata.count("epoch_position.steps") == 1);
  const int done = std::stoi(saved.metadata.at("epoch"));
  const int steps_in_epoch = std::stoi(saved.metadata.at("epoch_position.steps"));
  CHECK(steps_in_epoch > 0);
  CHECK(steps_in_epoch < 125);
  CHECK(std::stoll(saved.metadata.at("step")) == 125LL * done + steps_in_epoch);
  check_loadable_and_finite(checkpoint);

  // Finish the interrupted epoch: the same losses, test metrics and model as a run that was
  // never interrupted.
  const int target = done + 1;
  const auto c = run({"train", "--resume", checkpoint, "--epochs", std::to_string(target), "--quiet"});
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  REQUIRE(run(train_args("vae", dir / "straight", target, extra)).exit_code == 0);
  CHECK(log_without_timings(out + "/log.csv") == log_without_timings(dir / "straight/log.csv"));
  const auto a = read_checkpoint(dir / "straight/model.safetensors");
  const auto b = read_checkpoint(out + "/model.safetensors");
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    INFO(a.tensors[i].name);
    CHECK(a.tensors[i].values == b.tensors[i].values);
  }
}

TEST_CASE("SIGTERM stops a GAN run with exit 143 and a resumable checkpoint", "[cli][interrupt]") {
  TempDir dir;
  Child child(train_args("gan", dir / "run", 1000, {"--limit", "2000", "--batch", "16"}));
  sleep_seconds(0.5 * first_epoch_seconds(child.wait_for_output("epoch 1/")));
  child.signal(SIGTERM);
  const auto r = child.wait();
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 143);
  CHECK(contains(r.err, "interrupted by SIGTERM"));
  const std::string checkpoint = dir / "run/checkpoint.safetensors";
  CHECK(contains(r.err, "--resume " + checkpoint));
  check_loadable_and_finite(checkpoint);
  const auto saved = read_checkpoint(checkpoint);
  const int done = std::stoi(saved.metadata.at("epoch"));
  const auto c = run({"train", "--resume", checkpoint, "--epochs", std::to_string(done + 1), "--quiet"});
  INFO(c.err);
  CHECK(c.exit_code == 0);
  CHECK(read_checkpoint(checkpoint).metadata.at("epoch") == std::to_string(done + 1));
}

TEST_CASE("a full disk during a later checkpoint write fails with exit 1 and keeps the earlier checkpoint", "[cli][interrupt]") {
  TempDir dir;
  const std::vector<std::string> extra{"--limit", "640", "--batch", "64"};
  REQUIRE(run(train_args("vae", dir / "run", 1, extra)).exit_code == 0);
  const std::string checkpoint = dir / "run/checkpoint.safetensors";
  const std::string before = latentlab::test::read_text(checkpoint);
  REQUIRE(before.size() > 100000);

  // Epoch 2 writes its sample grid and log.csv (small) and then the checkpoint, which no longer
  // fits under the file-size limit.
  const auto r = run({"train", "--resume", checkpoint, "--epochs", "2", "--quiet"}, before.size() / 2);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "checkpoint.safetensors"));
  const bool intact = latentlab::test::read_text(checkpoint) == before;
  CHECK(intact);
  check_loadable_and_finite(checkpoint);
  // And the run continues from it once there is space again.
  const auto c = run({"train", "--resume", checkpoint, "--epochs", "2", "--quiet"});
  INFO(c.err);
  CHECK(c.exit_code == 0);
}

TEST_CASE("an unwritable output folder fails with exit 1 and keeps the earlier checkpoint", "[cli][interrupt]") {
  TempDir dir;
  REQUIRE(run(train_args("vae", dir / "run", 1, {"--limit", "640", "--batch", "64"})).exit_code == 0);
  const std::string checkpoint = dir / "run/checkpoint.safetensors";
  const std::string before = latentlab::test::read_text(checkpoint);
  // /dev/full: every write fails with ENOSPC. Resuming into an --out that is a file fails too.
  const auto r = run({"train", "--resume", checkpoint, "--epochs", "2", "--out", "/dev/full", "--quiet"});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "/dev/full"));
  const bool intact = latentlab::test::read_text(checkpoint) == before;
  CHECK(intact);
}

TEST_CASE("an absurd learning rate stops training naming the step and the non-finite term", "[cli][interrupt]") {
  // One step per epoch, so every epoch ends with a checkpoint and the divergence comes at a
  // later step: the message names it, exit 1, and the last good checkpoint stays. Adam moves
  // every weight by about lr per step, so activations grow like (steps · lr)^depth: the GAN
  // needs a discriminator deep and wide enough to overflow float (a small one just saturates).
  for (const std::string model : {"vae", "gan"}) {
    TempDir dir;
    INFO(model);
    // Measured with bce: the GAN's generator gradient passes through D just after D's own update, so
    // its first step already overflows at lr ≥ 1e4 for some seeds (seed 3); seed 7 lasts 2
    // steps at 1e4, and with a small D (32,16) it survives 30 steps even at lr 1e6.
    std::vector<std::string> extra{"--limit", "64", "--batch", "64", "--lr", model == "vae" ? "1e9" : "1e4",
                                   "--eval-every", "0"};
    if (model == "gan") extra.insert(extra.end(), {"--disc-hidden", "1024,512,256", "--seed", "7", "--gan-loss", "bce"});
    const auto r = run(train_args(model, dir / "run", 50, extra));
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 1);
    std::smatch m;
    const std::regex pattern(
        R"(training diverged in epoch (\d+): step (\d+): (reconstruction|KL|loss|discriminator loss|generator loss|gradient of [a-z_.0-9]+) is (inf|NaN|too large \([^)]*\)); the last good checkpoint '[^']*checkpoint.safetensors' is kept)");
    REQUIRE(std::regex_search(r.err, m, pattern));
    const int epoch = std::stoi(m[1]);
    const int step = std::stoi(m[2]);
    CHECK(step == epoch);  // one step per epoch
    REQUIRE(step >= 2);
    const std::string checkpoint = dir / "run/checkpoint.safetensors";
    check_loadable_and_finite(checkpoint);
    const auto saved = read_checkpoint(checkpoint);
    CHECK(saved.metadata.at("step") == std::to_string(step - 1));
    CHECK_FALSE(fs::exists(dir / "run/model.safetensors"));
  }
}

namespace {

// Trains `straight` for 2 epochs; `stopped` for 1 epoch, then stops it after `stop_after` steps
// of epoch 2 and continues from its checkpoint in `resumed`: epoch 2's metrics and the final
// parameters (flat buffers) must be identical.
template <class T, class Params>
void check_mid_epoch_resume(T& straight, T& stopped, T& resumed, std::size_t stop_after, Params params) {
  const auto data = latentlab::test::mnist_subset(640, 10);
  const std::size_t n = 640;
  straight.train_epoch(data.train, n, nullptr);
  const auto expected = straight.train_epoch(data.train, n, nullptr);

  stopped.train_epoch(data.train, n, nullptr);
  std::size_t steps = 0;
  stopped.set_stop_check([&] { return steps++ >= stop_after; });
  stopped.train_epoch(data.train, n, nullptr);
  REQUIRE(stopped.epoch_interrupted());
  CHECK(stopped.epochs_done() == 1);
  CHECK(stopped.epoch_steps_done() == stop_after);
  const auto bytes = stopped.checkpoint_bytes({});
  auto decoded = latentlab::decode_safetensors(bytes.data(), bytes.size());
  REQUIRE(decoded.ok());
  REQUIRE(resumed.restore(decoded.value()).ok());
  CHECK(resumed.epoch_interrupted());
  const auto got = resumed.train_epoch(data.train, n, nullptr);
  CHECK_FALSE(resumed.epoch_interrupted());
  CHECK(resumed.epochs_done() == 2);
  CHECK(resumed.steps_done() == straight.steps_done());
  CHECK(got == expected);
  for (const auto& [a, b] : params(straight, resumed)) {
    REQUIRE(a->size() == b->size());
    const bool same = std::equal(a->values(), a->values() + a->size(), b->values());
    CHECK(same);
  }
}

}  // namespace

TEST_CASE("a VAE or GAN or classifier epoch stopped between steps continues bit-identically from its checkpoint", "[checkpoint][interrupt]") {
  using namespace latentlab::native;
  TrainingOptions options;
  options.batch = 32;  // 20 steps per epoch
  options.seed = 9;
  {
    latentlab::VaeConfig c;
    c.input = 784;
    c.hidden = {24};
    c.latent = 3;
    VaeTrainer a(c, options), b(c, options), r(c, options);
    check_mid_epoch_resume(a, b, r, 7, [](VaeTrainer& x, VaeTrainer& y) {
      return std::vector<std::pair<latentlab::ParameterSet*, latentlab::ParameterSet*>>{{&x.vae().parameters(), &y.vae().parameters()}};
    });
  }
  {
    latentlab::GanConfig c;
    c.image = 784;
    c.latent = 4;
    c.generator_hidden = {16, 16};
    c.discriminator_hidden = {16};
    c.generator_batchnorm = true;
    GanTrainer a(c, options), b(c, options), r(c, options);
    check_mid_epoch_resume(a, b, r, 13, [](GanTrainer& x, GanTrainer& y) {
      return std::vector<std::pair<latentlab::ParameterSet*, latentlab::ParameterSet*>>{
          {&x.gan().generator_parameters(), &y.gan().generator_parameters()},
          {&x.gan().generator_buffers(), &y.gan().generator_buffers()},
          {&x.gan().discriminator_parameters(), &y.gan().discriminator_parameters()}};
    });
  }
  {
    // The classifier also draws from the noise RNG (random shifts of each image) mid-epoch.
    latentlab::ClassifierConfig c;
    c.input = 784;
    c.hidden = {16};
    ClassifierTrainer a(c, options), b(c, options), r(c, options);
    check_mid_epoch_resume(a, b, r, 11, [](ClassifierTrainer& x, ClassifierTrainer& y) {
      return std::vector<std::pair<latentlab::ParameterSet*, latentlab::ParameterSet*>>{
          {&x.classifier().parameters(), &y.classifier().parameters()}};
    });
  }
}

TEST_CASE("a DCGAN or conv VAE epoch (conditional or not) stopped between steps continues bit-identically from its checkpoint",
          "[checkpoint][interrupt]") {
  using namespace latentlab::native;
  TrainingOptions options;
  options.batch = 32;  // 20 steps per epoch
  options.seed = 9;
  using latentlab::DiscriminatorConditioning;
  for (const auto& [classes, how] : {std::pair{0, DiscriminatorConditioning::Projection},
                                     std::pair{10, DiscriminatorConditioning::Projection},
                                     std::pair{10, DiscriminatorConditioning::Channels}}) {
    // Both players' BatchNorm running statistics are part of the state; a conditional DCGAN's
    // batch labels come from the data order, which the checkpoint restores.
    INFO("DCGAN classes " << classes << ", D by " << latentlab::discriminator_conditioning_name(how));
    latentlab::DcganConfig c;
    c.image = 784;
    c.latent = 4;
    c.generator_channels = {6, 4};
    c.discriminator_channels = {4, 6};
    c.classes = classes;
    c.discriminator_conditioning = how;
    DcganTrainer a(c, options), b(c, options), r(c, options);
    check_mid_epoch_resume(a, b, r, 13, [](DcganTrainer& x, DcganTrainer& y) {
      return std::vector<std::pair<latentlab::ParameterSet*, latentlab::ParameterSet*>>{
          {&x.dcgan().generator_parameters(), &y.dcgan().generator_parameters()},
          {&x.dcgan().generator_buffers(), &y.dcgan().generator_buffers()},
          {&x.dcgan().discriminator_parameters(), &y.dcgan().discriminator_parameters()},
          {&x.dcgan().discriminator_buffers(), &y.dcgan().discriminator_buffers()}};
    });
  }
  for (const int classes : {0, 10}) {
    INFO("conv VAE classes " << classes);
    latentlab::ConvVaeConfig c;
    c.input = 784;
    c.channels = {4, 6};
    c.fc = 16;
    c.latent = 3;
    c.classes = classes;
    ConvVaeTrainer a(c, options), b(c, options), r(c, options);
    check_mid_epoch_resume(a, b, r, 7, [](ConvVaeTrainer& x, ConvVaeTrainer& y) {
      return std::vector<std::pair<latentlab::ParameterSet*, latentlab::ParameterSet*>>{
          {&x.vae().parameters(), &y.vae().parameters()}};
    });
  }
}
