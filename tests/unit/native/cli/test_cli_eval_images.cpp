// `latentlab eval --images FILE` (images made by any tool) and `eval --data DIR` recognising the
// MNIST / Fashion-MNIST test sets by content, run as subprocesses.
//
// The .npy file is written the way a PyTorch user writes samples (tests/reference/write_npy_images.py:
// a float32 torch tensor (N, 1, 28, 28) → .numpy() → np.save, run with Debian's python3-torch).
// It holds real MNIST test digits, so its scores can be checked against the same digits given
// as an IDX file (identical numbers) and against noise (far worse).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/cli.hpp"

namespace fs = latentlab::test::fs;
using latentlab::test::ProcessResult;
using latentlab::test::run_cli;
using latentlab::test::TempDir;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

std::string shipped(const std::string& data) {
  return std::string(LATENTLAB_SOURCE_DIR) + "/native/models/classifier-" + data + ".safetensors";
}
std::string mnist_file(const std::string& name) { return latentlab::test::mnist_data_root() + "/mnist/" + name; }

// A small data directory (2000 train, 300 test real MNIST digits) for the fast runs.
const std::string& subset_dir() {
  static TempDir dir;
  static const std::string path = [] {
    latentlab::test::write_mnist_subset_dir(dir / "subset", 2000, 300);
    return dir / "subset";
  }();
  return path;
}

// tests/reference/write_npy_images.py with Debian's torch; the test fails (not skips) without it.
void write_npy_with_torch(const std::string& out, int n, bool noise = false) {
  const std::string command = "/usr/bin/python3 " + std::string(LATENTLAB_SOURCE_DIR) +
                              "/tests/reference/write_npy_images.py '" + mnist_file("t10k-images-idx3-ubyte") +
                              "' " + std::to_string(n) + " '" + out + "'" + (noise ? " --noise" : "") + " 2>&1";
  INFO(command << "\n(needs Debian's python3-torch: apt-get install python3-torch)");
  REQUIRE(std::system(command.c_str()) == 0);
  REQUIRE(fs::exists(out));
}

