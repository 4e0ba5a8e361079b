// The `latentlab` program, run as a subprocess: help, flag validation and exit codes, error
// paths (missing data, corrupt weights, unwritable output), what `train` leaves behind,
// exact --resume, and the sampling contracts shared with the web page.
//
// Training runs here use a small directory of REAL MNIST digits (the first images of the
// official files, written as IDX by write_mnist_subset_dir) and tiny models, so each takes
// a fraction of a second.
#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/cli.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/io/safetensors.hpp"
#include "train/progress.hpp"

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "stb_image.h"
#pragma GCC diagnostic pop

using latentlab::test::ProcessResult;
using latentlab::test::run_cli;
using latentlab::test::TempDir;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// Byte-for-byte equality of two files (a bool, so a failure does not print binary data).
bool same_bytes(const std::string& a, const std::string& b) {
  return latentlab::test::read_text(a) == latentlab::test::read_text(b);
}

// A data-set directory with the first 2,000 training and 300 test images of MNIST, written
// once per test process.
const std::string& subset_dir() {
  static TempDir dir;
  static const std::string path = [] {
    latentlab::test::write_mnist_subset_dir(dir / "mnist-subset", 2000, 300);
    return dir / "mnist-subset";
  }();
  return path;
}

// Trains a tiny model for one epoch on 600 subset images; REQUIREs success.
void train_tiny(const std::string& model, const std::string& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"train", "--model", model, "--data", subset_dir(), "--limit", "600", "--epochs", "1",
                                "--out", out, "--quiet"};
  if (model == "vae") args.insert(args.end(), {"--hidden", "16", "--latent", "4"});
  if (model == "gan") args.insert(args.end(), {"--hidden", "16,32", "--latent", "8", "--batch", "50"});
  args.insert(args.end(), extra.begin(), extra.end());
  const ProcessResult r = run_cli(args);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

// Parameters of an MLP with the given layer widths (weights + biases).
std::size_t mlp_params(const std::vector<std::size_t>& widths) {
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) n += widths[i] * widths[i + 1] + widths[i + 1];
  return n;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string item;
  for (char c : text) {
    if (c == sep) {
      parts.push_back(item);
      item.clear();
    } else {
      item += c;
    }
  }
  if (!item.empty()) parts.push_back(item);
  return parts;
}

// The rows of a CSV file (header first), each split into fields.
std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  for (const std::string& line : split(latentlab::test::read_text(path), '\n')) rows.push_back(split(line + ",", ','));
  return rows;
}

struct Png {
  int width = 0, height = 0;
  std::vector<std::uint8_t> gray;
};
Png read_png(const std::string& path) {
  Png png;
  int channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &png.width, &png.height, &channels, 1);
  REQUIRE(data != nullptr);
  png.gray.assign(data, data + std::size_t(png.width) * png.height);
  stbi_image_free(data);
  return png;
}

