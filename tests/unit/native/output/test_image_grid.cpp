// image_grid: pixel placement, value mapping (clamp, NaN), and PNG output decoded by stb_image.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <vector>

#include "output/file_io.hpp"
#include "output/image_grid.hpp"

// The decoder, private to this file (static) so it cannot clash with another embedded stb.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "stb_image.h"
#pragma GCC diagnostic pop

using namespace latentlab::native;

namespace {

// n images of rows×cols where pixel (r, c) of image k is (10k + 3r + c + 1)/255, so with
// [low, high] = [0, 1] it maps to the byte 10k + 3r + c + 1: every cell is recognisable.
std::vector<float> numbered_images(int n, int rows, int cols) {
  std::vector<float> v;
  for (int k = 0; k < n; ++k)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) v.push_back(float(10 * k + 3 * r + c + 1) / 255.0f);
  return v;
}

uint8_t at(const GrayImage& g, int x, int y) { return g.pixels.at(size_t(y) * size_t(g.width) + size_t(x)); }

}  // namespace

TEST_CASE("compose_grid puts image k in grid cell (k / grid_cols, k % grid_cols)", "[data]") {
  // 5 images of 2×3 in a grid of 3 columns: 2 grid rows, 1-pixel padding.
  const std::vector<float> imgs = numbered_images(5, 2, 3);
  const GrayImage g = compose_grid(imgs.data(), 5, 2, 3, 3, 0.0f, 1.0f);
  REQUIRE(g.width == 3 * (3 + 1) + 1);   // 13
  REQUIRE(g.height == 2 * (2 + 1) + 1);  // 7
  REQUIRE(g.pixels.size() == 13 * 7);

  // Hand-picked pixels: image 0 starts at (1,1), image 1 at (5,1), image 3 at (1,4), image 4 at (5,4).
  CHECK(at(g, 1, 1) == 1);    // image 0, r0 c0
  CHECK(at(g, 3, 2) == 6);    // image 0, r1 c2: 3 + 2 + 1
  CHECK(at(g, 5, 1) == 11);   // image 1, r0 c0
  CHECK(at(g, 11, 2) == 26);  // image 2, r1 c2: 20 + 3 + 2 + 1
  CHECK(at(g, 3, 5) == 36);   // image 3, r1 c2
  CHECK(at(g, 6, 4) == 42);   // image 4, r0 c1
  // Padding lines and the empty sixth cell are gray.
  CHECK(at(g, 0, 0) == kGridPaddingValue);
  CHECK(at(g, 4, 1) == kGridPaddingValue);   // between image 0 and image 1
  CHECK(at(g, 1, 3) == kGridPaddingValue);   // between grid rows
  CHECK(at(g, 12, 6) == kGridPaddingValue);  // bottom-right frame
  CHECK(at(g, 10, 5) == kGridPaddingValue);  // inside the empty cell

  // Every pixel: the cell formula written out independently.
  for (int y = 0; y < g.height; ++y) {
    for (int x = 0; x < g.width; ++x) {
      const int gx = (x - 1) / 4, cx = (x - 1) % 4, gy = (y - 1) / 3, cy = (y - 1) % 3;
      const bool inside = x >= 1 && y >= 1 && cx < 3 && cy < 2 && gy * 3 + gx < 5;
      const int expected = inside ? 10 * (gy * 3 + gx) + 3 * cy + cx + 1 : kGridPaddingValue;
      INFO("x=" << x << " y=" << y);
      REQUIRE(int(at(g, x, y)) == expected);
    }
  }
}

TEST_CASE("compose_grid upscales by an integer factor and honours padding 0", "[data]") {
  const std::vector<float> imgs = numbered_images(2, 2, 2);  // bytes: image 0 {1,2;4,5}, image 1 {11,12;14,15}
  const GrayImage g = compose_grid(imgs.data(), 2, 2, 2, 8, 0.0f, 1.0f, /*scale=*/3, /*padding=*/0);
  REQUIRE(g.width == 12);  // min(8, 2) = 2 columns of 2·3 pixels
  REQUIRE(g.height == 6);
  CHECK(at(g, 0, 0) == 1);
  CHECK(at(g, 2, 2) == 1);  // still the 3×3 block of pixel (0,0)
  CHECK(at(g, 3, 0) == 2);
  CHECK(at(g, 0, 3) == 4);
  CHECK(at(g, 5, 5) == 5);
  CHECK(at(g, 6, 0) == 11);  // image 1 starts right after, no padding
  CHECK(at(g, 11, 5) == 15);
}

