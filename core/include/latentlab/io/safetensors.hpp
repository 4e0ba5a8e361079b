// Safetensors codec on byte buffers (no file I/O: the caller reads/writes files).
//
// Layout: [u64 little-endian header length N][N bytes of JSON header][raw data]
// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the start of the data section) plus an optional
// "__metadata__" object of string → string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "latentlab/result.hpp"

namespace latentlab {

// The float dtypes are decoded to float32; the integer ones of the safetensors spec (PyTorch writes
// BatchNorm's num_batches_tracked as I64) are accepted and checked for size, but their values
// are not decoded: no latentlab model has an integer tensor.
enum class DType { F32, F16, BF16, BOOL, U8, I8, I16, U16, I32, U32, I64, U64 };
const char* dtype_name(DType);
bool is_float_dtype(DType);

// A tensor decoded to float32, whatever its stored float dtype.
struct DecodedTensor {
  std::string name;
  DType stored_dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<float> values;  // empty for an integer dtype
};

struct SafetensorsContents {
  std::map<std::string, std::string> metadata;
  std::vector<DecodedTensor> tensors;  // in header order of data_offsets (ascending)
  const DecodedTensor* find(const std::string& name) const;
};

// A tensor to be written: a view into caller-owned float32 memory.
struct TensorToWrite {
  std::string name;
  std::vector<std::int64_t> shape;
  const float* values = nullptr;  // product(shape) floats
};

// Encodes tensors (stored as `dtype`: F32, F16 or BF16) with metadata.
std::vector<std::uint8_t> encode_safetensors(const std::vector<TensorToWrite>& tensors,
                                             const std::map<std::string, std::string>& metadata,
                                             DType dtype = DType::F32);

// Parses and validates a whole buffer. Every header field is checked before it
// is used: header length vs buffer size, JSON syntax, dtype, shape, offsets in
// range / contiguous / non-overlapping, shape × dtype size == byte length.
// Non-finite values are rejected (a NaN weight is never a model). Never throws.
Result<SafetensorsContents> decode_safetensors(const std::uint8_t* data, std::size_t size);

// A header already parsed as JSON by someone else (web/latentlab.js uses the browser's JSON.parse,
// so the page's wasm module carries no JSON parser): the values as the file states them, with only
// their JSON types checked (strings, arrays of non-negative integers). decode_parsed_safetensors
// applies every other check of decode_safetensors (the same code: dtype, rank, dimensions, offsets
// in range, exact tiling of the data section, finite values) and decodes the values.
struct ParsedTensor {
  std::string name;
  std::string dtype;
  std::vector<std::uint64_t> shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

struct ParsedSafetensorsHeader {
  std::map<std::string, std::string> metadata;
  std::vector<ParsedTensor> tensors;
};

// data_section: the data_size bytes after the header (offsets are relative to its start).
Result<SafetensorsContents> decode_parsed_safetensors(const ParsedSafetensorsHeader& header,
                                                      const std::uint8_t* data_section, std::uint64_t data_size);

// IEEE half / bfloat16 conversions (round to nearest even). float_to_half saturates
// finite values beyond the half range to ±65504 (never ±inf); ±inf and NaN are kept.
std::uint16_t float_to_half(float);
float half_to_float(std::uint16_t);
float bfloat16_to_float(std::uint16_t);

}  // namespace latentlab
