// Images made by any tool, to be scored by `latentlab eval --images`: an IDX file of u8 images
// (plain or gzip, as MNIST ships them; pixel p → p/255) or a .npy file of float32 pixels in [0, 1]
// (data/npy.hpp). The format is told by the file's first bytes, not its name.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace latentlab::native {

struct ImageFile {
  std::string format;              // "idx" or "npy"
  std::size_t count = 0;
  std::size_t rows = 0, cols = 0;  // (N, P) .npy files: rows = 1
  std::vector<float> pixels;       // count × rows × cols, row-major, in [0, 1]
  std::size_t image_size() const { return rows * cols; }
};

// Throws DataError naming the file: missing, neither format, or refused by its reader.
ImageFile read_image_file(const std::string& path);

}  // namespace latentlab::native
