// Safetensors header checks and value decoding shared by both header parsers (see
// safetensors_checks.hpp). The buffer is hostile: nothing here throws, reads outside the buffer,
// or allocates with a size from the file before that size has been checked. The rules follow the
// Rust reference implementation (huggingface/safetensors): header at most 100 MB, tensors must tile
// the data section exactly (no overlap, no hole, no trailing bytes).
#include "safetensors_checks.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace latentlab::safetensors_detail {

namespace {
struct DTypeInfo {
  DType dtype;
  const char* name;
  std::size_t size;
};
// Every dtype the safetensors spec names that latentlab accepts (F64 and the F8 types are refused).
constexpr DTypeInfo kDTypes[] = {{DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
                                 {DType::BOOL, "BOOL", 1}, {DType::U8, "U8", 1},    {DType::I8, "I8", 1},
                                 {DType::I16, "I16", 2},   {DType::U16, "U16", 2},  {DType::I32, "I32", 4},
                                 {DType::U32, "U32", 4},   {DType::I64, "I64", 8},  {DType::U64, "U64", 8}};
}  // namespace

std::size_t dtype_size(DType dtype) {
  for (const DTypeInfo& d : kDTypes)
    if (d.dtype == dtype) return d.size;
  return 0;
}

Result<SafetensorsContents> fail(const std::string& message) {
  return Result<SafetensorsContents>::failure("safetensors: " + message);
}

std::string quoted(const std::string& text) {
  constexpr std::size_t kMaxShown = 80;
  std::size_t shown = text.size();
  if (shown > kMaxShown) {
    shown = kMaxShown;  // on a UTF-8 character boundary
    while (shown > 0 && (static_cast<unsigned char>(text[shown]) & 0xC0u) == 0x80u) --shown;
  }
  static const char* const kHex = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (shown < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string tensor_label(const std::string& name) { return "tensor " + quoted(name); }

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

std::string range_text(std::uint64_t begin, std::uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

std::string check_framing(std::size_t size, std::uint64_t header_size) {
  const std::uint64_t available = size - 8;
  if (header_size > available) {
    return "header length " + std::to_string(header_size) + " exceeds the " + std::to_string(available) +
           " bytes that follow the length field";
  }
  if (header_size > kMaxHeaderBytes) {
    return "header length " + std::to_string(header_size) + " exceeds the limit of " +
           std::to_string(kMaxHeaderBytes) + " bytes (a latentlab header is a few KB; this one would list thousands of tensors)";
  }
  return {};
}

std::string check_dtype(const std::string& label, const std::string& name, DType* dtype) {
  for (const DTypeInfo& d : kDTypes) {
    if (name == d.name) {
      *dtype = d.dtype;
      return {};
    }
  }
  return label + ": dtype " + quoted(name) +
         " not supported: latentlab reads F32, F16 and BF16 values and accepts (without using them) "
         "BOOL, U8, I8, I16, U16, I32, U32, I64 and U64 tensors";
}

std::string check_rank(const std::string& label, std::size_t rank) {
  if (rank > kMaxDims) {
    return label + ": shape has " + std::to_string(rank) + " dimensions, at most " + std::to_string(kMaxDims) +
           " are supported";
  }
  return {};
}

std::string check_dimension(const std::string& label, std::size_t i, std::uint64_t d, TensorEntry* out) {
  // Checked multiplication: elements <= kMaxElements and d <= kMaxElements, so the product fits
  // in 64 bits; testing d alone also covers shapes containing a 0.
  if (d > kMaxElements || out->elements * d > kMaxElements) {
    return label + ": shape has more than 2^31 elements (dimension " + std::to_string(i) + " is " +
           std::to_string(d) + ")";
  }
  out->elements *= d;
  out->shape.push_back(static_cast<std::int64_t>(d));
  return {};
}

std::string check_offsets(const std::string& label, std::uint64_t data_size, TensorEntry* out) {
  const std::string offsets = "data_offsets " + range_text(out->begin, out->end);
  if (out->begin > out->end) return label + ": " + offsets + " have begin > end";
  if (out->end > data_size) {
    return label + ": " + offsets + " end beyond the data section (" + std::to_string(data_size) + " bytes)";
  }
  const std::uint64_t needed = out->elements * dtype_size(out->dtype);  // <= 2^33
  if (out->end - out->begin != needed) {
    return label + ": " + offsets + " give " + std::to_string(out->end - out->begin) + " bytes but shape " +
           shape_text(out->shape) + " of " + dtype_name(out->dtype) + " needs " + std::to_string(needed);
  }
  return {};
}

namespace {

// Converts stored little-endian elements to float32. The data may be unaligned, so each
// element is assembled from bytes (never a reinterpret_cast of the buffer).
void decode_values(const std::uint8_t* p, DType dtype, std::vector<float>* values) {
  const std::size_t n = values->size();
  float* out = values->data();
  if (dtype == DType::F32) {
    for (std::size_t i = 0; i < n; ++i, p += 4) {
      const std::uint32_t bits = std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
                                 (std::uint32_t{p[3]} << 24);
      std::memcpy(&out[i], &bits, sizeof bits);
    }
  } else {
    for (std::size_t i = 0; i < n; ++i, p += 2) {
      const auto bits = static_cast<std::uint16_t>(p[0] | (p[1] << 8));
      out[i] = dtype == DType::F16 ? half_to_float(bits) : bfloat16_to_float(bits);
    }
  }
}

}  // namespace

Result<SafetensorsContents> decode_entries(std::map<std::string, std::string> metadata,
                                           std::vector<TensorEntry> entries, const std::uint8_t* data_section,
                                           std::uint64_t data_size) {
  if (entries.empty() && data_size != 0) {
    return fail("the header lists no tensors but the data section has " + std::to_string(data_size) + " bytes");
  }

  // The tensors must tile [0, data_size) exactly: sorted by begin, each starts where
  // the previous one ended and the last one ends at the end of the file.
  std::sort(entries.begin(), entries.end(), [](const TensorEntry& a, const TensorEntry& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end < b.end;
    return a.name < b.name;
  });
  std::uint64_t covered = 0;  // end of the previous tensor
  const TensorEntry* previous = nullptr;
  for (const TensorEntry& e : entries) {
    if (e.begin < covered) {
      return fail(tensor_label(e.name) + " data_offsets " + range_text(e.begin, e.end) + " overlap " +
                  tensor_label(previous->name) + " data_offsets " + range_text(previous->begin, previous->end));
    }
    if (e.begin > covered) {
      return fail("hole in the data section: bytes " + range_text(covered, e.begin) + " belong to no tensor (before " +
                  tensor_label(e.name) + ")");
    }
    covered = e.end;
    previous = &e;
  }
  if (covered != data_size) {
    return fail("trailing data: bytes " + range_text(covered, data_size) + " of the data section belong to no tensor");
  }

  // Everything is validated; total allocation is at most 2 floats per byte of data.
  SafetensorsContents contents;
  contents.metadata = std::move(metadata);
  contents.tensors.reserve(entries.size());
  for (const TensorEntry& e : entries) {
    DecodedTensor t;
    t.name = e.name;
    t.stored_dtype = e.dtype;
    t.shape = e.shape;
    if (!is_float_dtype(e.dtype)) {  // size checked above; the values are never used
      contents.tensors.push_back(std::move(t));
      continue;
    }
    t.values.resize(static_cast<std::size_t>(e.elements));
    decode_values(data_section + e.begin, e.dtype, &t.values);
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      if (!std::isfinite(t.values[i])) {
        const char* what = std::isnan(t.values[i]) ? "NaN" : (t.values[i] > 0 ? "+inf" : "-inf");
        return fail(tensor_label(e.name) + ": value at flat index " + std::to_string(i) + " is " + what +
                    " (non-finite weights are rejected)");
      }
    }
    contents.tensors.push_back(std::move(t));
  }
  return Result<SafetensorsContents>::success(std::move(contents));
}

}  // namespace latentlab::safetensors_detail

namespace latentlab {

const char* dtype_name(DType dtype) {
  for (const safetensors_detail::DTypeInfo& d : safetensors_detail::kDTypes)
    if (d.dtype == dtype) return d.name;
  return "?";
}

bool is_float_dtype(DType dtype) { return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16; }

Result<SafetensorsContents> decode_parsed_safetensors(const ParsedSafetensorsHeader& header,
                                                      const std::uint8_t* data_section, std::uint64_t data_size) {
  using namespace safetensors_detail;
  if (data_section == nullptr && data_size != 0) return fail("null buffer");
  std::vector<TensorEntry> entries;
  entries.reserve(header.tensors.size());
  for (const ParsedTensor& t : header.tensors) {
    const std::string label = tensor_label(t.name);
    TensorEntry e;
    e.name = t.name;
    std::string error = check_dtype(label, t.dtype, &e.dtype);
    if (error.empty()) error = check_rank(label, t.shape.size());
    for (std::size_t i = 0; error.empty() && i < t.shape.size(); ++i) error = check_dimension(label, i, t.shape[i], &e);
    e.begin = t.begin;
    e.end = t.end;
    if (error.empty()) error = check_offsets(label, data_size, &e);
    if (!error.empty()) return fail(error);
    entries.push_back(std::move(e));
  }
  return decode_entries(header.metadata, std::move(entries), data_section, data_size);
}

}  // namespace latentlab
