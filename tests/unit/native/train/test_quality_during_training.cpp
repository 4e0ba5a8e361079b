// The evaluation during training (--eval-every with a classifier: FD, classes covered, KL to
// uniform, confidence; best.safetensors; collapse warnings) and the VAE's --kl-warmup:
//   CollapseWatch on synthetic sequences (best = first minimum FD, the three collapse rules,
//     its state through checkpoint metadata)
//   the β_t schedule of VaeTrainer with --kl-warmup, step by step
//   the real `latentlab` on a small MNIST subset: the new log columns (empty where not
//     evaluated), best.safetensors = the model of the minimum-FD epoch, summary.json's best,
//     a resumed run with eval-every and kl-warmup bit-identical to an uninterrupted one, and a
//     data directory without a classifier: a message and no quality columns.
#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/cli.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/io/safetensors.hpp"
#include "train/collapse_watch.hpp"
#include "train/vae_trainer.hpp"

using latentlab::test::ProcessResult;
using latentlab::test::run_cli;
using latentlab::test::TempDir;
using namespace latentlab;
using namespace latentlab::native;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

std::vector<std::string> split_line(const std::string& line) {
  std::vector<std::string> values;
  std::size_t start = 0;
  for (std::size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1)
    values.push_back(line.substr(start, comma - start));
  values.push_back(line.substr(start));
  return values;
}

std::vector<std::vector<std::string>> csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  const std::string text = latentlab::test::read_text(path);
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    rows.push_back(split_line(text.substr(start, end - start)));
  return rows;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  FAIL("no column " << name);
  return 0;
}

std::string shipped_classifier() { return std::string(LATENTLAB_SOURCE_DIR) + "/native/models/classifier-mnist.safetensors"; }

const std::string& subset_dir() {
  static TempDir dir;
  static const std::string path = [] {
    latentlab::test::write_mnist_subset_dir(dir / "mnist-subset", 2000, 300);
    return dir / "mnist-subset";
  }();
  return path;
}

SafetensorsContents read_safetensors(const std::string& path) {
  const std::string text = latentlab::test::read_text(path);
  auto decoded = decode_safetensors(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  REQUIRE(decoded);
  return decoded.take();
}

bool same_tensors(const std::string& a, const std::string& b) {
  const SafetensorsContents x = read_safetensors(a), y = read_safetensors(b);
  if (x.tensors.size() != y.tensors.size()) return false;
  for (std::size_t i = 0; i < x.tensors.size(); ++i)
    if (x.tensors[i].name != y.tensors[i].name || x.tensors[i].values != y.tensors[i].values) return false;
  return true;
}

}  // namespace

TEST_CASE("CollapseWatch: the best is the first minimum FD and the collapse rules fire as documented", "[collapse]") {
  SECTION("best epoch and FD") {
    CollapseWatch w(10);
    const double fds[] = {80, 60, 70, 60, 55, 90};
    const int best_after[] = {1, 2, 2, 2, 5, 5};
    for (int e = 1; e <= 6; ++e) {
      const auto v = w.observe(e, fds[e - 1], 10);
      CHECK(v.best == (best_after[e - 1] == e));
      CHECK(w.best_epoch() == best_after[e - 1]);
    }
    CHECK(w.best_fd() == 55);
  }
  SECTION("classes covered below K - 1 after K - 1 were reached") {
    CollapseWatch w(10);
    CHECK(w.observe(1, 90, 7).collapse.empty());  // an early model that never drew 9 classes: still learning
    CHECK(w.observe(2, 80, 7).collapse.empty());
    CHECK(w.observe(3, 50, 9).collapse.empty());  // 9 of 10 is fine
    const auto v = w.observe(4, 40, 8);
    CHECK(contains(v.collapse, "classes covered 8 of 10"));
    CHECK(v.best);  // a collapsed epoch can still have the lowest FD: both are reported
  }
  SECTION("two classes lost from the most so far") {
    CollapseWatch w(20);
    CHECK(w.observe(1, 50, 20).collapse.empty());
    CHECK(w.observe(2, 50, 19).collapse.empty());  // one lost: not yet
    CHECK(contains(w.observe(3, 50, 18).collapse, "most so far 20"));
  }
  SECTION("FD rises above 1.5 x the best") {
    CollapseWatch w(10);
    CHECK(w.observe(1, 40, 10).collapse.empty());  // no best before the first epoch
    CHECK(w.observe(2, 60, 10).collapse.empty());  // exactly 1.5 x: not above
    CHECK(contains(w.observe(3, 60.01, 10).collapse, "FD 60.0 > 1.5 x the best 40.0 (epoch 1)"));
    CHECK(contains(w.observe(4, NAN, 10).collapse, "not finite"));
    CHECK(w.best_epoch() == 1);  // a NaN FD is never the best
  }
  SECTION("the state survives checkpoint metadata exactly") {
    CollapseWatch w(10);
    w.observe(1, 123.456789012345678, 10);
    w.observe(2, 130, 9);
    Metadata m;
    w.store(m);
    CollapseWatch r(10);
    r.restore(m);
    CHECK(r.best_epoch() == 1);
    CHECK(r.best_fd() == w.best_fd());  // bit for bit
    CHECK(r.most_classes() == 10);
    // ...and it judges the next epoch as the original does.
    CHECK(r.observe(3, 190, 8).collapse == w.observe(3, 190, 8).collapse);
    CollapseWatch empty(10);
    Metadata none;
    empty.store(none);
    CHECK(none.empty());
  }
}

