// Private SIMD building blocks for the elementwise layers and losses (activations.cpp,
// losses.cpp, reparameterize.cpp): the stable sigmoid / softplus pair on whole xsimd
// batches. Callers loop over whole batches and finish the last n mod W elements with the
// scalar reference functions.
//
// The scalar functions in activations.cpp (stable_sigmoid, softplus) are the reference these
// batch forms are tested against (tests/unit/core/kernels/test_elementwise_simd.cpp); xsimd's exp/log1p
// are accurate to a few ulp, so results differ from the scalar ones by float rounding only.
#pragma once

#include <xsimd/xsimd.hpp>

#include <cstddef>

namespace latentlab::simd {

using batch = xsimd::batch<float>;
constexpr std::size_t W = batch::size;

inline batch load(const float* p) { return batch::load_unaligned(p); }

// One e^−|x| gives both σ(x) and softplus(x) without overflow:
//   σ(x) = 1/(1+e^−x) = (x ≥ 0 ? 1 : e^−|x|) / (1 + e^−|x|)
//   softplus(x) = max(x, 0) + log1p(e^−|x|)
struct SigmoidSoftplus {
  batch sigmoid;
  batch softplus;
};
inline SigmoidSoftplus sigmoid_softplus(batch x) {
  const batch e = xsimd::exp(-xsimd::abs(x));
  const batch one(1.0f);
  const batch s = one / (one + e);
  return {xsimd::select(x >= batch(0.0f), s, e * s), xsimd::max(x, batch(0.0f)) + xsimd::log1p(e)};
}
inline batch sigmoid(batch x) {
  const batch e = xsimd::exp(-xsimd::abs(x));
  const batch s = batch(1.0f) / (batch(1.0f) + e);
  return xsimd::select(x >= batch(0.0f), s, e * s);
}

}  // namespace latentlab::simd
