// Conditional models through the `latentlab` program: `train --conditional`, the epoch grid (one
// row per class), `sample`/`interpolate`/`eval` with --class / --classes, exact --resume, and
// the refusals (a class for an unconditional model, a class out of range, --conditional for a
// classifier) with the usage error's exit code 2.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "latentlab/infer/generation.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/io/safetensors.hpp"
#include "latentlab/rng.hpp"
#include "support/cli.hpp"

using latentlab::test::ProcessResult;
using latentlab::test::run_cli;
using latentlab::test::TempDir;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

const std::string& subset_dir() {
  static TempDir dir;
  static const std::string path = [] {
    latentlab::test::write_mnist_subset_dir(dir / "mnist-subset", 1000, 200);
    return dir / "mnist-subset";
  }();
  return path;
}

std::vector<std::string> tiny_flags(const std::string& model) {
  if (model == "vae") return {"--hidden", "16", "--latent", "4"};
  if (model == "dcgan") return {"--hidden", "8,4", "--latent", "8", "--batch", "50"};
  if (model == "conv-vae") return {"--hidden", "4,8", "--latent", "4"};
  return {"--hidden", "16,32", "--latent", "8", "--batch", "50"};
}

void train(const std::string& model, const std::string& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"train", "--model", model, "--data", subset_dir(), "--limit", "500", "--epochs", "1",
                                "--out", out, "--quiet"};
  for (const auto& a : tiny_flags(model)) args.push_back(a);
  args.insert(args.end(), extra.begin(), extra.end());
  const ProcessResult r = run_cli(args);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

latentlab::LoadedModel load(const std::string& path) {
  const std::string bytes = latentlab::test::read_text(path);
  auto r = latentlab::load_model(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  REQUIRE(r.ok());
  return r.take();
}

}  // namespace

TEST_CASE("train --conditional: classes in the file, info, and an epoch grid equal to sample --classes 0-9 --n 8",
          "[cli][conditional]") {
  TempDir dir;
  for (const std::string model : {"vae", "gan"}) {
    train(model, dir / model, {"--conditional", "--seed", "3"});
    const std::string weights = dir / (model + "/model.safetensors");
    latentlab::LoadedModel loaded = load(weights);
    CHECK(loaded->classes() == 10);
    CHECK(loaded.metadata.at("classes") == "10");

    const ProcessResult info = run_cli({"info", weights});
    REQUIRE(info.exit_code == 0);
    CHECK(contains(info.out, "classes 10"));
    CHECK(contains(info.out, "10 classes"));

    const ProcessResult s = run_cli({"sample", "--weights", weights, "--seed", "3", "--classes", "0-9", "--n", "8",
                                     "--out", dir / "grid.png"});
    INFO(s.err);
    REQUIRE(s.exit_code == 0);
    const bool same = latentlab::test::read_text(dir / "grid.png") ==
                      latentlab::test::read_text(dir / (model + "/samples/epoch_001.png"));
    CHECK(same);
  }
  // An unconditional run's file has no "classes" key.
  train("vae", dir / "plain");
  CHECK(load(dir / "plain/model.safetensors").metadata.count("classes") == 0);
}