TEST_CASE("KL warm-up: beta_t = beta * min(1, t / (EPOCHS * steps per epoch)), t = steps done", "[klwarmup]") {
  const DatasetPair data = latentlab::test::mnist_subset(256, 10);
  VaeConfig config;
  config.hidden = {16};
  config.latent = 4;
  config.beta = 2.0f;
  TrainingOptions options;
  options.batch = 64;  // 4 steps per epoch over 256 images
  options.kl_warmup_epochs = 2;
  VaeTrainer trainer(config, options);
  std::vector<float> seen;
  for (int epoch = 0; epoch < 3; ++epoch)
    trainer.train_epoch(data.train, 256, [&](std::size_t, std::size_t, const Metrics&) {
      seen.push_back(trainer.kl_weight());  // the weight of the NEXT step
    });
  // Steps 1…12; after step k the next step has t = k: 2·k/8 until k = 8, then 2.
  REQUIRE(seen.size() == 12);
  for (std::size_t k = 1; k <= 12; ++k) {
    INFO("after step " << k);
    CHECK(seen[k - 1] == Approx(k < 8 ? 2.0 * static_cast<double>(k) / 8.0 : 2.0).epsilon(1e-7));
  }
  CHECK(trainer.vae().kl_weight() == 2.0f);  // outside a step the model keeps the configured beta

  // The first step has beta_0 = 0: its loss is the reconstruction alone (and KL > 0 is logged);
  // without a warm-up it is recon + 2 KL.
  auto first_step = [&](int warmup) {
    options.kl_warmup_epochs = warmup;
    VaeTrainer t(config, options);
    Metrics first;
    t.train_epoch(data.train, 256, [&](std::size_t steps, std::size_t, const Metrics& running) {
      if (steps == 1) first = running;
    });
    return first;
  };
  const Metrics warm = first_step(2), plain = first_step(0);
  CHECK(metric(warm, "kl") > 0);
  CHECK(metric(warm, "loss") == metric(warm, "recon"));
  CHECK(metric(plain, "loss") == Approx(metric(plain, "recon") + 2.0 * metric(plain, "kl")).epsilon(1e-9));

  // The conv VAE's trainer is the same template: its first warm-up step optimises the
  // reconstruction alone too, and its β_t follows the same ramp.
  ConvVaeConfig conv;
  conv.channels = {2, 4};
  conv.fc = 8;
  conv.latent = 4;
  conv.beta = 2.0f;
  auto conv_first_step = [&](int warmup) {
    options.kl_warmup_epochs = warmup;
    ConvVaeTrainer t(conv, options);
    Metrics first;
    float next_weight = 0;
    t.train_epoch(data.train, 256, [&](std::size_t steps, std::size_t, const Metrics& running) {
      if (steps != 1) return;
      first = running;
      next_weight = t.kl_weight();
    });
    return std::make_pair(first, next_weight);
  };
  const auto [conv_warm, conv_warm_next] = conv_first_step(2);
  const auto [conv_plain, conv_plain_next] = conv_first_step(0);
  CHECK(metric(conv_warm, "kl") > 0);
  CHECK(metric(conv_warm, "loss") == metric(conv_warm, "recon"));
  CHECK(conv_warm_next == Approx(2.0 * 1.0 / 8.0).epsilon(1e-7));  // t = 1 of 2 epochs × 4 steps
  CHECK(metric(conv_plain, "loss") == Approx(metric(conv_plain, "recon") + 2.0 * metric(conv_plain, "kl")).epsilon(1e-9));
  CHECK(conv_plain_next == 2.0f);
}

