#include "data/image_file.hpp"

#include <fstream>

#include "data/datasets.hpp"
#include "data/idx.hpp"
#include "data/npy.hpp"
#include "program.hpp"

namespace latentlab::native {

ImageFile read_image_file(const std::string& path) {
  if (!is_regular_file(path)) throw DataError("cannot read images " + quoted(path) + ": no such regular file");
  std::uint8_t start[6] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(start), sizeof start);
  ImageFile out;
  if (is_npy(start, static_cast<std::size_t>(in.gcount()))) {
    NpyImages npy = read_npy_images(path);
    out.format = "npy";
    out.count = npy.count;
    out.rows = npy.rows;
    out.cols = npy.cols;
    out.pixels = std::move(npy.pixels);
    return out;
  }
  IdxImages idx;
  try {
    idx = read_idx_images(path);
  } catch (const DataError& e) {
    throw DataError(std::string(e.what()) +
                    " (--images reads IDX u8 images, plain or gzip, and .npy float32 arrays of pixels in [0, 1])");
  }
  out.format = "idx";
  out.count = idx.count;
  out.rows = idx.rows;
  out.cols = idx.cols;
  out.pixels.resize(idx.pixels.size());
  for (std::size_t i = 0; i < idx.pixels.size(); ++i) out.pixels[i] = pixel_value(idx.pixels[i]);
  return out;
}

}  // namespace latentlab::native
