// Named data sets for the trainer: MNIST, Fashion-MNIST, or any directory of IDX files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace latentlab::native {

struct Dataset {
  std::string name;               // "mnist", "fashion", or the directory's name
  int rows = 0, cols = 0;         // image size, e.g. 28 × 28
  size_t count = 0;               // number of images
  int num_classes = 0;            // labels are 0..num_classes-1 (10 for MNIST and Fashion-MNIST)
  // count × rows × cols bytes (0…255), row-major, as stored in the IDX file. Bytes, not floats:
  // MNIST's training set is 47 MB instead of 188 MB, which is most of a training run's memory.
  std::vector<uint8_t> pixels;
  std::vector<uint8_t> labels;    // count

  size_t image_size() const { return size_t(rows) * size_t(cols); }
  const uint8_t* image(size_t i) const { return pixels.data() + i * image_size(); }
  // Images first … first+count−1 as floats pixel/255 in [0, 1] (count × image_size, row-major).
  std::vector<float> to_float(size_t first, size_t count) const;
};

// A byte pixel as the models see it: p/255 in [0, 1]. One definition for every conversion, so
// training, evaluation and tests feed the models bit-identical values.
inline float pixel_value(uint8_t p) { return p / 255.0f; }

struct DatasetPair {
  Dataset train, test;
};

// Where the system package dataset-fashion-mnist installs its files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Loads the train and test splits of a data set. `spec` is one of
//   "mnist"    the original MNIST in <data_root>/mnist/ (scripts/fetch-mnist puts it there);
//              data_root empty → find_data_root()
//   "fashion"  Fashion-MNIST from /usr/share/datasets/fashion-mnist (Debian dataset-fashion-mnist)
//   a directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte,
//              t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each plain or with .gz
// For mnist/fashion labels must be 0..9; for a directory any byte is a label and
// num_classes = largest label + 1. Train and test images must have the same size.
// Throws DataError with an actionable message (what is missing and how to get it).
DatasetPair load_dataset(const std::string& spec, const std::string& data_root = "");

// The directory holding the project's downloaded data (it has a mnist/ folder), so that
// "mnist" works from anywhere in the checkout:
//   1. $LATENTLAB_DATA if set and non-empty (returned as is),
//   2. the first <dir>/data with a mnist/ folder, walking up from the working directory,
//   3. the same, walking up from the directory of the running executable (/proc/self/exe).
// Returns "" if none is found.
std::string find_data_root();

// The first <dir>/<relative> that is a regular file, walking up from the working directory,
// then from the directory of the running executable; "" if none. Used for the shipped
// classifiers (native/models/classifier-<data set>.safetensors).
std::string find_in_checkout(const std::string& relative);

}  // namespace latentlab::native