TEST_CASE("train --eval-every with a classifier logs FD and classes, keeps best.safetensors, resumes bit-identically",
          "[cli][quality]") {
  TempDir dir;
  const std::vector<std::string> common{"--model", "vae", "--data", subset_dir(), "--limit", "1000", "--hidden", "32",
                                        "--latent", "6", "--seed", "3", "--test-limit", "300", "--classifier",
                                        shipped_classifier(), "--kl-warmup", "3", "--quiet"};  // the ramp spans the resume
  auto train = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "train");
    args.insert(args.end(), common.begin(), common.end());
    const ProcessResult r = run_cli(args);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return r;
  };
  const ProcessResult straight = train({"--epochs", "4", "--eval-every", "2", "--out", dir / "straight"});
  CHECK(contains(straight.out, "fd "));
  CHECK(contains(straight.out, "classes "));

  const auto log = csv(dir / "straight/log.csv");
  REQUIRE(log.size() == 5);
  const std::vector<std::string>& h = log[0];
  const std::size_t fd = column(h, "fd"), classes = column(h, "classes_covered"), collapse = column(h, "collapse");
  column(h, "kl_uniform");
  column(h, "confidence");
  column(h, "quality_seconds");
  // Evaluated at epochs 2 and 4 only.
  CHECK(log[1][fd].empty());
  CHECK(log[3][fd].empty());
  CHECK(log[1][collapse].empty());
  REQUIRE_FALSE(log[2][fd].empty());
  REQUIRE_FALSE(log[4][fd].empty());
  const double fd2 = std::stod(log[2][fd]), fd4 = std::stod(log[4][fd]);
  CHECK(std::isfinite(fd2));
  CHECK(fd2 > 0);
  const int covered = std::stoi(log[4][classes]);
  CHECK(covered >= 0);
  CHECK(covered <= 10);
  CHECK((log[4][collapse] == "0" || log[4][collapse] == "1"));

  // best.safetensors: the model of the minimum-FD epoch, which summary.json names.
  const int best_epoch = fd4 < fd2 ? 4 : 2;
  const auto summary = nlohmann::json::parse(latentlab::test::read_text(dir / "straight/summary.json"));
  CHECK(summary["best_epoch"] == best_epoch);
  CHECK(summary["best_fd"].get<double>() == Approx(std::min(fd2, fd4)).epsilon(1e-8));
  const SafetensorsContents best = read_safetensors(dir / "straight/best.safetensors");
  CHECK(best.metadata.at("epochs") == std::to_string(best_epoch));
  CHECK(std::stod(best.metadata.at("fd")) == Approx(std::min(fd2, fd4)).epsilon(1e-8));
  CHECK(same_tensors(dir / "straight/best.safetensors", dir / "straight/model.safetensors") == (best_epoch == 4));
  CHECK(best.metadata.at("kl_warmup") == "3");

  // Two epochs, then resume to four: every value but the timings equal, the same best model.
  train({"--epochs", "2", "--eval-every", "2", "--out", dir / "split"});
  const ProcessResult r = run_cli({"train", "--resume", dir / "split/checkpoint.safetensors", "--epochs", "4", "--quiet"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto resumed = csv(dir / "split/log.csv");
  REQUIRE(resumed.size() == log.size());
  CHECK(resumed[0] == h);
  for (std::size_t row = 1; row < log.size(); ++row)
    for (std::size_t col = 0; col < h.size(); ++col) {
      if (h[col] == "seconds" || h[col] == "eval_seconds" || h[col] == "quality_seconds") continue;
      INFO("row " << row << " column " << h[col]);
      CHECK(log[row][col] == resumed[row][col]);
    }
  CHECK(same_tensors(dir / "straight/model.safetensors", dir / "split/model.safetensors"));
  CHECK(same_tensors(dir / "straight/best.safetensors", dir / "split/best.safetensors"));
  const auto summary2 = nlohmann::json::parse(latentlab::test::read_text(dir / "split/summary.json"));
  CHECK(summary2["best_epoch"] == summary["best_epoch"]);
  CHECK(summary2["best_fd"] == summary["best_fd"]);
}

TEST_CASE("train on a data directory without a classifier says so and logs no quality columns", "[cli][quality]") {
  TempDir dir;
  const ProcessResult r = run_cli({"train", "--model", "gan", "--data", subset_dir(), "--limit", "200", "--epochs", "1",
                                   "--hidden", "16,32", "--latent", "8", "--batch", "50", "--out", dir / "run", "--quiet"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "no classifier judges the data set"));
  CHECK(contains(r.out, "--classifier FILE"));
  const auto log = csv(dir / "run/log.csv");
  CHECK(std::find(log[0].begin(), log[0].end(), "fd") == log[0].end());
  CHECK_FALSE(latentlab::test::fs::exists(dir / "run/best.safetensors"));
}
