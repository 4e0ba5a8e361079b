// Safetensors encoder and the JSON half of the validating decoder (format: see safetensors.hpp):
// nlohmann parses the header and checks the JSON types; every check of the values themselves and
// the decoding of the data are safetensors_checks.cpp, shared with the page's path (a header
// parsed by the browser's JSON.parse, decode_parsed_safetensors).
//
// The decoder treats the buffer as hostile: it never throws (the WebAssembly build may
// have exceptions disabled, where a throw is an abort), never reads outside the buffer,
// and checks every size that comes from the file before allocating anything with it.
#include "latentlab/io/safetensors.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "safetensors_checks.hpp"

namespace latentlab {

namespace {

using Json = nlohmann::json;
using namespace safetensors_detail;

// Describes a JSON value for an error message without serialising it (a nested value
// could be huge or deeply nested; only numbers are printed).
std::string describe(const Json& value) {
  if (value.is_number()) return "the number " + value.dump();
  if (value.is_null()) return "null";
  if (value.is_object() || value.is_array()) return std::string("an ") + value.type_name();
  return std::string("a ") + value.type_name();
}

std::uint64_t read_u64_le(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Records the first syntax error of a SAX parse; every other event is accepted.
// Used only to explain why the DOM parse failed.
class SyntaxErrorFinder final : public nlohmann::json_sax<Json> {
 public:
  std::size_t position = 0;
  std::string message;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t pos, const std::string&,
                   const nlohmann::detail::exception& error) override {
    position = pos;
    message = error.what();
    return false;
  }
};

// nlohmann's message quotes the last token read, which comes from the file: keep it
// short and ASCII.
std::string json_syntax_error(const char* begin, const char* end) {
  SyntaxErrorFinder finder;
  Json::sax_parse(begin, end, &finder);
  // Drop nlohmann's "[json.exception.parse_error.101] " tag.
  std::string message = finder.message;
  if (!message.empty() && message[0] == '[') {
    const std::size_t close = message.find("] ");
    if (close != std::string::npos) message.erase(0, close + 2);
  }
  std::string text;
  for (char c : message) {
    const auto u = static_cast<unsigned char>(c);
    text += (u >= 0x20 && u < 0x7F) ? c : '?';
    if (text.size() >= 240) {
      text += "...";
      break;
    }
  }
  return "header is not valid JSON (byte " + std::to_string(finder.position) +
         " of the header): " + text;
}

// Returns an empty string on success, else the error (without the "safetensors: " prefix).
std::string parse_dtype(const Json& entry, const std::string& label, DType* dtype) {
  const auto it = entry.find("dtype");
  if (it == entry.end()) return label + ": missing \"dtype\"";
  if (!it->is_string()) return label + ": \"dtype\" must be a string, found " + describe(*it);
  return check_dtype(label, it->get_ref<const std::string&>(), dtype);
}

std::string parse_shape(const Json& entry, const std::string& label, TensorEntry* out) {
  const auto it = entry.find("shape");
  if (it == entry.end()) return label + ": missing \"shape\"";
  if (!it->is_array()) return label + ": \"shape\" must be an array, found " + describe(*it);
  std::string error = check_rank(label, it->size());
  if (!error.empty()) return error;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const Json& dim = (*it)[i];
    if (!dim.is_number_unsigned()) {
      return label + ": shape dimension " + std::to_string(i) + " is " + describe(dim) +
             ", expected a non-negative integer";
    }
    error = check_dimension(label, i, dim.get<std::uint64_t>(), out);
    if (!error.empty()) return error;
  }
  return {};
}

std::string parse_offsets(const Json& entry, const std::string& label, std::uint64_t data_size,
                          TensorEntry* out) {
  const auto it = entry.find("data_offsets");
  if (it == entry.end()) return label + ": missing \"data_offsets\"";
  if (!it->is_array() || it->size() != 2 || !(*it)[0].is_number_unsigned() ||
      !(*it)[1].is_number_unsigned()) {
    std::string found = describe(*it);
    if (it->is_array()) found = "an array of " + std::to_string(it->size()) + " elements";
    if (it->is_array() && it->size() == 2) found = "[" + describe((*it)[0]) + ", " +
                                                   describe((*it)[1]) + "]";
    return label + ": \"data_offsets\" must be two non-negative integers [begin, end], found " +
           found;
  }
  out->begin = (*it)[0].get<std::uint64_t>();
  out->end = (*it)[1].get<std::uint64_t>();
  return check_offsets(label, data_size, out);
}

std::string parse_tensor(const std::string& name, const Json& entry, std::uint64_t data_size,
                         TensorEntry* out) {
  const std::string label = tensor_label(name);
  if (!entry.is_object()) return label + ": entry must be an object, found " + describe(entry);
  out->name = name;
  std::string error = parse_dtype(entry, label, &out->dtype);
  if (error.empty()) error = parse_shape(entry, label, out);
  if (error.empty()) error = parse_offsets(entry, label, data_size, out);
  return error;
}

std::string parse_metadata(const Json& value, std::map<std::string, std::string>* out) {
  if (!value.is_object()) {
    return std::string("\"__metadata__\" must be an object of strings, found ") +
           describe(value);
  }
  for (const auto& item : value.items()) {
    if (!item.value().is_string()) {
      return "\"__metadata__\" value of key " + quoted(item.key()) +
             " must be a string, found " + describe(item.value());
    }
    (*out)[item.key()] = item.value().get_ref<const std::string&>();
  }
  return {};
}

// BF16 encoding (not needed by the header's API, but keeps encode total over DType):
// round to nearest even; finite overflow saturates like float_to_half.
std::uint16_t float_to_bfloat16(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((x >> 16) | 0x0040u);
  if ((x & 0x7FFFFFFFu) == 0x7F800000u) return static_cast<std::uint16_t>(x >> 16);
  const std::uint32_t rounding = 0x7FFFu + ((x >> 16) & 1u);
  const std::uint32_t rounded = (x + rounding) >> 16;
  if ((rounded & 0x7FFFu) == 0x7F80u) return static_cast<std::uint16_t>((x >> 16 & 0x8000u) | 0x7F7Fu);
  return static_cast<std::uint16_t>(rounded);
}

void append_u16_le(std::vector<std::uint8_t>* out, std::uint16_t v) {
  out->push_back(static_cast<std::uint8_t>(v & 0xFFu));
  out->push_back(static_cast<std::uint8_t>(v >> 8));
}

}  // namespace

