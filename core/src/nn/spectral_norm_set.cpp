// Spectral normalisation of a network's weights around its passes (spectral_norm_set.hpp).
#include "latentlab/nn/spectral_norm_set.hpp"

#include <algorithm>
#include <stdexcept>

namespace latentlab {

SpectralNormSet::SpectralNormSet(ParameterSet& params, ParameterSet& buffers, const std::vector<std::string>& weights)
    : params_(&params), weights_(weights) {
  for (const std::string& name : weights) {
    const TensorInfo* t = params.find(name);
    if (!t || t->shape.empty()) throw std::logic_error("spectral norm: no weight " + name);
    const int rows = t->shape[0];
    norms_.emplace_back(buffers, name, rows, static_cast<int>(t->size / static_cast<std::size_t>(rows)));
  }
  stash_.resize(weights.size());
}

float* SpectralNormSet::weight(std::size_t i) const { return params_->values() + params_->find(weights_[i])->offset; }

void SpectralNormSet::init(Rng& rng) {
  for (SpectralNorm& n : norms_) n.init(rng);
}

void SpectralNormSet::normalize(bool power_iteration) {
  if (normalized_) throw std::logic_error("spectral norm: normalize twice without restore");
  for (std::size_t i = 0; i < norms_.size(); ++i) {
    float* w = weight(i);
    stash_[i].assign(w, w + static_cast<std::size_t>(norms_[i].rows()) * norms_[i].cols());
    norms_[i].normalize(stash_[i].data(), w, power_iteration);
  }
  normalized_ = true;
}

void SpectralNormSet::backward() {
  for (std::size_t i = 0; i < norms_.size(); ++i) {
    float* grad = params_->grads() + params_->find(weights_[i])->offset;
    // In place: element k of dL/dW reads only element k of dL/dW_sn (and their inner product,
    // computed first).
    norms_[i].backward(weight(i), grad, grad, ParamGrads::Write);
  }
}

void SpectralNormSet::restore() {
  if (!normalized_) return;
  for (std::size_t i = 0; i < norms_.size(); ++i) std::copy(stash_[i].begin(), stash_[i].end(), weight(i));
  normalized_ = false;
}

}  // namespace latentlab
