// Spectral normalisation of a network's weights (Miyato et al. 2018), applied around the passes
// that use them. Each weight W (a Linear's out × in, a Conv2d's out × in·k·k) has its
// SpectralNorm (spectral_norm.hpp: u, v, σ = uᵀ W v). A layer reads its weight from its
// ParameterSet, so for a pass the set is swapped to the normalised weights and back:
//   normalize(power_iteration)  stash ← W,  W ← W_sn = W / σ(W)   (one power iteration first when asked)
//   (the passes: forward, backward — the parameter gradients they write are dL/dW_sn)
//   backward()                  dL/dW_sn → dL/dW in place, per SpectralNorm::backward (u, v constant)
//   restore()                   W ← stash (exact), so that Adam updates the raw W
// The gradients are linear in dL/dW_sn, so everything a step adds to them (both of L_D's
// terms, a gradient penalty) is converted once, by one backward before restore.
// An empty set (no weight named) does nothing.
#pragma once

#include <string>
#include <vector>

#include "latentlab/nn/parameters.hpp"
#include "latentlab/nn/spectral_norm.hpp"

namespace latentlab {

class SpectralNormSet {
 public:
  SpectralNormSet() = default;
  // Declares <weight>_u and <weight>_v in `buffers` for each weight (tensors of `params`, declared
  // already; rows = the first dimension). Call before params and buffers are allocated.
  SpectralNormSet(ParameterSet& params, ParameterSet& buffers, const std::vector<std::string>& weights);
  bool empty() const { return norms_.empty(); }

  // u, v of every weight ← n(N(0, I)), in weight order.
  void init(Rng& rng);
  void normalize(bool power_iteration);
  // Converts the weights' gradients (after the passes that wrote them, before restore).
  void backward();
  void restore();
  // Test hook: the SpectralNorm of weight i (σ of its last normalize).
  const SpectralNorm& norm(std::size_t i) const { return norms_[i]; }

 private:
  float* weight(std::size_t i) const;
  ParameterSet* params_ = nullptr;
  std::vector<std::string> weights_;
  std::vector<SpectralNorm> norms_;
  std::vector<std::vector<float>> stash_;
  bool normalized_ = false;
};

}  // namespace latentlab