TEST_CASE("compose_grid maps [low, high] to 0..255, clamps, and turns NaN into 0", "[data]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> values = {-1.0f, 0.0f, 0.5f, 1.0f, 3.0f, nan, inf, -inf};
  const GrayImage g = compose_grid(values.data(), 1, 1, 8, 1, 0.0f, 1.0f, 1, 0);
  CHECK(g.pixels == std::vector<uint8_t>{0, 0, 128, 255, 255, 0, 255, 0});  // 0.5·255 = 127.5 rounds up

  // Generator output in [-1, 1] (tanh): -1 → 0, 0 → 128, 1 → 255, -0.5 → 63.75 → 64.
  const std::vector<float> tanh_range = {-1.0f, -0.5f, 0.0f, 1.0f};
  CHECK(compose_grid(tanh_range.data(), 1, 1, 4, 1, -1.0f, 1.0f, 1, 0).pixels ==
        std::vector<uint8_t>{0, 64, 128, 255});
}

TEST_CASE("compose_grid rejects nonsense arguments", "[data]") {
  const std::vector<float> one(4, 0.0f);
  CHECK_THROWS_AS(compose_grid(one.data(), 0, 2, 2, 1, 0.0f, 1.0f), std::invalid_argument);
  CHECK_THROWS_AS(compose_grid(one.data(), 1, 0, 2, 1, 0.0f, 1.0f), std::invalid_argument);
  CHECK_THROWS_AS(compose_grid(one.data(), 1, 2, 2, 0, 0.0f, 1.0f), std::invalid_argument);
  CHECK_THROWS_AS(compose_grid(one.data(), 1, 2, 2, 1, 1.0f, 1.0f), std::invalid_argument);
  CHECK_THROWS_AS(compose_grid(one.data(), 1, 2, 2, 1, 0.0f, 1.0f, 0), std::invalid_argument);
  CHECK_THROWS_AS(compose_grid(one.data(), 1, 2, 2, 1, 0.0f, 1.0f, 1, -1), std::invalid_argument);
  CHECK_THROWS_AS(compose_grid(one.data(), 1, 20000, 20000, 1, 0.0f, 1.0f), std::invalid_argument);
}

TEST_CASE("PNG bytes have the PNG signature and decode to the composed grid", "[data]") {
  const std::vector<float> imgs = numbered_images(7, 5, 4);
  const GrayImage g = compose_grid(imgs.data(), 7, 5, 4, 3, 0.0f, 1.0f, 2, 1);
  const std::vector<uint8_t> png = png_grid_bytes(imgs.data(), 7, 5, 4, 3, 0.0f, 1.0f, 2, 1);
  const std::vector<uint8_t> signature = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  REQUIRE(png.size() > signature.size());
  CHECK(std::vector<uint8_t>(png.begin(), png.begin() + 8) == signature);

  int w = 0, h = 0, channels = 0;
  stbi_uc* decoded = stbi_load_from_memory(png.data(), int(png.size()), &w, &h, &channels, 1);
  REQUIRE(decoded != nullptr);
  const std::vector<uint8_t> pixels(decoded, decoded + size_t(w) * size_t(h));
  stbi_image_free(decoded);
  CHECK(channels == 1);
  CHECK(w == g.width);
  CHECK(h == g.height);
  CHECK(pixels == g.pixels);
  CHECK(pixels.at(size_t(1) * size_t(w) + 1) == 1);  // image 0, pixel (0,0) at (1,1)
}

TEST_CASE("write_png_grid writes a decodable PNG file", "[data]") {
  char tmpl[] = "/tmp/latentlab-grid-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/samples.png";
  const std::vector<float> imgs = numbered_images(4, 3, 3);
  write_png_grid(path, imgs.data(), 4, 3, 3, 2, 0.0f, 1.0f, 4, 2);
  const std::vector<uint8_t> file = read_file(path, 1 << 20);
  std::filesystem::remove_all(dir);

  int w = 0, h = 0, channels = 0;
  stbi_uc* decoded = stbi_load_from_memory(file.data(), int(file.size()), &w, &h, &channels, 1);
  REQUIRE(decoded != nullptr);
  CHECK(w == 2 * (3 * 4 + 2) + 2);  // 30
  CHECK(h == 30);
  CHECK(decoded[2 * w + 2] == 1);  // image 0 (0,0) starts at (2,2)
  // Image 3 starts at (16,16); 11 pixels right at scale 4 is source column 2, row 0: 30 + 2 + 1.
  CHECK(decoded[16 * w + 16 + 11] == 33);
  stbi_image_free(decoded);
}
