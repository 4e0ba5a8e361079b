// The bodies of the libFuzzer targets, shared with the Catch2 suite (which replays the
// committed seed corpus through them, so the corpus stays valid parser input and this code is
// exercised by the default build).
//
// Each entry point feeds one untrusted byte buffer to a parser and checks what the parser
// promises: it never crashes, throws only its documented error type, and whatever it accepts is
// self-consistent. A broken promise calls std::abort(), which libFuzzer reports as a crash.
#pragma once

#include <cstddef>
#include <cstdint>

namespace latentlab::fuzz {

// core decode_safetensors: never throws; an accepted buffer has tensors whose value counts
// match their shapes, all finite (integer tensors: no decoded values), and its float tensors
// re-encode to a buffer that decodes to the same values.
void safetensors_one_input(const std::uint8_t* data, std::size_t size);

// native read_idx_images / read_idx_labels on the bytes as a file (plain, or gzip when the
// bytes start with 1f 8b): only DataError may escape; accepted data has the announced size.
void idx_one_input(const std::uint8_t* data, std::size_t size);

// native parse_npy_images (the .npy reader of `eval --images`): only DataError (naming the source)
// may escape; accepted images have count × rows × cols pixels, all in [0, 1].
void npy_one_input(const std::uint8_t* data, std::size_t size);

// core load_model: never throws; an accepted model has every parameter finite and its
// configuration within the documented limits, and it can generate one image.
void model_one_input(const std::uint8_t* data, std::size_t size);

}  // namespace latentlab::fuzz
