// Tiles grayscale images (samples, reconstructions, data) into one PNG grid.
//
//   +--+--+--+   n images of rows×cols, grid_cols per row, row-major (image k is in grid row
//   |0 |1 |2 |   k / grid_cols, column k % grid_cols), each upscaled `scale` times (nearest
//   +--+--+--+   neighbour), separated and framed by `padding` pixels of kGridPaddingValue.
//   |3 |4 |  |   Cells left over in the last row are filled with kGridPaddingValue too.
//   +--+--+--+
//
// Values are mapped linearly from [low, high] to 0…255 (rounded to nearest), clamped, and
// NaN becomes 0, so a diverged model still gives a picture instead of garbage.
// Bad arguments (n < 1, low >= high, a grid too large for PNG...) throw std::invalid_argument.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace latentlab::native {

// Mid-gray: visible against both the black background and the white strokes of MNIST digits.
inline constexpr uint8_t kGridPaddingValue = 128;

struct GrayImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // height × width, row-major, 8-bit gray
};

// x in [low, high] → 0…255, rounded, clamped; NaN → 0.
uint8_t to_gray_byte(float x, float low, float high);

// The raw 8-bit grid. The number of grid columns is min(grid_cols, n).
GrayImage compose_grid(const float* images, int n, int rows, int cols, int grid_cols, float low, float high,
                       int scale = 1, int padding = 1);

// PNG encoding (8-bit grayscale, stb_image_write) of an image, in memory.
std::vector<uint8_t> encode_png(const GrayImage& image);

// compose_grid + encode_png.
std::vector<uint8_t> png_grid_bytes(const float* images, int n, int rows, int cols, int grid_cols, float low,
                                    float high, int scale = 1, int padding = 1);

// compose_grid + encode_png + write_file_atomically (throws DataError if the file cannot be written).
void write_png_grid(const std::string& path, const float* images, int n, int rows, int cols, int grid_cols,
                    float low, float high, int scale = 1, int padding = 1);

}  // namespace latentlab::native
