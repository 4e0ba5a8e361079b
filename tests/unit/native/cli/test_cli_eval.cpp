// `latentlab train --model classifier`, `eval` and `compare` run as subprocesses: help, the
// error paths (wrong kinds of files, missing flags, corrupt files) and the JSON report.
// Models are tiny and trained on a small directory of real MNIST digits; --samples and the
// IWAE sizes are small so each run takes a fraction of a second.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/cli.hpp"
#include "latentlab/io/safetensors.hpp"

using latentlab::test::ProcessResult;
using latentlab::test::run_cli;
using latentlab::test::TempDir;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

const std::string& eval_subset_dir() {
  static TempDir dir;
  static const std::string path = [] {
    latentlab::test::write_mnist_subset_dir(dir / "mnist-subset", 2000, 300);
    return dir / "mnist-subset";
  }();
  return path;
}

std::string shipped_classifier() { return std::string(LATENTLAB_SOURCE_DIR) + "/native/models/classifier-mnist.safetensors"; }

// A tiny trained model of `kind` in dir/<kind>/model.safetensors.
std::string train_small(const TempDir& dir, const std::string& kind, const std::string& limit = "600",
                        const std::string& epochs = "1") {
  std::vector<std::string> args{"train", "--model", kind, "--data", eval_subset_dir(), "--limit", limit, "--epochs", epochs,
                                "--out", dir / kind, "--quiet"};
  if (kind == "vae") args.insert(args.end(), {"--hidden", "16", "--latent", "4"});
  if (kind == "gan") args.insert(args.end(), {"--hidden", "16,32", "--latent", "8", "--batch", "50"});
  if (kind == "classifier") args.insert(args.end(), {"--hidden", "128,64"});
  const ProcessResult r = run_cli(args);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return dir / (kind + "/model.safetensors");
}

