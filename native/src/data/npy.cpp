#include "data/npy.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

#include "output/file_io.hpp"
#include "program.hpp"

namespace latentlab::native {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;

// The three keys of a .npy header, as written by numpy.save (and torch via numpy).
struct NpyHeader {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<std::uint64_t>> shape;
};

// A recursive-descent reader of the header's dict literal: exactly the grammar numpy writes
//   { 'key': value, ... }   value = 'string' | True | False | ( int, int, ... )
// Anything else (other keys, nested values, expressions) is refused.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& source) : s_(text), source_(source) {}

  NpyHeader parse() {
    NpyHeader h;
    skip_space();
    expect('{');
    skip_space();
    while (peek() != '}') {
      const std::string key = quoted_string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        if (h.descr) fail("key 'descr' appears twice");
        h.descr = quoted_string();
      } else if (key == "fortran_order") {
        if (h.fortran_order) fail("key 'fortran_order' appears twice");
        h.fortran_order = boolean();
      } else if (key == "shape") {
        if (h.shape) fail("key 'shape' appears twice");
        h.shape = tuple();
      } else {
        fail("unknown header key '" + printable(key) + "' (a .npy header has descr, fortran_order and shape)");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        skip_space();
      } else if (peek() != '}') {
        fail("expected ',' or '}' at header byte " + std::to_string(pos_));
      }
    }
    ++pos_;
    // numpy pads the header with spaces and ends it with '\n'.
    for (; pos_ < s_.size(); ++pos_)
      if (s_[pos_] != ' ' && s_[pos_] != '\n') fail("unexpected byte after the header dict at header byte " + std::to_string(pos_));
    if (!h.descr) fail("header has no 'descr' (the dtype)");
    if (!h.fortran_order) fail("header has no 'fortran_order'");
    if (!h.shape) fail("header has no 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw DataError(quoted(source_) + " is not a valid .npy file: " + why);
  }

  static std::string printable(const std::string& text) {
    std::string out;
    for (char c : text.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
  }

  char peek() const {
    if (pos_ >= s_.size()) fail("header ends inside the dict");
    return s_[pos_];
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "' at header byte " + std::to_string(pos_));
    ++pos_;
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n')) ++pos_;
  }

  std::string quoted_string() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string at header byte " + std::to_string(pos_));
    ++pos_;
    const std::size_t begin = pos_;
    while (peek() != q) {
      if (s_[pos_] == '\\') fail("escapes are not allowed in header strings");
      ++pos_;
    }
    return s_.substr(begin, pos_++ - begin);
  }

  bool boolean() {
    for (const auto& [word, value] : {std::pair<const char*, bool>{"True", true}, {"False", false}}) {
      const std::size_t n = std::strlen(word);
      if (s_.compare(pos_, n, word) == 0) {
        pos_ += n;
        return value;
      }
    }
    fail("'fortran_order' must be True or False");
  }

  std::vector<std::uint64_t> tuple() {
    expect('(');
    std::vector<std::uint64_t> dims;
    skip_space();
    while (peek() != ')') {
      if (peek() < '0' || peek() > '9') fail("'shape' must be a tuple of non-negative integers");
      std::uint64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        v = v * 10 + static_cast<std::uint64_t>(s_[pos_++] - '0');
        if (v > kNpyMaxValues) fail("a 'shape' dimension exceeds " + std::to_string(kNpyMaxValues));
      }
      dims.push_back(v);
      if (dims.size() > 8) fail("'shape' has more than 8 dimensions");
      skip_space();
      if (peek() == ',') {
        ++pos_;
        skip_space();
      } else if (peek() != ')') {
        fail("expected ',' or ')' in 'shape'");
      }
    }
    ++pos_;
    return dims;
  }

  const std::string& s_;
  const std::string& source_;
  std::size_t pos_ = 0;
};

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// What a descr other than '<f4' holds, for the refusal.
std::string describe_descr(const std::string& d) {
  if (d == ">f4") return "big-endian float32";
  if (d == "<f8" || d == ">f8") return "float64";
  if (d == "<f2" || d == ">f2") return "float16";
  if (d == "|u1") return "uint8";
  if (d == "|b1") return "bool";
  if (d.size() >= 2 && (d[1] == 'i' || d[1] == 'u')) return "integers";
  return "dtype";
}

}  // namespace

bool is_npy(const std::uint8_t* data, std::size_t size) {
  return size >= kMagicSize && std::memcmp(data, kMagic, kMagicSize) == 0;
}

