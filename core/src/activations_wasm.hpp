// Wasm SIMD128 forms of the sigmoid and tanh forward passes. Emscripten's libm expf/tanhf are
// scalar calls: in a V8 profile of the shipped models (batch 64) they took 17% of a VAE decode
// and 8% of a GAN decode. Used only in the wasm build (activations.cpp); native keeps its loops.
// Private to core/src.
#pragma once

#include <cstddef>

namespace latentlab::detail {

void sigmoid_forward_wasm(float* x, std::size_t n);
void tanh_forward_wasm(float* x, std::size_t n);

}  // namespace latentlab::detail
