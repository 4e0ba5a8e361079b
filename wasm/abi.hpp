// Conventions shared by the wasm ABI's translation units (model_abi.cpp, trainer_abi.cpp,
// repair_abi.cpp).
#pragma once

// EMSCRIPTEN_KEEPALIVE marks the exported functions for Emscripten; the clang-19 builds (the
// relaxed-SIMD modules) export by the linker's --export list instead (wasm/CMakeLists.txt).
#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>
#else
#define EMSCRIPTEN_KEEPALIVE
#endif

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "latentlab/infer/generation.hpp"
#include "latentlab/io/model_io.hpp"

namespace latentlab::wasm {

// 64-bit seeds travel as two uint32 halves: Emscripten 3.1.6 without WASM_BIGINT cannot pass i64 to JS.
inline std::uint64_t join64(std::uint32_t lo, std::uint32_t hi) { return (static_cast<std::uint64_t>(hi) << 32) | lo; }

// Limits per call, so that a bad argument cannot ask the heap for gigabytes.
constexpr int kMaxBatch = 1 << 16;

// A loaded model (model_abi.cpp's handle; repair_abi.cpp reads it too).
struct LlModel {
  latentlab::LoadedModel model;
  std::string error;          // empty when the model loaded
  std::vector<float> latents; // scratch for sample()
  std::vector<int> labels;    // scratch: the labels of a decode or sample
  std::unique_ptr<latentlab::ImageDecoder> decoder;  // weights packed once, at the first decode
};

inline bool loaded(const LlModel* m) { return m && m->error.empty() && m->model.model; }

}  // namespace latentlab::wasm
