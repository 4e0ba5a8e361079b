#include "data/batches.hpp"

#include <algorithm>
#include <numeric>

#include "latentlab/kernels/parallel.hpp"

namespace latentlab::native {

void epoch_order(Rng& rng, std::size_t n, std::vector<std::uint32_t>& order) {
  order.resize(n);
  std::iota(order.begin(), order.end(), 0u);
  rng.shuffle(order.data(), n);
}

void gather_batch(const Dataset& data, const std::vector<std::uint32_t>& order, std::size_t first, int count,
                  float scale, float shift, float* batch) {
  const std::size_t pixels = static_cast<std::size_t>(data.rows) * static_cast<std::size_t>(data.cols);
  // A byte has 256 values: map each once (the same expression as per pixel, so the same floats),
  // then every pixel is one table lookup.
  float table[256];
  for (int b = 0; b < 256; ++b) table[b] = scale * pixel_value(static_cast<std::uint8_t>(b)) + shift;
  // Rows are independent: split them across the kernels' threads for a training batch.
  constexpr std::size_t kMinPixelsPerThread = 1 << 15;
  const int parts = std::min(std::max(count, 1), parallel::parts_for(static_cast<std::size_t>(count) * pixels, kMinPixelsPerThread));
  parallel::for_ranges(static_cast<std::size_t>(count), parts, 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t r = begin; r < end; ++r) {
      const std::uint8_t* src = data.image(order[first + r]);
      float* dst = batch + r * pixels;
      for (std::size_t i = 0; i < pixels; ++i) dst[i] = table[src[i]];
    }
  });
}

void gather_labels(const Dataset& data, const std::vector<std::uint32_t>& order, std::size_t first, int count,
                   int* labels) {
  for (int r = 0; r < count; ++r) labels[r] = data.labels[order[first + static_cast<std::size_t>(r)]];
}

void for_each_test_chunk(const Dataset& data, std::size_t n,
                         const std::function<void(const float* chunk, std::size_t first, int count)>& visit,
                         PixelMap map) {
  const std::size_t pixels = static_cast<std::size_t>(data.rows) * static_cast<std::size_t>(data.cols);
  std::vector<float> chunk(static_cast<std::size_t>(kEvalChunk) * pixels);
  std::vector<std::uint32_t> identity(n);
  std::iota(identity.begin(), identity.end(), 0u);
  for (std::size_t first = 0; first < n; first += kEvalChunk) {
    const int count = static_cast<int>(std::min<std::size_t>(kEvalChunk, n - first));
    gather_batch(data, identity, first, count, map.scale, map.shift, chunk.data());
    visit(chunk.data(), first, count);
  }
}

}  // namespace latentlab::native
