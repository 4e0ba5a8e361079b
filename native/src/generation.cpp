#include "generation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "latentlab/rng.hpp"

namespace latentlab::native {

std::vector<float> sample_latents(int n, int latent, std::uint64_t seed) {
  std::vector<float> z(static_cast<std::size_t>(n) * static_cast<std::size_t>(latent));
  Rng(seed, 0).fill_normal(z.data(), z.size());
  return z;
}

std::vector<float> interpolate_latents(const float* a, const float* b, int latent, int steps, LatentPath path) {
  const std::size_t d = static_cast<std::size_t>(latent);
  double dot = 0, na = 0, nb = 0;
  for (std::size_t j = 0; j < d; ++j) {
    dot += static_cast<double>(a[j]) * b[j];
    na += static_cast<double>(a[j]) * a[j];
    nb += static_cast<double>(b[j]) * b[j];
  }
  double omega = 0, sin_omega = 0;
  if (na > 0 && nb > 0) {
    const double c = std::fmax(-1.0, std::fmin(1.0, dot / (std::sqrt(na) * std::sqrt(nb))));
    omega = std::acos(c);
    sin_omega = std::sin(omega);
  }
  const bool slerp = path == LatentPath::Slerp && sin_omega >= 1e-6;

  std::vector<float> z(static_cast<std::size_t>(steps) * d);
  for (int i = 0; i < steps; ++i) {
    const double t = steps > 1 ? static_cast<double>(i) / (steps - 1) : 0.0;
    double wa = 1.0 - t, wb = t;
    if (slerp) {
      wa = std::sin((1.0 - t) * omega) / sin_omega;
      wb = std::sin(t * omega) / sin_omega;
    }
    float* row = z.data() + static_cast<std::size_t>(i) * d;
    for (std::size_t j = 0; j < d; ++j) row[j] = static_cast<float>(wa * a[j] + wb * b[j]);
  }
  return z;
}

std::vector<float> generate_pixels(LoadedModel& model, const float* z, int n) {
  std::vector<float> pixels(static_cast<std::size_t>(n) * static_cast<std::size_t>(model.image_size()));
  if (model.vae) {
    model.vae->decode(z, n, pixels.data());
  } else {
    model.gan->generate(z, n, pixels.data());
    for (float& p : pixels) p = (p + 1.0f) * 0.5f;
  }
  return pixels;
}

void image_shape(const LoadedModel& model, int& rows, int& cols) {
  const int size = model.image_size();
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
  const int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(size))));
  if (side * side == size) {
    rows = cols = side;
  } else {
    rows = size;
    cols = 1;
  }
}

int grid_columns(int n) {
  int c = static_cast<int>(std::sqrt(static_cast<double>(n)));
  while (c * c < n) ++c;
  return std::max(c, 1);
}

std::string pixels_json_array(const std::vector<float>& pixels) {
  std::string s = "[";
  s.reserve(pixels.size() * 12 + 2);
  char buf[32];
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.9g", i ? "," : "", static_cast<double>(pixels[i]));
    s += buf;
  }
  return s + "]";
}

}  // namespace latentlab::native