nlohmann::json eval_json(const std::vector<std::string>& args) {
  std::vector<std::string> all{"eval", "--json", "--quiet"};
  all.insert(all.end(), args.begin(), args.end());
  const ProcessResult r = run_cli(all);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("eval --images scores a PyTorch-made .npy exactly as the same digits in an IDX file, and noise far worse",
          "[cli][evaluation][npy]") {
  TempDir dir;
  const std::string npy = dir / "torch_digits.npy", noise = dir / "torch_noise.npy", idx = dir / "digits.idx";
  write_npy_with_torch(npy, 1000);
  write_npy_with_torch(noise, 1000, true);
  {  // The same 1000 digits as IDX u8.
    const auto raw = latentlab::native::read_idx_images(mnist_file("t10k-images-idx3-ubyte"));
    std::vector<std::uint8_t> b{0, 0, 8, 3, 0, 0, 0x03, 0xe8, 0, 0, 0, 28, 0, 0, 0, 28};
    b.insert(b.end(), raw.pixels.begin(), raw.pixels.begin() + 1000 * 784);
    latentlab::test::write_bytes(idx, b);
  }
  const std::vector<std::string> data{"--data", subset_dir(), "--classifier", shipped("mnist")};
  auto with = [&](const std::string& flag, const std::string& file) {
    std::vector<std::string> a{flag, file};
    a.insert(a.end(), data.begin(), data.end());
    return a;
  };
  const nlohmann::json from_npy = eval_json(with("--images", npy));
  const nlohmann::json from_idx = eval_json(with("--images", idx));
  const nlohmann::json from_noise = eval_json(with("--images", noise));

  REQUIRE(from_npy["models"].size() == 1);
  const nlohmann::json& m = from_npy["models"][0];
  CHECK(m["kind"] == "images");
  CHECK(m["images"] == npy);
  CHECK(from_npy["samples"] == 1000);
  for (const char* key : {"fd", "classes_covered", "kl_uniform", "is_score", "confidence"}) {
    INFO(key);
    REQUIRE(m.contains(key));
    // p/255 in float32 (torch) and pixel_value (latentlab) are the same correctly rounded quotient.
    CHECK(m[key] == from_idx["models"][0][key]);
  }
  CHECK(m["histogram"] == from_idx["models"][0]["histogram"]);
  CHECK_FALSE(m.contains("test_loss"));  // no model: no VAE metrics
  // Real digits: all ten classes, near the real-vs-real floor; noise: far from it.
  CHECK(m["classes_covered"] == 10);
  const double floor = from_npy["real"]["fd"].get<double>();
  CHECK(m["fd"].get<double>() < 3 * floor + 1);
  CHECK(from_noise["models"][0]["fd"].get<double>() > 10 * m["fd"].get<double>());

  // The data directory's own training images are exactly the FD floor's first set: the same number.
  const nlohmann::json train = eval_json(with("--images", subset_dir() + "/train-images-idx3-ubyte"));
  CHECK(train["models"][0]["fd"] == train["real"]["fd"]);

  // The table names the file.
  const ProcessResult table = run_cli({"eval", "--images", npy, "--data", subset_dir(), "--classifier", shipped("mnist"),
                                       "--quiet"});
  INFO(table.err);
  CHECK(table.exit_code == 0);
  CHECK(contains(table.out, "torch_digits.npy"));
  CHECK(contains(table.out, "images"));
}

TEST_CASE("eval --images refuses bad files and flag combinations with a clear message", "[cli][evaluation][npy]") {
  TempDir dir;
  const std::vector<std::string> data{"--data", subset_dir(), "--classifier", shipped("mnist"), "--quiet"};
  auto run = [&](const std::string& file) {
    std::vector<std::string> a{"eval", "--images", file};
    a.insert(a.end(), data.begin(), data.end());
    return run_cli(a);
  };
  struct Case {
    const char* name;
    std::string header;
    std::size_t data_bytes;
    const char* message;
  };
  const std::string f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 28, 28), }";
  const std::vector<Case> cases = {
      {"float64.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 28, 28), }", 2 * 784 * 8, "float64"},
      {"fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 28, 28), }", 2 * 784 * 4, "fortran_order"},
      {"truncated.npy", f4, 2 * 784 * 4 - 5, "truncated"},
      {"small.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 14, 14), }", 2 * 196 * 4, "14 x 14"},
  };
  for (const Case& c : cases) {
    std::vector<std::uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                   static_cast<std::uint8_t>(c.header.size() + 1), 0};
    b.insert(b.end(), c.header.begin(), c.header.end());
    b.push_back('\n');
    b.resize(b.size() + c.data_bytes, 0);
    latentlab::test::write_bytes(dir / c.name, b);
    const ProcessResult r = run(dir / c.name);
    INFO(c.name << ": " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.signal == 0);
    CHECK(contains(r.err, c.message));
  }
  // NaN pixels (float32 0x7fc00000 little-endian) after a valid header.
  {
    std::vector<std::uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<std::uint8_t>(f4.size() + 1), 0};
    b.insert(b.end(), f4.begin(), f4.end());
    b.push_back('\n');
    for (int i = 0; i < 2 * 784; ++i) b.insert(b.end(), {0, 0, 0xc0, 0x7f});
    latentlab::test::write_bytes(dir / "nan.npy", b);
    const ProcessResult r = run(dir / "nan.npy");
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "value nan at image 0, pixel 0"));
  }
  // Neither .npy nor IDX.
  latentlab::test::write_bytes(dir / "text.txt", {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'});
  ProcessResult r = run(dir / "text.txt");
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "--images reads IDX u8 images"));
  // A missing file, both --images and --weights, neither.
  CHECK(run(dir / "missing.npy").exit_code == 2);
  r = run_cli({"eval", "--images", dir / "text.txt", "--weights", dir / "text.txt"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "excludes"));
  r = run_cli({"eval", "--data", subset_dir()});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--weights FILE (a VAE or GAN) or --images FILE"));
}

TEST_CASE("eval --data DIR recognises the MNIST and Fashion-MNIST test sets by content", "[cli][evaluation]") {
  TempDir dir;
  const std::string images = dir / "digits.npy";
  write_npy_with_torch(images, 200);
  // Full data sets under other names: MNIST plain, Fashion-MNIST gzip.
  fs::create_directories(dir / "m");
  fs::create_directories(dir / "f");
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                           "t10k-labels-idx1-ubyte"}) {
    fs::create_symlink(mnist_file(name), dir / ("m/" + std::string(name)));
    fs::create_symlink(std::string(latentlab::native::kFashionMnistDir) + "/" + name + ".gz",
                       dir / ("f/" + std::string(name) + ".gz"));
  }
  for (const auto& [sub, data] : {std::pair<const char*, const char*>{"m", "mnist"}, {"f", "fashion"}}) {
    INFO(data);
    const ProcessResult r = run_cli({"eval", "--images", images, "--data", dir / sub, "--json", "--samples", "200"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    CHECK(contains(j["classifier"].get<std::string>(), "classifier-" + std::string(data) + ".safetensors"));
    CHECK(contains(r.err, "test set (SHA-256): using the shipped classifier"));
  }
  // A subset of MNIST's test set is not MNIST's test set: today's clear error stays.
  const ProcessResult r = run_cli({"eval", "--images", images, "--data", subset_dir(), "--quiet"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--classifier is required"));
  CHECK(contains(r.err, "SHA-256"));
}
