#include "output/samples.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "latentlab/rng.hpp"

namespace latentlab::native {

std::vector<float> sampled_latents(std::uint64_t seed, int n, int latent) {
  std::vector<float> z(static_cast<std::size_t>(n) * static_cast<std::size_t>(latent));
  latentlab::sample_latents(seed, z.data(), z.size());
  return z;
}

std::vector<float> interpolated_latents(const float* a, const float* b, int latent, int steps, LatentPath path) {
  std::vector<float> z(static_cast<std::size_t>(steps) * static_cast<std::size_t>(latent));
  latentlab::interpolate_latents(a, b, latent, steps, path, z.data());
  return z;
}

std::vector<float> generate_pixels(GenerativeModel& model, const float* z, int n, const int* labels) {
  std::vector<float> pixels(static_cast<std::size_t>(n) * static_cast<std::size_t>(model.image_size()));
  std::vector<int> cycled;
  if (model.conditional() && !labels) {
    cycled.resize(static_cast<std::size_t>(n));
    cycle_labels(model.classes(), n, cycled.data());
    labels = cycled.data();
  }
  model.decode(z, model.conditional() ? labels : nullptr, n, pixels.data());
  return pixels;
}

void image_shape(const LoadedModel& model, int& rows, int& cols) {
  const int size = model->image_size();
  auto h = model.metadata.find("image_height");
  auto w = model.metadata.find("image_width");
  if (h != model.metadata.end() && w != model.metadata.end()) {
    const long r = std::strtol(h->second.c_str(), nullptr, 10), c = std::strtol(w->second.c_str(), nullptr, 10);
    if (r > 0 && c > 0 && r * c == size) {
      rows = static_cast<int>(r);
      cols = static_cast<int>(c);
      return;
    }
  }
  std::tie(rows, cols) = square_image_shape(size);
}

int grid_columns(int n) {
  int c = static_cast<int>(std::sqrt(static_cast<double>(n)));
  while (c * c < n) ++c;
  return std::max(c, 1);
}

std::string raw_pixels_json(const nlohmann::json& head, const std::vector<float>& pixels) {
  // nlohmann would print floats with 17 digits; 9 round-trip a float and keep the file half the size.
  std::string s = head.dump();
  s.pop_back();  // the closing brace: the pixel array follows
  s += ",\"pixels\":[";
  s.reserve(pixels.size() * 12 + 2);
  char buf[32];
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.9g", i ? "," : "", static_cast<double>(pixels[i]));
    s += buf;
  }
  return s + "]}\n";
}

}  // namespace latentlab::native
