// Conventions shared by the wasm ABI's translation units (model_abi.cpp, trainer_abi.cpp).
#pragma once

#include <cstdint>

namespace latentlab::wasm {

// 64-bit seeds travel as two uint32 halves: Emscripten 3.1.6 without WASM_BIGINT cannot pass i64 to JS.
inline std::uint64_t join64(std::uint32_t lo, std::uint32_t hi) { return (static_cast<std::uint64_t>(hi) << 32) | lo; }

// Limits per call, so that a bad argument cannot ask the heap for gigabytes.
constexpr int kMaxBatch = 1 << 16;

}  // namespace latentlab::wasm
