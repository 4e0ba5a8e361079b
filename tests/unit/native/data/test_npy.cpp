// The .npy reader (native/src/data/npy.hpp): files built byte by byte here as numpy.save writes
// them, accepted with their values; every kind of bad file refused with a message that says what
// was found. (A numpy/PyTorch-written file is scored end to end in test_cli_eval_images.cpp.)
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "data/npy.hpp"
#include "program.hpp"

using latentlab::native::DataError;
using latentlab::native::is_npy;
using latentlab::native::parse_npy_images;
using Bytes = std::vector<std::uint8_t>;

namespace {

// magic, version, header length (u16 for 1.x, u32 otherwise), dict padded with spaces + '\n' to a
// multiple of 64 bytes (as numpy does), then the float values little-endian.
Bytes npy(const std::string& dict, const std::vector<float>& values, int major = 1) {
  Bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major), 0};
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  std::string header = dict;
  while ((b.size() + length_bytes + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  for (std::size_t i = 0; i < length_bytes; ++i) b.push_back(static_cast<std::uint8_t>(header.size() >> (8 * i)));
  b.insert(b.end(), header.begin(), header.end());
  for (float v : values) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
  }
  return b;
}

std::string dict(const std::string& shape, const std::string& descr = "<f4", const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

std::vector<float> ramp(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 256) / 255.0f;
  return v;
}

std::string refusal(const Bytes& b) {
  try {
    parse_npy_images(b.data(), b.size(), "x.npy");
  } catch (const DataError& e) {
    return e.what();
  }
  return "(accepted)";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("npy: numpy's layouts of images are read with their values", "[npy][data]") {
  const std::vector<float> values = ramp(3 * 2 * 4);
  for (int major : {1, 2, 3}) {
    INFO("version " << major);
    const Bytes b = npy(dict("(3, 2, 4)"), values, major);
    CHECK(is_npy(b.data(), b.size()));
    const auto images = parse_npy_images(b.data(), b.size(), "x.npy");
    CHECK(images.count == 3);
    CHECK(images.rows == 2);
    CHECK(images.cols == 4);
    CHECK(images.pixels == values);
  }
  const auto flat = parse_npy_images(npy(dict("(3, 8)"), values).data(), npy(dict("(3, 8)"), values).size(), "x.npy");
  CHECK(flat.count == 3);
  CHECK(flat.image_size() == 8);
  const Bytes nchw = npy(dict("(3, 1, 2, 4)"), values);
  const auto channels = parse_npy_images(nchw.data(), nchw.size(), "x.npy");
  CHECK(channels.rows == 2);
  CHECK(channels.cols == 4);
  // Keys in another order, double quotes, no trailing comma, the extreme values 0 and 1.
  const Bytes other = npy("{\"shape\": (2, 1), \"fortran_order\": False, \"descr\": \"<f4\"}", {0.0f, 1.0f});
  CHECK(parse_npy_images(other.data(), other.size(), "x.npy").pixels == std::vector<float>{0.0f, 1.0f});
}

TEST_CASE("npy: wrong dtypes, order and shapes are refused, naming what was found", "[npy][data]") {
  const std::vector<float> four = ramp(4);
  CHECK(contains(refusal(npy(dict("(2, 2)", "<f8"), four)), "dtype '<f8' (float64)"));
  CHECK(contains(refusal(npy(dict("(2, 2)", "|u1"), four)), "dtype '|u1' (uint8)"));
  CHECK(contains(refusal(npy(dict("(2, 2)", ">f4"), four)), "big-endian float32"));
  CHECK(contains(refusal(npy(dict("(2, 2)", "<f4", "True"), four)), "fortran_order is True"));
  CHECK(contains(refusal(npy(dict("(4,)"), four)), "shape (4,): expected images"));
  CHECK(contains(refusal(npy(dict("(1, 2, 1, 2)"), four)), "shape (1, 2, 1, 2)"));  // 2 channels
  CHECK(contains(refusal(npy(dict("(0, 4)"), {})), "holds no images"));
  CHECK(contains(refusal(npy(dict("(268435456, 268435456)"), four)), "holds more than"));
  CHECK(contains(refusal(npy("{'descr': '<f4', 'fortran_order': False}", four)), "no 'shape'"));
  CHECK(contains(refusal(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", four)),
                 "unknown header key 'x'"));
  CHECK(contains(refusal(npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 2)}", four)), "True or False"));
  CHECK(contains(refusal(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2)}", four)),
                 "tuple of non-negative integers"));
}

TEST_CASE("npy: truncated, oversized and malformed files are refused", "[npy][data]") {
  const Bytes good = npy(dict("(2, 2)"), ramp(4));
  REQUIRE(refusal(good) == "(accepted)");
  // Cut anywhere: in the magic, the preamble, the header, the data.
  for (std::size_t cut : {std::size_t(3), std::size_t(9), std::size_t(40), good.size() - 1}) {
    INFO("cut at " << cut);
    const Bytes b(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
    const std::string why = refusal(b);
    CHECK(contains(why, "x.npy"));
    CHECK((contains(why, "truncated") || contains(why, "magic")));
  }
  Bytes trailing = good;
  trailing.push_back(0);
  CHECK(contains(refusal(trailing), "trailing bytes"));
  Bytes version = good;
  version[6] = 4;
  CHECK(contains(refusal(version), "unsupported format version 4.0"));
  Bytes huge = npy(dict("(2, 2)"), ramp(4), 2);
  huge[8] = huge[9] = huge[10] = 0xff;  // header length ≈ 16 MB
  CHECK(contains(refusal(huge), "exceeds the limit"));
  Bytes idx = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7};
  CHECK_FALSE(is_npy(idx.data(), idx.size()));
  CHECK(contains(refusal(idx), "magic"));
  Bytes garbage_after = npy(dict("(2, 2)") + "x", ramp(4));
  CHECK(contains(refusal(garbage_after), "after the header dict"));
}

TEST_CASE("npy: NaN, infinite and out-of-range pixels are refused with their position", "[npy][data]") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  CHECK(contains(refusal(npy(dict("(2, 2)"), {0, 0, 0, nan})), "value nan at image 1, pixel 1"));
  CHECK(contains(refusal(npy(dict("(2, 2)"), {0, inf, 0, 0})), "value inf at image 0, pixel 1"));
  CHECK(contains(refusal(npy(dict("(2, 2)"), {0, 0, 200, 0})), "divide by 255"));
  CHECK(contains(refusal(npy(dict("(2, 2)"), {-0.5f, 0, 0, 0})), "(x + 1) / 2"));
  CHECK(contains(refusal(npy(dict("(2, 2)"), {0, 0, 0, 1.0000001f})), "must be finite and in [0, 1]"));
}
