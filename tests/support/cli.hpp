// Helpers for the tests of the CLI, the trainers and checkpoints: temporary directories, a
// small real-MNIST data set on disk, and running the built `latentlab` binary as a subprocess.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "data/datasets.hpp"
#include "data/idx.hpp"

namespace latentlab::test {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "latentlab-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// The directory that holds mnist/: $LATENTLAB_DATA, else <source>/data (scripts/fetch-mnist).
inline std::string mnist_data_root() {
  if (const char* env = std::getenv("LATENTLAB_DATA"); env && *env) return env;
  return std::string(LATENTLAB_SOURCE_DIR) + "/data";
}

// The real MNIST files (raw bytes); fails the test with a hint when they are absent.
struct RawMnist {
  latentlab::native::IdxImages train_images, test_images;
  latentlab::native::IdxLabels train_labels, test_labels;
};
inline RawMnist read_raw_mnist() {
  const std::string dir = mnist_data_root() + "/mnist/";
  RawMnist m;
  try {
    m.train_images = latentlab::native::read_idx_images(dir + "train-images-idx3-ubyte");
    m.train_labels = latentlab::native::read_idx_labels(dir + "train-labels-idx1-ubyte");
    m.test_images = latentlab::native::read_idx_images(dir + "t10k-images-idx3-ubyte");
    m.test_labels = latentlab::native::read_idx_labels(dir + "t10k-labels-idx1-ubyte");
  } catch (const std::exception& e) {
    FAIL("these tests train on real MNIST: run scripts/fetch-mnist or set LATENTLAB_DATA (" << e.what() << ")");
  }
  return m;
}

// The first n_train / n_test images of real MNIST as a Dataset pair (bytes, like load_dataset).
inline latentlab::native::DatasetPair mnist_subset(std::size_t n_train, std::size_t n_test) {
  const RawMnist raw = read_raw_mnist();
  auto convert = [](const latentlab::native::IdxImages& img, const latentlab::native::IdxLabels& lab, std::size_t n) {
    latentlab::native::Dataset d;
    d.name = "mnist";
    d.rows = static_cast<int>(img.rows);
    d.cols = static_cast<int>(img.cols);
    d.count = n;
    d.num_classes = 10;
    const std::size_t pixels = std::size_t(img.rows) * img.cols;
    d.pixels.assign(img.pixels.begin(), img.pixels.begin() + static_cast<std::ptrdiff_t>(n * pixels));
    d.labels.assign(lab.labels.begin(), lab.labels.begin() + static_cast<std::ptrdiff_t>(n));
    return d;
  };
  REQUIRE(raw.train_images.count >= n_train);
  REQUIRE(raw.test_images.count >= n_test);
  return {convert(raw.train_images, raw.train_labels, n_train), convert(raw.test_images, raw.test_labels, n_test)};
}

// Writes the first n_train / n_test real MNIST images as an IDX data-set directory, so CLI runs
// (--data DIR) train on real digits without parsing all 70,000 images in every process.
inline void write_mnist_subset_dir(const std::string& dir, std::size_t n_train, std::size_t n_test) {
  const RawMnist raw = read_raw_mnist();
  fs::create_directories(dir);
  auto be32 = [](std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
  };
  auto images = [&](const latentlab::native::IdxImages& img, std::size_t n, const std::string& name) {
    std::vector<std::uint8_t> out;
    be32(out, 0x00000803);
    be32(out, static_cast<std::uint32_t>(n));
    be32(out, img.rows);
    be32(out, img.cols);
    out.insert(out.end(), img.pixels.begin(), img.pixels.begin() + static_cast<std::ptrdiff_t>(n * img.rows * img.cols));
    write_bytes(dir + "/" + name, out);
  };
  auto labels = [&](const latentlab::native::IdxLabels& lab, std::size_t n, const std::string& name) {
    std::vector<std::uint8_t> out;
    be32(out, 0x00000801);
    be32(out, static_cast<std::uint32_t>(n));
    out.insert(out.end(), lab.labels.begin(), lab.labels.begin() + static_cast<std::ptrdiff_t>(n));
    write_bytes(dir + "/" + name, out);
  };
  images(raw.train_images, n_train, "train-images-idx3-ubyte");
  labels(raw.train_labels, n_train, "train-labels-idx1-ubyte");
  images(raw.test_images, n_test, "t10k-images-idx3-ubyte");
  labels(raw.test_labels, n_test, "t10k-labels-idx1-ubyte");
}

struct ProcessResult {
  int exit_code = -1;  // -1 if the process did not exit normally (e.g. a crash)
  int signal = 0;
  std::string out, err;
};

// Runs the built CLI with `args`; `env` entries are set (or, with an empty value, set empty)
// in the child only. stdout/stderr are captured through files in `scratch`.
inline ProcessResult run_cli(const std::vector<std::string>& args,
                             const std::vector<std::pair<std::string, std::string>>& env = {}) {
  TempDir scratch;
  const std::string out_path = scratch / "stdout", err_path = scratch / "stderr";
  std::vector<std::string> argv_storage{LATENTLAB_CLI_PATH};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) ::_exit(125);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    for (const auto& [key, value] : env) ::setenv(key.c_str(), value.c_str(), 1);
    ::execv(argv[0], argv.data());
    ::_exit(126);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) REQUIRE(errno == EINTR);
  ProcessResult r;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = read_text(out_path);
  r.err = read_text(err_path);
  return r;
}

// A training run's log.csv without its wall-time columns (every column whose header name ends in
// "seconds": seconds, eval_seconds, quality_seconds), one string per row: what a resumed run must
// reproduce exactly.
inline std::vector<std::string> log_without_timings(const std::string& path) {
  std::istringstream in(read_text(path));
  std::vector<std::string> rows;
  std::vector<bool> timing;  // per column: is it wall time?
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    if (timing.empty())
      for (const std::string& name : cells)
        timing.push_back(name.size() >= 7 && name.compare(name.size() - 7, 7, "seconds") == 0);
    std::string kept;
    for (std::size_t i = 0; i < cells.size(); ++i)
      if (i >= timing.size() || !timing[i]) kept += cells[i] + ",";
    rows.push_back(kept);
  }
  return rows;
}

}  // namespace latentlab::test