latentlab::SafetensorsContents read_safetensors(const std::string& path) {
  const std::string bytes = latentlab::test::read_text(path);
  auto r = latentlab::decode_safetensors(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  REQUIRE(r.ok());
  return r.take();
}

latentlab::LoadedModel load(const std::string& path) {
  const std::string bytes = latentlab::test::read_text(path);
  auto r = latentlab::load_model(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  REQUIRE(r.ok());
  return r.take();
}

}  // namespace

TEST_CASE("help (--help) of every command exits 0 and describes its flags", "[cli]") {
  const std::vector<std::pair<std::string, std::vector<std::string>>> commands{
      {"train",
       {"--model", "--data", "--epochs", "--batch", "--lr", "--latent", "--hidden", "--beta", "--seed", "--threads", "--out",
        "--resume", "--limit", "--eval-every", "--quiet", "Threads for the GEMMs and Adam", "30"}},
      {"sample", {"--weights", "--n", "--seed", "--out", "--raw"}},
      {"interpolate", {"--weights", "--from", "--to", "--steps", "--lerp", "--slerp", "--out"}},
      {"reconstruct", {"--weights", "--data", "--n", "--out"}},
      {"info", {"--json", "FILE"}},
  };
  for (const auto& [command, flags] : commands) {
    const ProcessResult r = run_cli({command, "--help"});
    INFO(command << ":\n" << r.out << r.err);
    CHECK(r.exit_code == 0);
    for (const auto& flag : flags) CHECK(contains(r.out, flag));
  }
  const ProcessResult top = run_cli({"--help"});
  CHECK(top.exit_code == 0);
  for (const char* command : {"train", "sample", "interpolate", "reconstruct", "info"}) CHECK(contains(top.out, command));
}

TEST_CASE("invalid flag values are rejected with exit code 2 and a message naming the flag", "[cli]") {
  TempDir dir;
  const std::string weights = dir / "w.safetensors";
  latentlab::test::write_bytes(weights, {1, 2, 3});  // exists (the flag check is about values)
  struct Case {
    std::vector<std::string> args;
    std::string flag;
  };
  const std::vector<Case> cases{
      {{"train", "--model", "vae", "--epochs", "0"}, "--epochs"},
      {{"train", "--model", "vae", "--epochs", "2.5"}, "--epochs"},
      {{"train", "--model", "vae", "--batch", "-1"}, "--batch"},
      {{"train", "--model", "vae", "--batch", "abc"}, "--batch"},
      {{"train", "--model", "vae", "--lr", "nan"}, "--lr"},
      {{"train", "--model", "vae", "--lr", "inf"}, "--lr"},
      {{"train", "--model", "vae", "--lr", "0"}, "--lr"},
      {{"train", "--model", "vae", "--lr", "-0.001"}, "--lr"},
      {{"train", "--model", "vae", "--latent", "0"}, "--latent"},
      {{"train", "--model", "vae", "--hidden", "400,,200"}, "--hidden"},
      {{"train", "--model", "vae", "--hidden", "0"}, "--hidden"},
      {{"train", "--model", "vae", "--beta", "nan"}, "--beta"},
      {{"train", "--model", "vae", "--seed", "-1"}, "--seed"},
      {{"train", "--model", "vae", "--threads", "0"}, "--threads"},
      {{"train", "--model", "vae", "--limit", "0"}, "--limit"},
      {{"train", "--model", "vae", "--eval-every", "-2"}, "--eval-every"},
      {{"train", "--model", "vae", "--kl-warmup", "-1"}, "--kl-warmup"},
      {{"train", "--model", "vae", "--kl-warmup", "1.5"}, "--kl-warmup"},
      {{"train", "--model", "gan", "--kl-warmup", "2"}, "--kl-warmup"},
      {{"train", "--model", "classifier", "--kl-warmup", "2"}, "--kl-warmup"},
      {{"train", "--model", "vae", "--classifier", dir / "missing.safetensors"}, "--classifier"},
      {{"train", "--model", "transformer"}, "--model"},
      {{"train", "--model", "gan", "--beta", "2"}, "--beta"},
      {{"train", "--model", "vae", "--disc-hidden", "8"}, "--disc-hidden"},
      {{"train", "--epochs", "3"}, "--model"},
      {{"train", "--model", "vae", "--resume", dir / "missing.safetensors"}, "--resume"},
      {{"sample", "--weights", dir / "missing.safetensors", "--out", dir / "x.png"}, "--weights"},
      {{"sample", "--weights", weights, "--n", "0", "--out", dir / "x.png"}, "--n"},
      {{"sample", "--out", dir / "x.png"}, "--weights"},
      {{"sample", "--weights", weights}, "--out"},
      {{"interpolate", "--weights", weights, "--from", "1", "--to", "2", "--steps", "1", "--out", dir / "x.png"},
       "--steps"},
      {{"interpolate", "--weights", weights, "--from", "1", "--to", "2", "--lerp", "--slerp", "--out", dir / "x.png"},
       "--lerp"},
      {{"interpolate", "--weights", weights, "--to", "2", "--out", dir / "x.png"}, "--from"},
      {{"reconstruct", "--weights", weights, "--n", "-3", "--out", dir / "x.png"}, "--n"},
      {{"info", dir / "missing.safetensors"}, "missing.safetensors"},
  };
  for (const auto& c : cases) {
    std::string line;
    for (const auto& a : c.args) line += a + " ";
    const ProcessResult r = run_cli(c.args);
    INFO("latentlab " << line << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, c.flag));
  }
  // No command, or an unknown one, is a usage error too.
  CHECK(run_cli({}).exit_code == 2);
  CHECK(run_cli({"fly"}).exit_code == 2);
}

