// Spectral normalisation, forward and backward side by side (math in spectral_norm.hpp).
// The products here are matrix-vector products over one weight: plain loops in double, cheap
// next to the layer's own GEMMs (one pass over W each).
#include "latentlab/nn/spectral_norm.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "latentlab/rng.hpp"

namespace latentlab {

namespace {

// x ← x / max(‖x‖, eps) (torch.nn.functional.normalize), from values accumulated in double.
void normalize_into(const std::vector<double>& x, float* out) {
  double squares = 0.0;
  for (double e : x) squares += e * e;
  const double scale = 1.0 / std::max(std::sqrt(squares), static_cast<double>(SpectralNorm::kEps));
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = static_cast<float>(x[i] * scale);
}

}  // namespace

SpectralNorm::SpectralNorm(ParameterSet& buffers, const std::string& name, int rows, int cols)
    : buffers_(&buffers), rows_(rows), cols_(cols) {
  u_offset_ = buffers.declare(name + "_u", {rows});
  v_offset_ = buffers.declare(name + "_v", {cols});
}

void SpectralNorm::init(Rng& rng) {
  std::vector<double> u0(static_cast<std::size_t>(rows_)), v0(static_cast<std::size_t>(cols_));
  for (double& e : u0) e = rng.normal();
  for (double& e : v0) e = rng.normal();
  normalize_into(u0, u_values());
  normalize_into(v0, v_values());
}

float SpectralNorm::normalize(const float* w, float* w_sn, bool power_iteration) {
  const std::size_t rows = static_cast<std::size_t>(rows_), cols = static_cast<std::size_t>(cols_);
  std::vector<double> wv(rows, 0.0);
  if (power_iteration) {
    std::vector<double> wt_u(cols, 0.0);  // Wᵀ u
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < cols; ++j) wt_u[j] += static_cast<double>(w[i * cols + j]) * u()[i];
    normalize_into(wt_u, v_values());
  }
  for (std::size_t i = 0; i < rows; ++i)  // W v
    for (std::size_t j = 0; j < cols; ++j) wv[i] += static_cast<double>(w[i * cols + j]) * v()[j];
  if (power_iteration) normalize_into(wv, u_values());
  double sigma = 0.0;  // uᵀ (W v)
  for (std::size_t i = 0; i < rows; ++i) sigma += static_cast<double>(u()[i]) * wv[i];
  sigma_ = static_cast<float>(sigma);
  const float inv = 1.0f / sigma_;
  for (std::size_t k = 0; k < rows * cols; ++k) w_sn[k] = w[k] * inv;
  return sigma_;
}

void SpectralNorm::backward(const float* w_sn, const float* grad_w_sn, float* grad_w, ParamGrads mode) const {
  if (mode == ParamGrads::Skip) return;
  const std::size_t rows = static_cast<std::size_t>(rows_), cols = static_cast<std::size_t>(cols_);
  double inner = 0.0;  // ⟨G, W_sn⟩
  for (std::size_t k = 0; k < rows * cols; ++k) inner += static_cast<double>(grad_w_sn[k]) * w_sn[k];
  const double inv = 1.0 / sigma_;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) {
      const std::size_t k = i * cols + j;
      const float g = static_cast<float>((grad_w_sn[k] - inner * u()[i] * v()[j]) * inv);
      grad_w[k] = mode == ParamGrads::Accumulate ? grad_w[k] + g : g;
    }
}

}  // namespace latentlab
