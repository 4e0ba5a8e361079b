// The GAN objectives through the `latentlab` program (--gan-loss, --spectral-norm, --n-critic,
// --gp-lambda): each one trains a few steps on 256 real MNIST images, writes what it was
// trained with into the files, and resumes bit-identically (one cheap run per objective); the
// flag combinations that make no sense are usage errors (exit code 2).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "latentlab/io/model_io.hpp"
#include "latentlab/io/safetensors.hpp"
#include "support/cli.hpp"

using latentlab::test::ProcessResult;
using latentlab::test::run_cli;
using latentlab::test::log_without_timings;
using latentlab::test::TempDir;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

const std::string& subset_dir() {
  static TempDir dir;
  static const std::string path = [] {
    latentlab::test::write_mnist_subset_dir(dir / "mnist-subset", 256, 100);
    return dir / "mnist-subset";
  }();
  return path;
}

latentlab::SafetensorsContents decode(const std::string& path) {
  const std::string bytes = latentlab::test::read_text(path);
  auto r = latentlab::decode_safetensors(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  REQUIRE(r.ok());
  return r.take();
}

// The tiny models of these tests, with the objective's flags appended; data: an MNIST subset
// directory unless given (e.g. "fashion", then 256 of its training and 100 of its test images).
std::vector<std::string> model_args(const std::string& model, const std::vector<std::string>& objective,
                                    const std::string& data = "") {
  std::vector<std::string> a{"--model", model, "--data", data.empty() ? subset_dir() : data, "--limit", "256",
                             "--batch", "32", "--seed", "3", "--quiet"};
  if (!data.empty()) a.insert(a.end(), {"--test-limit", "100"});
  if (model == "gan") a.insert(a.end(), {"--hidden", "16,32", "--disc-hidden", "32,16", "--latent", "8"});
  if (model == "dcgan") a.insert(a.end(), {"--hidden", "8,4", "--disc-hidden", "4,8", "--latent", "8"});
  a.insert(a.end(), objective.begin(), objective.end());
  return a;
}

ProcessResult train(std::vector<std::string> args) {
  args.insert(args.begin(), "train");
  return run_cli(args);
}

// Trains 2 epochs straight and 1 + a resumed 1; every tensor of the two checkpoints is equal.
// Returns the straight run's directory.
std::string check_resume_identical(const TempDir& dir, const std::string& model, const std::vector<std::string>& objective,
                                   const std::string& data = "") {
  std::vector<std::string> straight = model_args(model, objective, data), split = straight;
  straight.insert(straight.end(), {"--epochs", "2", "--out", dir / "straight"});
  split.insert(split.end(), {"--epochs", "1", "--out", dir / "split"});
  for (const auto& args : {straight, split}) {
    const ProcessResult r = train(args);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  }
  const ProcessResult r = run_cli({"train", "--resume", dir / "split/checkpoint.safetensors", "--epochs", "2", "--quiet"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto a = decode(dir / "straight/checkpoint.safetensors");
  const auto b = decode(dir / "split/checkpoint.safetensors");
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    INFO(a.tensors[i].name);
    CHECK(a.tensors[i].values == b.tensors[i].values);
  }
  CHECK(log_without_timings(dir / "straight/log.csv") == log_without_timings(dir / "split/log.csv"));
  return dir / "straight";
}

}  // namespace

TEST_CASE("train --gan-loss lsgan: critic columns, the objective in the file, exact resume", "[cli][objectives]") {
  TempDir dir;
  const std::string run = check_resume_identical(dir, "gan", {"--gan-loss", "lsgan"});
  const std::string log = latentlab::test::read_text(run + "/log.csv");
  CHECK(contains(log, "critic_real"));
  CHECK(contains(log, "test_critic_real"));
  CHECK_FALSE(contains(log, "d_real"));
  CHECK(decode(run + "/model.safetensors").metadata.at("gan_loss") == "lsgan");
}

TEST_CASE("train --gan-loss hinge --spectral-norm: u and v in the model file, it loads, exact resume",
          "[cli][objectives]") {
  TempDir dir;
  const std::string run = check_resume_identical(dir, "gan", {"--gan-loss", "hinge", "--spectral-norm"});
  const auto model = decode(run + "/model.safetensors");
  CHECK(model.metadata.at("spectral_norm") == "1");
  int buffers = 0;
  for (const auto& t : model.tensors) buffers += contains(t.name, "weight_u") || contains(t.name, "weight_v");
  CHECK(buffers == 2 * 3);  // u and v of each of D's three weights
  const std::string bytes = latentlab::test::read_text(run + "/model.safetensors");
  CHECK(latentlab::load_model(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()).ok());
  const ProcessResult r = run_cli({"sample", "--weights", run + "/model.safetensors", "--n", "4", "--out", dir / "s.png"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
}

TEST_CASE("train --gan-loss wgan-gp: n_critic, λ and the paper's lr recorded, a gp column, exact resume",
          "[cli][objectives]") {
  TempDir dir;
  const std::string run = check_resume_identical(dir, "gan", {"--gan-loss", "wgan-gp", "--n-critic", "3"});
  const auto checkpoint = decode(run + "/checkpoint.safetensors");
  CHECK(checkpoint.metadata.at("gan_loss") == "wgan-gp");
  CHECK(checkpoint.metadata.at("n_critic") == "3");
  CHECK(std::stof(checkpoint.metadata.at("gp_lambda")) == 10.0f);
  CHECK(std::stof(checkpoint.metadata.at("lr")) == 1e-4f);
  const std::string log = latentlab::test::read_text(run + "/log.csv");
  CHECK(contains(log.substr(0, log.find('\n')), ",gp"));
  // 8 steps per epoch, a G step after every third: the generator's Adam counts 2 + 3 of 16.
  CHECK(checkpoint.metadata.at("adam.generator.steps") == "5");
}

// The tensors and the metadata but the command line of two files.
void check_same_run(const std::string& a_path, const std::string& b_path) {
  auto a = decode(a_path), b = decode(b_path);
  a.metadata.erase("command_line");
  b.metadata.erase("command_line");
  CHECK(a.metadata == b.metadata);
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    INFO(a.tensors[i].name);
    CHECK(a.tensors[i].name == b.tensors[i].name);
    CHECK(a.tensors[i].values == b.tensors[i].values);
  }
}

TEST_CASE("train --model gan without --gan-loss is wgan-gp with the paper's settings, with --conditional bce, "
          "the DCGAN bce",
          "[cli][objectives]") {
  TempDir dir;
  struct Case {
    std::string model, conditional, objective;
  };
  for (const Case& c : {Case{"gan", "", "wgan-gp"}, Case{"gan", "--conditional", "bce"}, Case{"dcgan", "", "bce"}}) {
    INFO(c.model << " " << c.conditional);
    const std::string out = dir / (c.model + c.conditional);
    for (const auto& [flags, run] : {std::pair{std::vector<std::string>{}, "/default"},
                                     std::pair{std::vector<std::string>{"--gan-loss", c.objective}, "/given"}}) {
      std::vector<std::string> args = model_args(c.model, flags);
      if (!c.conditional.empty()) args.push_back(c.conditional);
      args.insert(args.end(), {"--epochs", "1", "--out", out + run});
      const ProcessResult r = train(args);
      INFO(r.out << r.err);
      REQUIRE(r.exit_code == 0);
      CHECK(contains(r.out, c.objective + " loss"));  // the architecture line names it
    }
    check_same_run(out + "/default/checkpoint.safetensors", out + "/given/checkpoint.safetensors");
    CHECK(log_without_timings(out + "/default/log.csv") == log_without_timings(out + "/given/log.csv"));
  }
  const auto checkpoint = decode(dir / "gan/default/checkpoint.safetensors");
  CHECK(checkpoint.metadata.at("gan_loss") == "wgan-gp");
  CHECK(checkpoint.metadata.at("n_critic") == "5");
  CHECK(std::stof(checkpoint.metadata.at("gp_lambda")) == 10.0f);
  CHECK(std::stof(checkpoint.metadata.at("lr")) == 1e-4f);
  CHECK(decode(dir / "gan--conditional/default/model.safetensors").metadata.count("gan_loss") == 0);
  CHECK(decode(dir / "dcgan/default/model.safetensors").metadata.count("gan_loss") == 0);
}

TEST_CASE("a conditional VAE trains at beta 4 by default (the MLP one for 20 epochs), an unconditional one at beta 1, "
          "the DCGAN trains 20 epochs, 5 when conditional",
          "[cli][objectives][conditional]") {
  TempDir dir;
  struct Case {
    std::string model, name;
    std::vector<std::string> flags, same_as;
    std::string beta, epochs;
  };
  const std::vector<Case> cases{
      {"vae", "vae-conditional", {"--conditional", "--hidden", "16", "--latent", "4"},
       {"--beta", "4", "--epochs", "20"}, "4", "20"},
      {"conv-vae", "conv-vae-conditional", {"--conditional", "--hidden", "4,8", "--latent", "4", "--epochs", "1"},
       {"--beta", "4"}, "4", "1"},
      {"vae", "vae", {"--hidden", "16", "--latent", "4", "--epochs", "1"}, {"--beta", "1"}, "1", "1"},
      {"dcgan", "dcgan", {"--eval-every", "0"}, {"--epochs", "20"}, "", "20"},
      {"dcgan", "dcgan-conditional", {"--conditional", "--eval-every", "0"}, {"--epochs", "5"}, "", "5"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    for (const auto& [extra, run] : {std::pair{std::vector<std::string>{}, "/default"}, std::pair{c.same_as, "/given"}}) {
      std::vector<std::string> args = model_args(c.model, c.flags);
      args.insert(args.end(), extra.begin(), extra.end());
      args.insert(args.end(), {"--out", dir / c.name + run});
      const ProcessResult r = train(args);
      INFO(r.out << r.err);
      REQUIRE(r.exit_code == 0);
    }
    const std::string out = dir / c.name;
    check_same_run(out + "/default/checkpoint.safetensors", out + "/given/checkpoint.safetensors");
    const auto model = decode(out + "/default/model.safetensors");
    if (!c.beta.empty()) CHECK(std::stof(model.metadata.at("beta")) == std::stof(c.beta));
    CHECK(decode(out + "/default/checkpoint.safetensors").metadata.at("epochs_target") == c.epochs);
  }
}

TEST_CASE("train --gan-loss bce keeps the bce recipe: no gan_loss key, lr 2e-4, a G step per step, probabilities",
          "[cli][objectives]") {
  TempDir dir;
  // Resumed without --gan-loss: a checkpoint without the key continues as bce, bit for bit.
  const std::string run = check_resume_identical(dir, "gan", {"--gan-loss", "bce"});
  const auto checkpoint = decode(run + "/checkpoint.safetensors");
  CHECK(checkpoint.metadata.count("gan_loss") == 0);
  CHECK(checkpoint.metadata.count("n_critic") == 0);
  CHECK(checkpoint.metadata.count("gp_lambda") == 0);
  CHECK(std::stof(checkpoint.metadata.at("lr")) == 2e-4f);
  CHECK(checkpoint.metadata.at("adam.generator.steps") == "16");  // 2 epochs of 8 steps
  const std::string log = latentlab::test::read_text(run + "/log.csv");
  CHECK(contains(log.substr(0, log.find('\n')), ",d_real,d_fake"));
  CHECK(decode(dir / "split/checkpoint.safetensors").metadata.count("gan_loss") == 0);

  // info names the objective of a file without the key, and of one with it.
  ProcessResult r = run_cli({"info", run + "/model.safetensors"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "gan_loss bce (no key in the file)"));
  r = run_cli({"info", dir / "split/checkpoint.safetensors"});
  CHECK(contains(r.out, "gan_loss bce"));
  std::vector<std::string> args = model_args("gan", {"--epochs", "1", "--out", dir / "wgan"});
  REQUIRE(train(args).exit_code == 0);
  r = run_cli({"info", dir / "wgan/model.safetensors"});
  CHECK(contains(r.out, "gan_loss wgan-gp"));
  CHECK_FALSE(contains(r.out, "no key"));
}

TEST_CASE("train --model dcgan --gan-loss hinge --spectral-norm: exact resume", "[cli][objectives][dcgan]") {
  TempDir dir;
  const std::string run = check_resume_identical(dir, "dcgan", {"--gan-loss", "hinge", "--spectral-norm"});
  CHECK(decode(run + "/model.safetensors").metadata.at("gan_loss") == "hinge");
}

TEST_CASE("train --model dcgan --gan-loss wgan-gp: a critic without BatchNorm, exact resume", "[cli][objectives][dcgan]") {
  TempDir dir;
  const std::string run = check_resume_identical(dir, "dcgan", {"--gan-loss", "wgan-gp", "--n-critic", "2"});
  const auto model = decode(run + "/model.safetensors");
  CHECK(model.metadata.at("discriminator_batchnorm") == "0");
  for (const auto& t : model.tensors) CHECK_FALSE(contains(t.name, "discriminator.bn"));
  CHECK(contains(latentlab::test::read_text(run + "/log.csv"), ",gp,"));
}

TEST_CASE("every objective trains on Fashion-MNIST and resumes exactly", "[cli][objectives][fashion]") {
  // scripts/setup installs Fashion-MNIST (apt dataset-fashion-mnist); without it this fails loudly.
  const std::vector<std::pair<std::string, std::vector<std::string>>> runs{
      {"gan", {"--gan-loss", "bce"}},
      {"gan", {"--gan-loss", "lsgan"}},
      {"gan", {"--gan-loss", "hinge", "--spectral-norm"}},
      {"gan", {"--gan-loss", "wgan-gp", "--n-critic", "2"}},
      {"dcgan", {"--gan-loss", "hinge"}}};
  for (const auto& [model, objective] : runs) {
    INFO(model << " " << objective[1]);
    TempDir dir;
    const std::string run = check_resume_identical(dir, model, objective, "fashion");
    const auto file = decode(run + "/model.safetensors");
    CHECK(file.metadata.at("dataset") == "fashion");
    if (objective[1] != "bce") CHECK(file.metadata.at("gan_loss") == objective[1]);
  }
}

TEST_CASE("objective flags that do not fit are usage errors (exit code 2)", "[cli][objectives]") {
  TempDir dir;
  auto refused = [&](std::vector<std::string> args, const std::string& message) {
    const ProcessResult r = train(args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, message));
  };
  refused(model_args("vae", {"--gan-loss", "hinge", "--out", dir / "a"}), "--gan-loss");
  refused(model_args("vae", {"--spectral-norm", "--out", dir / "a"}), "--spectral-norm");
  refused(model_args("gan", {"--gan-loss", "nonsense", "--out", dir / "a"}), "--gan-loss");
  refused(model_args("gan", {"--gan-loss", "bce", "--n-critic", "3", "--out", dir / "a"}), "--n-critic");
  refused(model_args("dcgan", {"--n-critic", "3", "--out", dir / "a"}), "default of --model dcgan is --gan-loss bce");
  refused(model_args("gan", {"--conditional", "--n-critic", "3", "--out", dir / "a"}),
          "default of --model gan --conditional is --gan-loss bce");
  refused(model_args("vae", {"--gp-lambda", "5", "--out", dir / "a"}), "--model vae is not a GAN");
  refused(model_args("gan", {"--gan-loss", "hinge", "--gp-lambda", "5", "--out", dir / "a"}), "--gp-lambda");

  // A resumed run keeps its objective.
  std::vector<std::string> args = model_args("gan", {"--gan-loss", "hinge", "--epochs", "1", "--out", dir / "h"});
  REQUIRE(train(args).exit_code == 0);
  const std::string checkpoint = dir / "h/checkpoint.safetensors";
  refused({"--resume", checkpoint, "--epochs", "2", "--gan-loss", "lsgan"}, "--gan-loss");
  refused({"--resume", checkpoint, "--epochs", "2", "--spectral-norm"}, "--spectral-norm");
  refused({"--resume", checkpoint, "--epochs", "2", "--n-critic", "2"}, "--n-critic");
}
