#include "output/image_grid.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "output/file_io.hpp"

// stb_image_write, compiled here and nowhere else. Static: its symbols stay private to this
// file, so another translation unit that also embeds stb cannot clash with it at link time.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "stb_image_write.h"
#pragma GCC diagnostic pop

namespace latentlab::native {

uint8_t to_gray_byte(float x, float low, float high) {
  if (std::isnan(x)) return 0;
  const float v = (x - low) / (high - low) * 255.0f;  // ±inf clamp below like any large value
  if (!(v > 0.0f)) return 0;
  if (v >= 255.0f) return 255;
  return static_cast<uint8_t>(v + 0.5f);  // round to nearest (v is in (0, 255))
}

GrayImage compose_grid(const float* images, int n, int rows, int cols, int grid_cols, float low, float high,
                       int scale, int padding) {
  if (images == nullptr || n < 1) throw std::invalid_argument("compose_grid: need at least one image");
  if (rows < 1 || cols < 1) throw std::invalid_argument("compose_grid: image size must be at least 1x1");
  if (grid_cols < 1) throw std::invalid_argument("compose_grid: grid_cols must be at least 1");
  if (scale < 1 || scale > 64) throw std::invalid_argument("compose_grid: scale must be in 1..64");
  if (padding < 0 || padding > 64) throw std::invalid_argument("compose_grid: padding must be in 0..64");
  if (!(std::isfinite(low) && std::isfinite(high) && low < high && std::isfinite(high - low))) {
    throw std::invalid_argument("compose_grid: need finite low < high");
  }

  const int gc = std::min(grid_cols, n);
  const int gr = (n + gc - 1) / gc;
  const int64_t cell_w = int64_t(cols) * scale, cell_h = int64_t(rows) * scale;
  const int64_t width = gc * (cell_w + padding) + padding;
  const int64_t height = gr * (cell_h + padding) + padding;
  // PNG allows 2^31-1 per side; keep far below that and below what memory makes sensible.
  if (width > 65535 || height > 65535 || width * height > (int64_t(1) << 28)) {
    throw std::invalid_argument("compose_grid: grid of " + std::to_string(width) + "x" + std::to_string(height) +
                                " pixels is too large");
  }

  GrayImage out;
  out.width = static_cast<int>(width);
  out.height = static_cast<int>(height);
  out.pixels.assign(size_t(width) * size_t(height), kGridPaddingValue);
  for (int k = 0; k < n; ++k) {
    const float* img = images + size_t(k) * size_t(rows) * size_t(cols);
    const int64_t x0 = padding + (k % gc) * (cell_w + padding);
    const int64_t y0 = padding + (k / gc) * (cell_h + padding);
    for (int64_t y = 0; y < cell_h; ++y) {
      uint8_t* dst = out.pixels.data() + size_t(y0 + y) * size_t(width) + size_t(x0);
      const float* src = img + size_t(y / scale) * size_t(cols);
      for (int64_t x = 0; x < cell_w; ++x) dst[x] = to_gray_byte(src[x / scale], low, high);
    }
  }
  return out;
}

namespace {
// stb calls this with each piece of the encoded file.
void append_to_vector(void* context, void* data, int size) {
  auto* bytes = static_cast<std::vector<uint8_t>*>(context);
  const auto* p = static_cast<const uint8_t*>(data);
  bytes->insert(bytes->end(), p, p + size);
}
}  // namespace

std::vector<uint8_t> encode_png(const GrayImage& image) {
  if (image.width < 1 || image.height < 1 || image.pixels.size() != size_t(image.width) * size_t(image.height)) {
    throw std::invalid_argument("encode_png: pixel buffer does not match width x height");
  }
  std::vector<uint8_t> png;
  if (stbi_write_png_to_func(append_to_vector, &png, image.width, image.height, 1, image.pixels.data(),
                             image.width) == 0) {
    throw std::runtime_error("encode_png: stb_image_write failed to encode a " + std::to_string(image.width) + "x" +
                             std::to_string(image.height) + " image");
  }
  return png;
}

std::vector<uint8_t> png_grid_bytes(const float* images, int n, int rows, int cols, int grid_cols, float low,
                                    float high, int scale, int padding) {
  return encode_png(compose_grid(images, n, rows, cols, grid_cols, low, high, scale, padding));
}

void write_png_grid(const std::string& path, const float* images, int n, int rows, int cols, int grid_cols,
                    float low, float high, int scale, int padding) {
  write_file_atomically(path, png_grid_bytes(images, n, rows, cols, grid_cols, low, high, scale, padding));
}

}  // namespace latentlab::native