const DecodedTensor* SafetensorsContents::find(const std::string& name) const {
  for (const DecodedTensor& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// Preconditions (programming errors, not input errors): names unique and not
// "__metadata__", dimensions non-negative, `values` valid for product(shape) floats.
// Names and metadata that are not valid UTF-8 get U+FFFD replacement characters.
std::vector<std::uint8_t> encode_safetensors(const std::vector<TensorToWrite>& tensors,
                                             const std::map<std::string, std::string>& metadata,
                                             DType dtype) {
  // ordered_json keeps "__metadata__" first and the tensors in the given order.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::uint64_t offset = 0;
  std::vector<std::uint64_t> counts;
  for (const TensorToWrite& t : tensors) {
    std::uint64_t count = 1;
    for (std::int64_t d : t.shape) {
      assert(d >= 0);
      count *= static_cast<std::uint64_t>(d);
    }
    assert(count == 0 || t.values != nullptr);
    assert(t.name != kMetadataKey && !header.contains(t.name));
    assert(is_float_dtype(dtype));
    const std::uint64_t bytes = count * dtype_size(dtype);
    header[t.name] = {{"dtype", dtype_name(dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    counts.push_back(count);
  }

  std::string json = header.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  // Pad with spaces (still valid JSON) so the data section starts 8-byte aligned,
  // as the reference implementation does.
  json.append((8 - json.size() % 8) % 8, ' ');

  std::vector<std::uint8_t> out;
  out.reserve(8 + json.size() + offset);
  const std::uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  out.insert(out.end(), json.begin(), json.end());
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    const float* v = tensors[k].values;
    for (std::uint64_t i = 0; i < counts[k]; ++i) {
      if (dtype == DType::F32) {
        std::uint32_t bits;
        std::memcpy(&bits, &v[i], sizeof bits);
        for (int b = 0; b < 4; ++b) out.push_back(static_cast<std::uint8_t>(bits >> (8 * b)));
      } else if (dtype == DType::F16) {
        append_u16_le(&out, float_to_half(v[i]));
      } else {
        append_u16_le(&out, float_to_bfloat16(v[i]));
      }
    }
  }
  return out;
}

Result<SafetensorsContents> decode_safetensors(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr && size != 0) return fail("null buffer");
  if (size < 8) {
    return fail("file is " + std::to_string(size) +
                " bytes, too short for the 8-byte header length");
  }
  const std::uint64_t header_size = read_u64_le(data);
  const std::string framing = check_framing(size, header_size);
  if (!framing.empty()) return fail(framing);
  // As chars: libc++ 19 (the relaxed-SIMD wasm build) has no std::char_traits<unsigned char>,
  // which nlohmann 3.11.2's parser needs for unsigned-char input. The same bytes either way.
  const char* header_begin = reinterpret_cast<const char*>(data + 8);
  const char* header_end = header_begin + header_size;
  const std::uint64_t data_size = size - 8 - header_size;

  // allow_exceptions = false: a syntax error gives a "discarded" value instead of a throw.
  const Json header = Json::parse(header_begin, header_end, nullptr, false);
  if (header.is_discarded()) return fail(json_syntax_error(header_begin, header_end));
  if (!header.is_object()) return fail("header must be a JSON object, found " + describe(header));

  std::map<std::string, std::string> metadata;
  std::vector<TensorEntry> entries;
  for (const auto& item : header.items()) {
    std::string error;
    if (item.key() == kMetadataKey) {
      error = parse_metadata(item.value(), &metadata);
    } else {
      entries.emplace_back();
      error = parse_tensor(item.key(), item.value(), data_size, &entries.back());
    }
    if (!error.empty()) return fail(error);
  }
  return decode_entries(std::move(metadata), std::move(entries), data + 8 + header_size, data_size);
}

}  // namespace latentlab