TEST_CASE("a missing data set fails with exit code 1 and says how to get it", "[cli]") {
  TempDir dir;
  const std::string empty = dir / "empty";
  latentlab::test::fs::create_directories(empty);

  // "mnist" looked up through LATENTLAB_DATA pointing at a directory without it.
  ProcessResult r = run_cli({"train", "--model", "vae", "--out", dir / "run1", "--quiet"}, {{"LATENTLAB_DATA", empty}});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "MNIST not found"));
  CHECK(contains(r.err, "fetch-mnist"));
  CHECK_FALSE(latentlab::test::fs::exists(dir / "run1/model.safetensors"));

  // --data naming an empty directory.
  r = run_cli({"train", "--model", "gan", "--data", empty, "--out", dir / "run2", "--quiet"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "train-images-idx3-ubyte"));

  // --data naming nothing at all.
  r = run_cli({"train", "--model", "vae", "--data", dir / "nowhere", "--out", dir / "run3", "--quiet"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "unknown data set"));
}

TEST_CASE("corrupt or unsuitable weights files are refused with exit code 1", "[cli]") {
  TempDir dir;
  train_tiny("vae", dir / "vae");
  train_tiny("gan", dir / "gan");
  const std::string good = latentlab::test::read_text(dir / "vae/model.safetensors");
  REQUIRE(good.size() > 1000);

  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> bad_files;
  bad_files.push_back({"truncated", std::vector<std::uint8_t>(good.begin(), good.begin() + good.size() / 2)});
  bad_files.push_back({"header-only", std::vector<std::uint8_t>(good.begin(), good.begin() + 8)});
  bad_files.push_back({"empty", {}});
  std::vector<std::uint8_t> noise(5000);
  latentlab::Rng rng(1234, 0);
  for (auto& b : noise) b = static_cast<std::uint8_t>(rng.next_u32());
  bad_files.push_back({"random", noise});
  // A valid safetensors file that is not a latentlab model (no "kind").
  const float value = 1.0f;
  bad_files.push_back({"foreign", latentlab::encode_safetensors({{"x", {1}, &value}}, {{"producer", "someone"}})});

  for (const auto& [name, bytes] : bad_files) {
    const std::string path = dir / (name + ".safetensors");
    latentlab::test::write_bytes(path, bytes);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"sample", "--weights", path, "--out", dir / "s.png"},
          std::vector<std::string>{"info", path},
          std::vector<std::string>{"interpolate", "--weights", path, "--from", "1", "--to", "2", "--out", dir / "i.png"},
          std::vector<std::string>{"reconstruct", "--weights", path, "--data", subset_dir(), "--out", dir / "r.png"}}) {
      const ProcessResult r = run_cli(args);
      INFO(name << " / " << args[0] << ": " << r.err);
      CHECK(r.exit_code == 1);
      CHECK(r.signal == 0);
      CHECK(contains(r.err, "cannot load weights"));
      CHECK(contains(r.err, path));
    }
  }
  CHECK_FALSE(latentlab::test::fs::exists(dir / "s.png"));

  // A GAN has no encoder: reconstruct refuses it by name.
  const ProcessResult r = run_cli({"reconstruct", "--weights", dir / "gan/model.safetensors", "--data", subset_dir(),
                                   "--out", dir / "r.png"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "needs a VAE"));
  CHECK_FALSE(latentlab::test::fs::exists(dir / "r.png"));
}