TEST_CASE("sample --class and the default labels follow the contract of generation.hpp", "[cli][conditional]") {
  TempDir dir;
  train("gan", dir / "gan", {"--conditional"});
  const std::string weights = dir / "gan/model.safetensors";
  latentlab::LoadedModel model = load(weights);
  const int n = 12, image = model->image_size();
  std::vector<float> z(static_cast<std::size_t>(n) * model->latent_dim());
  latentlab::Rng(9, 0).fill_normal(z.data(), z.size());

  for (const bool one_class : {true, false}) {
    std::vector<std::string> args{"sample", "--weights", weights, "--n", std::to_string(n), "--seed", "9", "--raw",
                                  dir / "raw.json"};
    if (one_class) args.insert(args.end(), {"--class", "7"});
    const ProcessResult r = run_cli(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(latentlab::test::read_text(dir / "raw.json"));
    std::vector<int> labels(static_cast<std::size_t>(n), 7);
    if (!one_class)
      for (int k = 0; k < n; ++k) labels[static_cast<std::size_t>(k)] = k % 10;  // k mod classes
    CHECK(j["labels"].get<std::vector<int>>() == labels);
    std::vector<float> expected(static_cast<std::size_t>(n) * image);
    model->decode(z.data(), labels.data(), n, expected.data());
    CHECK(j["pixels"].get<std::vector<float>>() == expected);
  }
}

TEST_CASE("a class is refused for an unconditional model, out of range, or malformed (sample, interpolate, eval)", "[cli][conditional]") {
  TempDir dir;
  train("vae", dir / "plain");
  train("vae", dir / "cond", {"--conditional"});
  const std::string plain = dir / "plain/model.safetensors", cond = dir / "cond/model.safetensors";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::string png = dir / "x.png";
  const std::vector<Case> cases = {
      {{"sample", "--weights", plain, "--class", "3", "--out", png}, "not conditional"},
      {{"sample", "--weights", plain, "--classes", "0-9", "--out", png}, "not conditional"},
      {{"interpolate", "--weights", plain, "--from", "1", "--to", "2", "--class", "3", "--out", png}, "not conditional"},
      {{"eval", "--weights", plain, "--data", subset_dir(), "--classifier",
        std::string(LATENTLAB_SOURCE_DIR) + "/native/models/classifier-mnist.safetensors", "--class", "1"},
       "not conditional"},
      {{"sample", "--weights", cond, "--class", "10", "--out", png}, "0 to 9"},
      {{"sample", "--weights", cond, "--class", "-1", "--out", png}, "--class"},
      {{"sample", "--weights", cond, "--class", "three", "--out", png}, "--class"},
      {{"sample", "--weights", cond, "--classes", "5-2", "--out", png}, "empty range"},
      {{"sample", "--weights", cond, "--classes", "0-10", "--out", png}, "0 to 9"},
      {{"sample", "--weights", cond, "--class", "1", "--classes", "0-9", "--out", png}, "excludes"},
      {{"train", "--model", "classifier", "--conditional", "--data", subset_dir(), "--out", dir / "c"}, "--conditional"},
  };
  for (const Case& c : cases) {
    const ProcessResult r = run_cli(c.args);
    INFO(c.args[0] << " " << c.args.back() << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, c.message));
  }
  CHECK_FALSE(latentlab::test::fs::exists(png));
  // Resuming an unconditional checkpoint with --conditional is a conflict.
  const ProcessResult r = run_cli({"train", "--resume", dir / "plain/checkpoint.safetensors", "--conditional",
                                   "--epochs", "2", "--quiet"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--conditional"));
}

TEST_CASE("reconstruct and export (F16) work on a conditional VAE", "[cli][conditional]") {
  TempDir dir;
  train("vae", dir / "cond", {"--conditional"});
  const std::string weights = dir / "cond/model.safetensors";
  ProcessResult r = run_cli({"reconstruct", "--weights", weights, "--data", subset_dir(), "--n", "8", "--out", dir / "r.png"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "reconstruction BCE per image"));
  r = run_cli({"export", weights, "--out", dir / "f16.safetensors", "--dtype", "f16"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  latentlab::LoadedModel exported = load(dir / "f16.safetensors");
  CHECK(exported->classes() == 10);
  r = run_cli({"sample", "--weights", dir / "f16.safetensors", "--class", "4", "--n", "3", "--out", dir / "s.png"});
  CHECK(r.exit_code == 0);
}

TEST_CASE("interpolate on a conditional model draws one row per class", "[cli][conditional]") {
  TempDir dir;
  train("vae", dir / "cond", {"--conditional"});
  const std::string weights = dir / "cond/model.safetensors";
  ProcessResult r = run_cli({"interpolate", "--weights", weights, "--from", "1", "--to", "2", "--steps", "4",
                             "--classes", "2-4", "--raw", dir / "raw.json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(latentlab::test::read_text(dir / "raw.json"));
  CHECK(j["classes"].get<std::vector<int>>() == std::vector<int>{2, 3, 4});
  CHECK(j["pixels"].size() == 3u * 4u * 784u);
  r = run_cli({"interpolate", "--weights", weights, "--from", "1", "--to", "2", "--steps", "4", "--raw", dir / "raw.json"});
  REQUIRE(r.exit_code == 0);
  j = nlohmann::json::parse(latentlab::test::read_text(dir / "raw.json"));
  CHECK(j["pixels"].size() == 10u * 4u * 784u);
}

TEST_CASE("resume of a conditional GAN is bit-identical to an uninterrupted run", "[cli][checkpoint][conditional]") {
  TempDir dir;
  const std::vector<std::string> common{"--model", "gan", "--conditional", "--data", subset_dir(), "--limit", "500",
                                        "--hidden", "16,32", "--latent", "8", "--batch", "50", "--seed", "4", "--quiet"};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "train");
    args.insert(args.end(), common.begin(), common.end());
    const ProcessResult r = run_cli(args);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  };
  run({"--epochs", "2", "--out", dir / "straight"});
  run({"--epochs", "1", "--out", dir / "split"});
  const ProcessResult r = run_cli({"train", "--resume", dir / "split/checkpoint.safetensors", "--epochs", "2", "--quiet"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const bool same_model = latentlab::test::read_text(dir / "straight/model.safetensors").size() > 0 &&
                          load(dir / "straight/model.safetensors").parameter_count ==
                              load(dir / "split/model.safetensors").parameter_count;
  CHECK(same_model);
  const std::string a = latentlab::test::read_text(dir / "straight/checkpoint.safetensors");
  const std::string b = latentlab::test::read_text(dir / "split/checkpoint.safetensors");
  // The checkpoints differ only in run metadata (command line, timings); the tensors are equal.
  auto ca = latentlab::decode_safetensors(reinterpret_cast<const std::uint8_t*>(a.data()), a.size());
  auto cb = latentlab::decode_safetensors(reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
  REQUIRE(ca.ok());
  REQUIRE(cb.ok());
  REQUIRE(ca.value().tensors.size() == cb.value().tensors.size());
  for (std::size_t i = 0; i < ca.value().tensors.size(); ++i) {
    INFO(ca.value().tensors[i].name);
    CHECK(ca.value().tensors[i].values == cb.value().tensors[i].values);
  }
  CHECK(latentlab::test::read_text(dir / "straight/samples/epoch_002.png") ==
        latentlab::test::read_text(dir / "split/samples/epoch_002.png"));
}

TEST_CASE("eval of a conditional model reports the conditional accuracy per class, mean and worst",
          "[cli][conditional][eval]") {
  TempDir dir;
  train("vae", dir / "cond", {"--conditional"});
  const std::string classifier = std::string(LATENTLAB_SOURCE_DIR) + "/native/models/classifier-mnist.safetensors";
  for (const bool one : {false, true}) {
    std::vector<std::string> args{"eval", "--weights", dir / "cond/model.safetensors", "--data", subset_dir(),
                                  "--classifier", classifier, "--samples", "200", "--iwae-n", "0", "--json", "-q"};
    if (one) args.insert(args.end(), {"--class", "4"});
    const ProcessResult r = run_cli(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out)["models"][0];
    double sum = 0, worst = 2;
    int classes = 0;
    for (int c = 0; c < 10; ++c) {
      const std::string key = "cond_accuracy_c" + std::to_string(c);
      if (!j.contains(key)) continue;
      const double a = j[key].get<double>();
      CHECK(a >= 0.0);
      CHECK(a <= 1.0);
      sum += a;
      worst = std::min(worst, a);
      ++classes;
    }
    CHECK(classes == (one ? 1 : 10));
    CHECK(j["cond_accuracy"].get<double>() == Approx(sum / classes));
    CHECK(j["cond_accuracy_worst"].get<double>() == worst);
  }
}

TEST_CASE("the conv kinds conditional: train --conditional, sample/interpolate --class, eval --classes, and --class "
          "refused for an unconditional DCGAN", "[cli][conditional][dcgan][conv-vae]") {
  TempDir dir;
  for (const std::string model : {"dcgan", "conv-vae"}) {
    INFO(model);
    train(model, dir / model, {"--conditional", "--seed", "3"});  // the epoch grid's seed
    const std::string weights = dir / (model + "/model.safetensors");
    latentlab::LoadedModel loaded = load(weights);
    REQUIRE(loaded->classes() == 10);
    const ProcessResult info = run_cli({"info", weights});
    REQUIRE(info.exit_code == 0);
    CHECK(contains(info.out, "10 classes"));

    // The epoch grid is `sample --classes 0-9 --n 8` of the same model.
    const ProcessResult grid = run_cli({"sample", "--weights", weights, "--seed", "3", "--classes", "0-9", "--n", "8",
                                        "--out", dir / "grid.png"});
    REQUIRE(grid.exit_code == 0);
    CHECK(latentlab::test::read_text(dir / "grid.png") ==
          latentlab::test::read_text(dir / (model + "/samples/epoch_001.png")));

    // --class 7: every image decoded with label 7, from the contract latents.
    const int n = 6, image = loaded->image_size();
    const ProcessResult r = run_cli({"sample", "--weights", weights, "--n", std::to_string(n), "--seed", "9",
                                     "--class", "7", "--raw", dir / "raw.json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(latentlab::test::read_text(dir / "raw.json"));
    std::vector<float> z(static_cast<std::size_t>(n) * loaded->latent_dim());
    latentlab::Rng(9, 0).fill_normal(z.data(), z.size());
    const std::vector<int> sevens(static_cast<std::size_t>(n), 7);
    std::vector<float> expected(static_cast<std::size_t>(n) * image), other(expected.size());
    loaded->decode(z.data(), sevens.data(), n, expected.data());
    CHECK(j["pixels"].get<std::vector<float>>() == expected);
    const std::vector<int> ones(static_cast<std::size_t>(n), 1);
    loaded->decode(z.data(), ones.data(), n, other.data());
    CHECK(other != expected);  // the label matters

    const ProcessResult morph = run_cli({"interpolate", "--weights", weights, "--from", "1", "--to", "2", "--steps",
                                         "4", "--class", "3", "--out", dir / "morph.png"});
    INFO(morph.err);
    CHECK(morph.exit_code == 0);
    const ProcessResult eval = run_cli({"eval", "--weights", weights, "--data", subset_dir(), "--classifier",
                                        std::string(LATENTLAB_SOURCE_DIR) + "/native/models/classifier-mnist.safetensors",
                                        "--classes", "0-9", "--samples", "200", "--iwae-n", "0", "--json"});
    INFO(eval.err);
    CHECK(eval.exit_code == 0);
  }
  train("dcgan", dir / "plain");
  const ProcessResult r = run_cli({"sample", "--weights", dir / "plain/model.safetensors", "--class", "3", "--out",
                                   dir / "x.png"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "not conditional"));
}

TEST_CASE("train --discriminator-conditioning channels writes a label-channel DCGAN file, and the flag is "
          "refused (exit 2) without --conditional, for other kinds, with an unknown value and against a "
          "checkpoint's other way",
          "[cli][conditional][dcgan]") {
  TempDir dir;
  train("dcgan", dir / "ch", {"--conditional", "--discriminator-conditioning", "channels"});
  const std::string bytes = latentlab::test::read_text(dir / "ch/model.safetensors");
  auto file = latentlab::decode_safetensors(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  REQUIRE(file.ok());
  CHECK(file.value().metadata.at("discriminator_conditioning") == "channels");
  bool embed = false;
  for (const auto& t : file.value().tensors) {
    embed = embed || t.name == "discriminator.embed.weight";
    // --hidden 8,4 makes D's channels 4,8: conv1 reads the image and 10 label planes.
    if (t.name == "discriminator.conv1.weight") CHECK(t.shape == decltype(t.shape){4, 11, 4, 4});
  }
  CHECK_FALSE(embed);
  const ProcessResult info = run_cli({"info", dir / "ch/model.safetensors"});
  REQUIRE(info.exit_code == 0);
  CHECK(contains(info.out, "discriminator_conditioning channels"));

  const auto refused = [&](std::vector<std::string> args, const std::string& message) {
    args.insert(args.begin(), "train");
    const std::vector<std::string> common{"--data", subset_dir(), "--limit", "100", "--epochs", "1", "--quiet"};
    args.insert(args.end(), common.begin(), common.end());
    const ProcessResult r = run_cli(args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, message));
  };
  refused({"--model", "dcgan", "--discriminator-conditioning", "channels", "--out", dir / "a"}, "--conditional");
  refused({"--model", "gan", "--conditional", "--discriminator-conditioning", "channels", "--out", dir / "b"},
          "--discriminator-conditioning");
  refused({"--model", "vae", "--discriminator-conditioning", "projection", "--out", dir / "c"},
          "--discriminator-conditioning");
  refused({"--model", "conv-vae", "--conditional", "--discriminator-conditioning", "channels", "--out", dir / "d"},
          "--discriminator-conditioning");
  refused({"--model", "dcgan", "--conditional", "--discriminator-conditioning", "concat", "--out", dir / "e"},
          "--discriminator-conditioning");
  const ProcessResult r = run_cli({"train", "--resume", dir / "ch/checkpoint.safetensors", "--epochs", "2",
                                   "--discriminator-conditioning", "projection", "--quiet"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--discriminator-conditioning"));
}
