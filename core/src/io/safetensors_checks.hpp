// The checks of a safetensors header that do not depend on how its JSON was parsed, shared by
// decode_safetensors (JSON parsed by nlohmann: native CLI, training build) and
// decode_parsed_safetensors (JSON parsed by the browser's JSON.parse in web/latentlab.js, so the
// page's wasm module carries no JSON parser). Untrusted input is validated here, in one place:
// dtype names, ranks, dimensions, offsets against the data section, the exact tiling of the data
// section, finite values. Each check returns "" when the value is acceptable, else the message
// without the "safetensors: " prefix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "latentlab/result.hpp"
#include "latentlab/io/safetensors.hpp"

namespace latentlab::safetensors_detail {

// A latentlab file's header is a few KB (about 150 bytes per tensor, a few dozen tensors, a page of
// metadata). 1 MiB would list thousands of tensors: a larger header is refused from its length,
// before any JSON is parsed (a 13 MB header of 200,000 tensors took 1.2 s to parse natively and
// blocked the page for 1.5–2 s). web/latentlab.js has the same limit.
constexpr std::uint64_t kMaxHeaderBytes = std::uint64_t{1} << 20;
constexpr std::size_t kMaxDims = 8;
constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 31;  // per tensor
constexpr const char* kMetadataKey = "__metadata__";

std::size_t dtype_size(DType dtype);
Result<SafetensorsContents> fail(const std::string& message);

// A name from the file, quoted for an error message (control bytes escaped, long names shortened).
std::string quoted(const std::string& text);
std::string tensor_label(const std::string& name);
std::string shape_text(const std::vector<std::int64_t>& shape);
std::string range_text(std::uint64_t begin, std::uint64_t end);

// The 8-byte length prefix against the buffer: "" when header_size bytes of header follow it.
std::string check_framing(std::size_t size, std::uint64_t header_size);

// Everything the header says about one tensor, validated against the data section size.
struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t elements = 1;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

// The checks of one entry, in the order decode_safetensors applies them; `label` is tensor_label(name).
std::string check_dtype(const std::string& label, const std::string& name, DType* dtype);
std::string check_rank(const std::string& label, std::size_t rank);
// Appends dimension i (= d) to out->shape and multiplies it into out->elements.
std::string check_dimension(const std::string& label, std::size_t i, std::uint64_t d, TensorEntry* out);
// out->begin, out->end (and dtype, elements) set: in range and exactly the tensor's byte size.
std::string check_offsets(const std::string& label, std::uint64_t data_size, TensorEntry* out);

// The entries must tile [0, data_size) exactly; then every value is decoded to float32 and
// checked finite. `entries` is reordered (by begin).
Result<SafetensorsContents> decode_entries(std::map<std::string, std::string> metadata,
                                           std::vector<TensorEntry> entries, const std::uint8_t* data_section,
                                           std::uint64_t data_size);

}  // namespace latentlab::safetensors_detail