const std::vector<std::string> kFast{"--samples", "200", "--iwae-n", "3", "--iwae-k", "5", "--quiet"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

TEST_CASE("eval and compare --help describe their flags", "[cli][evaluation]") {
  for (const std::string command : {"eval", "compare"}) {
    const ProcessResult r = run_cli({command, "--help"});
    INFO(r.out);
    CHECK(r.exit_code == 0);
    for (const char* flag : {"--data", "--json", "--classifier", "--seed", "--iwae-k", "--iwae-n", "--samples"})
      CHECK(contains(r.out, flag));
  }
  CHECK(contains(run_cli({"eval", "--help"}).out, "--weights"));
  const ProcessResult top = run_cli({"--help"});
  CHECK(contains(top.out, "eval"));
  CHECK(contains(top.out, "compare"));
}

TEST_CASE("train --model classifier learns the digits and writes no sample grids", "[cli][evaluation]") {
  TempDir dir;
  const std::string model = train_small(dir, "classifier", "2000", "3");
  const nlohmann::json summary = nlohmann::json::parse(latentlab::test::read_text(dir / "classifier/summary.json"));
  CHECK(summary["model"] == "classifier");
  CHECK(summary["test_accuracy"].get<double>() > 0.5);  // chance is 0.1 (measured 0.67 after 141 steps)
  CHECK_FALSE(latentlab::test::fs::exists(dir / "classifier/samples"));
  const ProcessResult info = run_cli({"export", model, "--out", dir / "c16.safetensors"});
  INFO(info.err);
  CHECK(info.exit_code == 0);
  CHECK(contains(info.out, "classifier F16"));
  // Flags that have no meaning for a classifier are refused.
  const ProcessResult latent = run_cli({"train", "--model", "classifier", "--latent", "4", "--data", eval_subset_dir(),
                                        "--out", dir / "x", "--quiet"});
  CHECK(latent.exit_code == 2);
  CHECK(contains(latent.err, "--latent"));
}

TEST_CASE("eval refuses wrong files and missing flags with a clear message", "[cli][evaluation]") {
  TempDir dir;
  const std::string vae = train_small(dir, "vae");
  const std::string data = eval_subset_dir();

  // A classifier given as --weights.
  ProcessResult r = run_cli({"eval", "--weights", shipped_classifier(), "--data", data, "--quiet"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "holds a classifier, not a generative model"));
  // A VAE given as --classifier.
  r = run_cli({"eval", "--weights", vae, "--data", data, "--classifier", vae, "--quiet"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "not a classifier"));
  // A data directory needs an explicit classifier.
  r = run_cli({"eval", "--weights", vae, "--data", data, "--quiet"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--classifier is required"));
  // Corrupt weights.
  const std::string bad = dir / "bad.safetensors";
  latentlab::test::write_bytes(bad, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  r = run_cli({"eval", "--weights", bad, "--data", data, "--classifier", shipped_classifier(), "--quiet"});
  CHECK(r.exit_code == 1);
  CHECK(r.signal == 0);
  CHECK(contains(r.err, "cannot load weights"));
  // Missing --weights, a bad number, compare with one file.
  CHECK(run_cli({"eval", "--data", data}).exit_code == 2);
  r = run_cli({"eval", "--weights", vae, "--samples", "1"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--samples"));
  r = run_cli({"compare", vae});
  CHECK(r.exit_code == 2);
  // A data directory that does not exist.
  r = run_cli({"eval", "--weights", vae, "--data", "/nonexistent-dir", "--classifier", shipped_classifier(), "--quiet"});
  CHECK(r.exit_code == 1);
}

TEST_CASE("eval --json and compare report every metric with the real-data reference", "[cli][evaluation]") {
  TempDir dir;
  const std::string vae = train_small(dir, "vae");
  const std::string gan = train_small(dir, "gan");
  const std::vector<std::string> common = with({"--data", eval_subset_dir(), "--classifier", shipped_classifier()}, kFast);

  const ProcessResult r = run_cli(with({"eval", "--weights", vae, "--json"}, common));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["samples"] == 200);
  CHECK(j["iwae_k"] == 5);
  CHECK(j["iwae_images"] == 3);
  CHECK(j["real"]["accuracy"].get<double>() > 0.95);  // the shipped classifier on 300 real test digits
  REQUIRE(j["models"].size() == 1);
  const nlohmann::json& m = j["models"][0];
  CHECK(m["kind"] == "vae");
  for (const char* key : {"fd", "classes_covered", "kl_uniform", "is_score", "confidence", "test_loss", "test_loss_mu",
                          "iwae_log_likelihood", "iwae_elbo", "recon_mse", "smooth_step", "smooth_jump"})
    CHECK(m.contains(key));
  CHECK(m["iwae_log_likelihood"].get<double>() >= m["iwae_elbo"].get<double>());
  CHECK(m["histogram"].size() == 10);
  CHECK(m["is_score"].get<double>() >= 1.0);
  CHECK(m["is_score"].get<double>() <= 10.0);

  const ProcessResult c = run_cli(with({"compare", vae, gan}, common));
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(contains(c.out, "Frechet distance"));
  CHECK(contains(c.out, "real data"));
  CHECK(contains(c.out, "vae"));
  CHECK(contains(c.out, "gan"));
  CHECK(contains(c.out, "IWAE"));
  // The same evaluation twice prints the same numbers.
  const ProcessResult again = run_cli(with({"eval", "--weights", vae, "--json"}, common));
  nlohmann::json j2 = nlohmann::json::parse(again.out);
  j2.erase("seconds");
  j2["models"][0].erase("seconds");
  nlohmann::json j1 = j;
  j1.erase("seconds");
  j1["models"][0].erase("seconds");
  CHECK(j1 == j2);
}

TEST_CASE("classifier resume is bit-identical to an uninterrupted run", "[cli][evaluation][checkpoint]") {
  TempDir dir;
  const std::vector<std::string> common{"--model", "classifier", "--data", eval_subset_dir(), "--limit", "1000",
                                        "--hidden", "32", "--seed", "3", "--quiet"};
  auto train = [&](std::vector<std::string> args) {
    args.insert(args.begin(), common.begin(), common.end());
    args.insert(args.begin(), "train");
    const ProcessResult r = run_cli(args);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  };
  train({"--epochs", "2", "--out", dir / "straight"});
  train({"--epochs", "1", "--out", dir / "split"});
  const ProcessResult r = run_cli({"train", "--resume", dir / "split/checkpoint.safetensors", "--epochs", "2", "--quiet"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // Same parameters (data order AND the random shifts continue exactly).
  auto tensors = [](const std::string& path) {
    const std::string text = latentlab::test::read_text(path);
    auto decoded = latentlab::decode_safetensors(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    REQUIRE(decoded);
    return decoded.take();
  };
  const auto a = tensors(dir / "straight/model.safetensors");
  const auto b = tensors(dir / "split/model.safetensors");
  REQUIRE(a.tensors.size() == 4);  // 784-32-10: classifier.fc1 and .fc2, weight and bias
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    INFO(a.tensors[i].name);
    CHECK(a.tensors[i].values == b.tensors[i].values);
  }
}

TEST_CASE("info describes a classifier file and sample refuses it", "[cli][evaluation]") {
  const ProcessResult r = run_cli({"info", shipped_classifier(), "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["kind"] == "classifier");
  CHECK(j["stored_dtype"] == "F16");
  CHECK(j["classes"] == 10);
  CHECK(j["hidden"] == nlohmann::json::array({512, 256}));
  CHECK(j["parameters"] == 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10);
  TempDir dir;
  const ProcessResult s = run_cli({"sample", "--weights", shipped_classifier(), "--out", dir / "s.png"});
  CHECK(s.exit_code == 1);
  CHECK(contains(s.err, "classifier"));
  CHECK_FALSE(latentlab::test::fs::exists(dir / "s.png"));
}