NpyImages parse_npy_images(const std::uint8_t* data, std::size_t size, const std::string& source) {
  const auto fail = [&](const std::string& why) -> DataError {
    return DataError(quoted(source) + " is not a valid .npy file: " + why);
  };
  if (!is_npy(data, size)) throw fail("it does not start with the magic \\x93NUMPY");
  if (size < kMagicSize + 4) throw fail("truncated: " + std::to_string(size) + " bytes end inside the preamble");
  const unsigned major = data[6], minor = data[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    throw fail("unsupported format version " + std::to_string(major) + "." + std::to_string(minor) +
               " (1.0, 2.0 and 3.0 are read)");
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  const std::size_t preamble = kMagicSize + 2 + length_bytes;
  if (size < preamble) throw fail("truncated: " + std::to_string(size) + " bytes end inside the preamble");
  std::uint64_t header_length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i) header_length |= std::uint64_t(data[8 + i]) << (8 * i);
  if (header_length > kNpyMaxHeaderBytes)
    throw fail("header length " + std::to_string(header_length) + " exceeds the limit of " +
               std::to_string(kNpyMaxHeaderBytes) + " bytes");
  if (header_length > size - preamble)
    throw fail("truncated: the header announces " + std::to_string(header_length) + " bytes, " +
               std::to_string(size - preamble) + " follow");
  const std::string text(reinterpret_cast<const char*>(data + preamble), header_length);
  const NpyHeader h = HeaderParser(text, source).parse();

  if (*h.descr != "<f4")
    throw fail("dtype '" + *h.descr + "' (" + describe_descr(*h.descr) +
               "): expected little-endian float32 '<f4' with pixels in [0, 1] (numpy: a.astype('<f4'); "
               "uint8 images 0..255: (a / 255).astype('<f4'), or write an IDX file)");
  if (*h.fortran_order)
    throw fail("fortran_order is True: expected C order (numpy: np.ascontiguousarray(a) before np.save)");
  const std::vector<std::uint64_t>& shape = *h.shape;
  NpyImages out;
  if (shape.size() == 2) {
    out.rows = 1;
    out.cols = shape[1];
  } else if (shape.size() == 3) {
    out.rows = shape[1];
    out.cols = shape[2];
  } else if (shape.size() == 4 && shape[1] == 1) {
    out.rows = shape[2];
    out.cols = shape[3];
  } else {
    throw fail("shape " + shape_text(shape) + ": expected images (N, pixels), (N, rows, cols) or (N, 1, rows, cols)");
  }
  if (shape[0] == 0 || out.rows == 0 || out.cols == 0) throw fail("shape " + shape_text(shape) + " holds no images");
  out.count = shape[0];
  // Each factor is ≤ 2^28, so the products below cannot overflow before the check.
  const std::uint64_t image = std::uint64_t(out.rows) * out.cols;
  if (image > kNpyMaxValues || out.count > kNpyMaxValues / image)
    throw fail("shape " + shape_text(shape) + " holds more than " + std::to_string(kNpyMaxValues) + " values");
  const std::uint64_t values = out.count * image;
  const std::uint64_t data_bytes = size - preamble - header_length;
  if (data_bytes != values * 4)
    throw fail(std::string(data_bytes < values * 4 ? "truncated" : "trailing bytes") + ": shape " + shape_text(shape) +
               " needs " + std::to_string(values * 4) + " data bytes, the file has " + std::to_string(data_bytes));

  out.pixels.resize(values);
  const std::uint8_t* p = data + preamble + header_length;
  for (std::uint64_t i = 0; i < values; ++i, p += 4) {
    const std::uint32_t bits = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
                               std::uint32_t(p[3]) << 24;
    float v;
    std::memcpy(&v, &bits, 4);
    if (!(v >= 0.0f && v <= 1.0f)) {
      char value[32];
      std::snprintf(value, sizeof value, "%.9g", static_cast<double>(v));
      throw fail("value " + std::string(value) + " at image " + std::to_string(i / image) + ", pixel " +
                 std::to_string(i % image) + ": pixels must be finite and in [0, 1]" +
                 (v > 1.0f && v <= 255.0f ? " (0..255 images: divide by 255)" : "") +
                 (v < 0.0f && v >= -1.0f ? " ([-1, 1] images, e.g. from a tanh generator: (x + 1) / 2)" : ""));
    }
    out.pixels[i] = v;
  }
  return out;
}

NpyImages read_npy_images(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file(path, 64 + kNpyMaxHeaderBytes + kNpyMaxValues * 4);
  return parse_npy_images(bytes.data(), bytes.size(), path);
}

}  // namespace latentlab::native
