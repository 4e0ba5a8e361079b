// Spectral normalisation of a weight (Miyato et al. 2018), as torch.nn.utils.spectral_norm
// (n_power_iterations = 1, eps = 1e-12) does it. The weight W is viewed as a rows × cols matrix
// (Linear: out × in; Conv2d: out × in·k·k; ConvTranspose2d: PyTorch normalises along dim 1,
// a caller passes its weight in that view). u (rows) and v (cols) estimate W's first singular
// vectors; the layer uses W_sn = W / σ, σ = uᵀ W v:
//   power iteration (training forward)   v ← n(Wᵀ u),  u ← n(W v),   n(x) = x / max(‖x‖, eps)
//   forward                              σ = uᵀ W v,   W_sn = W / σ
//   backward (u, v constants, as torch)  dL/dW = (G − ⟨G, W_sn⟩ u vᵀ) / σ,   G = dL/dW_sn
// since ∂σ/∂W = u vᵀ. u and v are saved with the model (buffers, not trained), so a resumed run
// continues the same iteration.
#pragma once

#include <string>

#include "latentlab/nn/parameters.hpp"

namespace latentlab {

class Rng;

class SpectralNorm {
 public:
  static constexpr float kEps = 1e-12f;

  // Declares "<name>_u" [rows] and "<name>_v" [cols] in buffers (name: e.g. "discriminator.fc1.weight").
  SpectralNorm(ParameterSet& buffers, const std::string& name, int rows, int cols);
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  // u, v ← n(N(0, I)) from rng (u first), as torch's initialisation.
  void init(Rng& rng);
  // W_sn (rows × cols) from W; one power iteration first when power_iteration. Returns σ.
  float normalize(const float* w, float* w_sn, bool power_iteration);
  // dL/dW from G = dL/dW_sn, with the W_sn and σ of the last normalize: written, added or skipped.
  void backward(const float* w_sn, const float* grad_w_sn, float* grad_w, ParamGrads mode) const;
  float sigma() const { return sigma_; }
  const float* u() const { return buffers_->values() + u_offset_; }
  const float* v() const { return buffers_->values() + v_offset_; }

 private:
  float* u_values() { return buffers_->values() + u_offset_; }
  float* v_values() { return buffers_->values() + v_offset_; }
  ParameterSet* buffers_;
  int rows_, cols_;
  std::size_t u_offset_, v_offset_;
  float sigma_ = 1.0f;
};

}  // namespace latentlab