TEST_CASE("info refuses a header of 200,000 tensors from its length, without parsing it", "[cli]") {
  // 13 MB of valid JSON; parsing it took `info` 1.2 s. The length alone refuses it now.
  TempDir dir;
  std::string header = "{";
  for (int i = 0; i < 200000; ++i) {
    header += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" +
              std::to_string(4 * i) + "," + std::to_string(4 * i + 4) + "]}";
  }
  header += "}";
  std::vector<std::uint8_t> file(8);
  for (int i = 0; i < 8; ++i) file[std::size_t(i)] = static_cast<std::uint8_t>(std::uint64_t(header.size()) >> (8 * i));
  file.insert(file.end(), header.begin(), header.end());
  file.resize(file.size() + 4 * 200000, 0);
  const std::string path = dir / "many.safetensors";
  latentlab::test::write_bytes(path, file);
  const ProcessResult r = run_cli({"info", path});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "exceeds the limit of 1048576 bytes"));
}

TEST_CASE("an unwritable output fails with exit code 1 and an existing run is not replaced", "[cli]") {
  TempDir dir;
  const std::string file = dir / "a-file";
  latentlab::test::write_bytes(file, {'x'});

  // --out below a regular file cannot be created.
  ProcessResult r = run_cli({"train", "--model", "vae", "--data", subset_dir(), "--out", file + "/run", "--quiet"});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "a-file"));

  train_tiny("vae", dir / "run");
  const std::string model = latentlab::test::read_text(dir / "run/model.safetensors");
  r = run_cli({"sample", "--weights", dir / "run/model.safetensors", "--out", dir / "no/such/dir/grid.png"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "grid.png"));

  // A second run into the same directory must not silently replace the first one.
  r = run_cli({"train", "--model", "vae", "--data", subset_dir(), "--limit", "600", "--epochs", "1", "--hidden", "8",
               "--out", dir / "run", "--quiet"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--resume"));
  const bool model_unchanged = latentlab::test::read_text(dir / "run/model.safetensors") == model;
  CHECK(model_unchanged);
}

TEST_CASE("train writes samples, log, checkpoint, model and summary", "[cli]") {
  TempDir dir;
  const ProcessResult r =
      run_cli({"train", "--model", "vae", "--data", subset_dir(), "--limit", "1000", "--epochs", "2", "--hidden", "32",
               "--latent", "6", "--seed", "11", "--test-limit", "200", "--out", dir / "run"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // Not a terminal: plain progress lines, no carriage returns.
  CHECK(contains(r.out, "epoch 1/2"));
  CHECK(contains(r.out, "img/s"));
  CHECK_FALSE(contains(r.out, "\r"));

  for (const char* f : {"samples/epoch_001.png", "samples/epoch_002.png", "log.csv", "checkpoint.safetensors",
                        "model.safetensors", "summary.json"})
    CHECK(latentlab::test::fs::is_regular_file(dir / ("run/" + std::string(f))));

  const auto log = read_csv(dir / "run/log.csv");
  REQUIRE(log.size() == 3);
  CHECK(log[0] == std::vector<std::string>{"epoch", "step", "loss", "recon", "kl", "test_loss", "test_recon", "test_kl",
                                           "test_loss_mu", "seconds", "eval_seconds"});
  CHECK(log[1][0] == "1");
  CHECK(log[1][1] == "8");  // ceil(1000 / 128) steps: the partial batch of 104 counts
  CHECK(log[2][1] == "16");
  CHECK(std::stod(log[2][2]) < std::stod(log[1][2]));  // the training loss fell
  CHECK(std::stod(log[2][2]) == Approx(std::stod(log[2][3]) + std::stod(log[2][4])).epsilon(1e-6));

  const auto summary = nlohmann::json::parse(latentlab::test::read_text(dir / "run/summary.json"));
  CHECK(summary["epochs"] == 2);
  CHECK(summary["steps"] == 16);
  CHECK(summary["test_loss"].get<double>() == Approx(std::stod(log[2][5])).epsilon(1e-8));
  CHECK(summary["test_loss_mu"].get<double>() > 0);
  CHECK(summary["train_loss"].get<double>() == Approx(std::stod(log[2][2])).epsilon(1e-8));
  CHECK(summary["images_per_second"].get<double>() > 0);
  CHECK(summary["wall_seconds"].get<double>() > 0);

  const latentlab::LoadedModel model = load(dir / "run/model.safetensors");
  CHECK(model.metadata.at("trained_by").rfind("latentlab ", 0) == 0);
  CHECK(model.metadata.at("seed") == "11");
  CHECK(model.metadata.at("batch") == "128");
  CHECK(model.metadata.at("lr") == "0.001");
  CHECK(model.metadata.at("epochs") == "2");
  CHECK(contains(model.metadata.at("command_line"), "--latent 6"));
  CHECK(model.metadata.count("test_loss") == 1);

  // The last epoch's grid is exactly what `sample --seed <training seed> --n 64` draws.
  const ProcessResult s =
      run_cli({"sample", "--weights", dir / "run/model.safetensors", "--seed", "11", "--n", "64", "--out", dir / "s.png"});
  REQUIRE(s.exit_code == 0);
  CHECK(same_bytes(dir / "s.png", dir / "run/samples/epoch_002.png"));
  CHECK_FALSE(same_bytes(dir / "s.png", dir / "run/samples/epoch_001.png"));
  const Png grid = read_png(dir / "s.png");
  CHECK(grid.width == 8 * (28 * 2 + 2) + 2);  // 8 columns of 28×28 at scale 2, padding 2
  CHECK(grid.height == 8 * (28 * 2 + 2) + 2);
}

TEST_CASE("resume: a run continued from its checkpoint is bit-identical to an uninterrupted one", "[cli][checkpoint]") {
  TempDir dir;
  const std::vector<std::string> common{"--data", subset_dir(), "--limit", "2000", "--hidden", "64", "--latent", "8",
                                        "--seed", "5", "--test-limit", "300", "--quiet"};
  auto train = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "train");
    args.insert(args.end(), common.begin(), common.end());
    const ProcessResult r = run_cli(args);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  };
  train({"--model", "vae", "--epochs", "2", "--out", dir / "straight"});
  train({"--model", "vae", "--epochs", "1", "--out", dir / "split"});
  // Continue: the settings come from the checkpoint, --out defaults to its directory.
  const ProcessResult r = run_cli({"train", "--resume", dir / "split/checkpoint.safetensors", "--epochs", "2", "--quiet"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);

  const auto a = read_csv(dir / "straight/log.csv");
  const auto b = read_csv(dir / "split/log.csv");
  REQUIRE(a.size() == 3);
  REQUIRE(b.size() == 3);
  // Every loss and test column of both epochs is identical (only the timings differ).
  for (int row = 1; row <= 2; ++row)
    for (std::size_t col = 0; col < 9; ++col) {
      INFO("row " << row << " column " << a[0][col]);
      CHECK(a[row][col] == b[row][col]);
    }
  // The models are identical too, tensor by tensor.
  const auto ma = read_safetensors(dir / "straight/model.safetensors");
  const auto mb = read_safetensors(dir / "split/model.safetensors");
  REQUIRE(ma.tensors.size() == mb.tensors.size());
  for (std::size_t i = 0; i < ma.tensors.size(); ++i) {
    INFO(ma.tensors[i].name);
    CHECK(ma.tensors[i].values == mb.tensors[i].values);
  }
  CHECK(same_bytes(dir / "straight/samples/epoch_002.png", dir / "split/samples/epoch_002.png"));
}

TEST_CASE("resume refuses a checkpoint of another kind or configuration", "[cli][checkpoint]") {
  TempDir dir;
  train_tiny("vae", dir / "vae");
  const std::string ckpt = dir / "vae/checkpoint.safetensors";
  const std::string checkpoint_before = latentlab::test::read_text(ckpt);

  ProcessResult r = run_cli({"train", "--resume", ckpt, "--model", "gan", "--epochs", "2"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "vae checkpoint"));
  r = run_cli({"train", "--resume", ckpt, "--hidden", "32", "--epochs", "2"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--hidden"));
  r = run_cli({"train", "--resume", ckpt, "--batch", "64", "--epochs", "2"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--batch"));
  r = run_cli({"train", "--resume", ckpt, "--epochs", "1"});  // already done
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--epochs"));
  r = run_cli({"train", "--resume", dir / "vae/model.safetensors", "--epochs", "2"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "not a training checkpoint"));
  const bool checkpoint_unchanged = latentlab::test::read_text(ckpt) == checkpoint_before;
  CHECK(checkpoint_unchanged);
}

TEST_CASE("info reports kind and parameter count (checked against the layer sizes)", "[cli]") {
  TempDir dir;
  train_tiny("vae", dir / "vae");
  train_tiny("gan", dir / "gan");

  // VAE 784-16-4: encoder fc1, mu and logvar heads, decoder fc1 and out.
  const std::size_t vae_params = mlp_params({784, 16}) + 2 * mlp_params({16, 4}) + mlp_params({4, 16, 784});
  ProcessResult r = run_cli({"info", dir / "vae/model.safetensors"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "vae"));
  CHECK(contains(r.out, "parameters  " + std::to_string(vae_params)));
  CHECK(contains(r.out, "F32"));

  r = run_cli({"info", "--json", dir / "vae/model.safetensors"});
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["kind"] == "vae");
  CHECK(j["parameters"] == vae_params);
  CHECK(j["latent"] == 4);
  CHECK(j["stored_dtype"] == "F32");
  CHECK(j["file_bytes"] == latentlab::test::fs::file_size(dir / "vae/model.safetensors"));
  CHECK(j["metadata"]["dataset"] == subset_dir());

  // GAN: G 8→16→32→784, D (the reverse of --hidden) 784→32→16→1. The default ("stable")
  // generator adds a BatchNorm (γ and β: 2·32 parameters) after every hidden layer but the first.
  const std::size_t g = mlp_params({8, 16, 32, 784}) + 2 * 32, d = mlp_params({784, 32, 16, 1});
  r = run_cli({"info", "--json", dir / "gan/model.safetensors"});
  REQUIRE(r.exit_code == 0);
  j = nlohmann::json::parse(r.out);
  CHECK(j["kind"] == "gan");
  CHECK(j["parameters"] == g + d);
  CHECK(j["generator_parameters"] == g);
  CHECK(j["discriminator_parameters"] == d);

  r = run_cli({"info", dir / "gan/checkpoint.safetensors"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "checkpoint"));
}

TEST_CASE("sample --raw follows the shared contract z = Rng(seed, 0).fill_normal(n latents)", "[cli]") {
  TempDir dir;
  train_tiny("vae", dir / "vae");
  train_tiny("gan", dir / "gan");
  for (const char* kind : {"vae", "gan"}) {
    const std::string weights = dir / (std::string(kind) + "/model.safetensors");
    const ProcessResult r = run_cli({"sample", "--weights", weights, "--n", "5", "--seed", "77", "--raw", dir / "raw.json"});
    INFO(kind << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(latentlab::test::read_text(dir / "raw.json"));
    CHECK(j["weights"] == weights);
    CHECK(j["seed"] == 77);
    CHECK(j["n"] == 5);
    const std::vector<float> pixels = j["pixels"].get<std::vector<float>>();
    REQUIRE(pixels.size() == 5 * 784);

    // The same images computed here from the contract.
    latentlab::LoadedModel model = load(weights);
    std::vector<float> z(5 * std::size_t(model->latent_dim()));
    latentlab::Rng(77, 0).fill_normal(z.data(), z.size());
    std::vector<float> expected(5 * 784);
    if (auto* vae = dynamic_cast<latentlab::Vae*>(model.model.get())) {
      vae->decode(z.data(), nullptr, 5, expected.data());
    } else {
      dynamic_cast<latentlab::Gan&>(*model).generate(z.data(), 5, expected.data());
      for (float& p : expected) p = (p + 1.0f) / 2.0f;
    }
    for (std::size_t i = 0; i < pixels.size(); ++i) {
      INFO("pixel " << i);
      REQUIRE(pixels[i] == expected[i]);  // 9 significant digits give back the float exactly
    }
  }
}

TEST_CASE("interpolate: first and last frames are the two seeds samples, the lerp middle is the mean latent",
          "[cli]") {
  TempDir dir;
  train_tiny("vae", dir / "vae");
  const std::string weights = dir / "vae/model.safetensors";
  ProcessResult r = run_cli({"interpolate", "--weights", weights, "--from", "3", "--to", "9", "--steps", "5", "--raw",
                             dir / "slerp.json", "--out", dir / "strip.png"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const Png strip = read_png(dir / "strip.png");
  CHECK(strip.width == 5 * (28 * 2 + 2) + 2);  // one row of 5 frames
  CHECK(strip.height == 28 * 2 + 2 + 2);

  auto pixels_of = [&](const std::string& path) {
    return nlohmann::json::parse(latentlab::test::read_text(path))["pixels"].get<std::vector<float>>();
  };
  const std::vector<float> frames = pixels_of(dir / "slerp.json");
  REQUIRE(frames.size() == 5 * 784);
  REQUIRE(run_cli({"sample", "--weights", weights, "--n", "1", "--seed", "3", "--raw", dir / "a.json"}).exit_code == 0);
  REQUIRE(run_cli({"sample", "--weights", weights, "--n", "1", "--seed", "9", "--raw", dir / "b.json"}).exit_code == 0);
  const std::vector<float> a = pixels_of(dir / "a.json"), b = pixels_of(dir / "b.json");
  for (std::size_t i = 0; i < 784; ++i) {
    REQUIRE(frames[i] == Approx(a[i]).margin(1e-5));
    REQUIRE(frames[4 * 784 + i] == Approx(b[i]).margin(1e-5));
  }

  // lerp: frame 1 of 3 decodes (z_a + z_b) / 2.
  r = run_cli({"interpolate", "--weights", weights, "--from", "3", "--to", "9", "--steps", "3", "--lerp", "--raw",
               dir / "lerp.json"});
  REQUIRE(r.exit_code == 0);
  const std::vector<float> lerp = pixels_of(dir / "lerp.json");
  latentlab::LoadedModel model = load(weights);
  const int latent = model->latent_dim();
  std::vector<float> za(latent), zb(latent), mid(latent), expected(784);
  latentlab::Rng(3, 0).fill_normal(za.data(), za.size());
  latentlab::Rng(9, 0).fill_normal(zb.data(), zb.size());
  for (int k = 0; k < latent; ++k) mid[k] = 0.5f * za[k] + 0.5f * zb[k];
  model->decode(mid.data(), nullptr, 1, expected.data());
  for (std::size_t i = 0; i < 784; ++i) REQUIRE(lerp[784 + i] == Approx(expected[i]).margin(1e-5));
  // slerp's middle frame differs from lerp's (it keeps the latent's norm).
  r = run_cli({"interpolate", "--weights", weights, "--from", "3", "--to", "9", "--steps", "3", "--raw",
               dir / "slerp3.json"});
  const std::vector<float> slerp3 = pixels_of(dir / "slerp3.json");
  double diff = 0;
  for (std::size_t i = 0; i < 784; ++i) diff += std::abs(slerp3[784 + i] - lerp[784 + i]);
  CHECK(diff > 1e-3);
}

TEST_CASE("reconstruct puts each test image above its reconstruction", "[cli]") {
  TempDir dir;
  train_tiny("vae", dir / "vae");
  const ProcessResult r = run_cli({"reconstruct", "--weights", dir / "vae/model.safetensors", "--n", "20", "--out",
                                   dir / "recon.png", "--scale", "1"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "reconstruction BCE"));
  // 20 images → rows of 16: originals 0–15, their reconstructions, originals 16–19, theirs.
  const Png png = read_png(dir / "recon.png");
  REQUIRE(png.width == 16 * (28 + 2) + 2);
  REQUIRE(png.height == 4 * (28 + 2) + 2);
  // Grid cell (row, col) starts at pixel (2 + 30·col, 2 + 30·row). Original test image k must
  // appear unchanged in the cells of the original rows.
  const latentlab::test::RawMnist raw = latentlab::test::read_raw_mnist();
  auto cell_equals_test_image = [&](int row, int col, std::size_t k) {
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x)
        if (png.gray[std::size_t(2 + 30 * row + y) * png.width + std::size_t(2 + 30 * col + x)] !=
            raw.test_images.pixels[k * 784 + std::size_t(y) * 28 + std::size_t(x)])
          return false;
    return true;
  };
  CHECK(cell_equals_test_image(0, 0, 0));
  CHECK(cell_equals_test_image(0, 15, 15));
  CHECK(cell_equals_test_image(2, 3, 19));
  CHECK_FALSE(cell_equals_test_image(1, 0, 0));  // a reconstruction, not a copy
}

TEST_CASE("progress line format", "[cli]") {
  const std::string line = latentlab::native::format_progress_line(
      3, 10, 234, 469, 7012.4, 4.2, {{"loss", 112.351}, {"recon", 90.102}, {"kl", 22.249}});
  CHECK(contains(line, "epoch 3/10"));
  CHECK(contains(line, "234/469 steps"));
  CHECK(contains(line, "7012 img/s"));
  CHECK(contains(line, "ETA 0:04"));
  CHECK(contains(line, "loss 112.4"));
  CHECK(contains(line, "kl 22.25"));
}

TEST_CASE("export re-encodes as F16 and keeps only the generator on request and rejects bad input", "[cli]") {
  TempDir dir;
  train_tiny("vae", dir / "vae");
  train_tiny("gan", dir / "gan");

  ProcessResult r = run_cli({"export", dir / "vae/model.safetensors", "--out", dir / "vae16.safetensors"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  r = run_cli({"info", "--json", dir / "vae16.safetensors"});
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["stored_dtype"] == "F16");
  // F16 stores 2 bytes per parameter instead of 4: the file is a little over half the size.
  const auto f32_bytes = latentlab::test::fs::file_size(dir / "vae/model.safetensors");
  const auto f16_bytes = latentlab::test::fs::file_size(dir / "vae16.safetensors");
  CHECK(f16_bytes < f32_bytes * 6 / 10);

  r = run_cli({"export", dir / "gan/model.safetensors", "--generator-only", "--out", dir / "g.safetensors"});
  REQUIRE(r.exit_code == 0);
  r = run_cli({"info", "--json", dir / "g.safetensors"});
  REQUIRE(r.exit_code == 0);
  j = nlohmann::json::parse(r.out);
  CHECK(j["discriminator_parameters"] == 0);
  CHECK(j["generator_parameters"] == j["parameters"]);

  // A VAE has no separate generator; a corrupt input writes nothing.
  r = run_cli({"export", dir / "vae/model.safetensors", "--generator-only", "--out", dir / "x.safetensors"});
  CHECK(r.exit_code == 2);
  {
    std::ofstream bad(dir / "bad.safetensors", std::ios::binary);
    bad << "not a safetensors file at all";
  }
  r = run_cli({"export", dir / "bad.safetensors", "--out", dir / "y.safetensors"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "safetensors"));
  CHECK_FALSE(latentlab::test::fs::exists(dir / "y.safetensors"));
}
