// Safetensors codec: half/bfloat16 conversions against known bit patterns, encoder round
// trips, hand-written files, a PyTorch-made reference file, and hostile inputs (every
// malformed file must fail with a message naming the problem, and nothing may crash).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "latentlab/io/safetensors.hpp"
#include "support/values.hpp"

#ifndef LATENTLAB_FIXTURES_DIR
#define LATENTLAB_FIXTURES_DIR "tests/fixtures"
#endif

using namespace latentlab;
using Bytes = std::vector<std::uint8_t>;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float float_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// A safetensors file assembled by hand: 8-byte little-endian length, header text, data.
Bytes make_file(const std::string& header, const Bytes& data = {},
                std::uint64_t header_length = UINT64_MAX) {
  if (header_length == UINT64_MAX) header_length = header.size();
  Bytes out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(header_length >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes f32_bytes(const std::vector<float>& values) {
  Bytes out;
  for (float v : values) {
    const std::uint32_t u = bits_of(v);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(u >> (8 * i)));
  }
  return out;
}

Result<SafetensorsContents> decode(const Bytes& file) {
  return decode_safetensors(file.data(), file.size());
}

std::string tensor_json(const std::string& name, const std::string& dtype,
                        const std::string& shape, const std::string& offsets) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":" + offsets + "}";
}

void check_failure(const Bytes& file, const std::string& phrase) {
  const auto result = decode(file);
  INFO("expected phrase: " << phrase);
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.error(), StartsWith("safetensors: "));
  CHECK_THAT(result.error(), Contains(phrase));
}

std::vector<float> iota_floats(std::size_t n, float scale) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = (static_cast<float>(i) - 3.0f) * scale;
  return v;
}

// Header length field of an encoded file.
std::uint64_t header_length_of(const Bytes& file) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | file[static_cast<std::size_t>(i)];
  return n;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Conversions

TEST_CASE("half_to_float decodes known bit patterns", "[safetensors]") {
  CHECK(half_to_float(0x3C00) == 1.0f);
  CHECK(half_to_float(0xC000) == -2.0f);
  CHECK(half_to_float(0x7BFF) == 65504.0f);
  CHECK(half_to_float(0x0001) == 5.960464477539063e-8f);  // 2^-24, smallest subnormal
  CHECK(half_to_float(0x03FF) == 6.097555160522461e-5f);  // largest subnormal 1023·2^-24
  CHECK(half_to_float(0x0400) == 6.103515625e-5f);        // smallest normal 2^-14
  CHECK(half_to_float(0x3555) == 0.333251953125f);
  CHECK(half_to_float(0x2E66) == 0.0999755859375f);
  CHECK(bits_of(half_to_float(0x0000)) == 0x00000000u);
  CHECK(bits_of(half_to_float(0x8000)) == 0x80000000u);  // -0 keeps its sign
  CHECK(half_to_float(0x7C00) == std::numeric_limits<float>::infinity());
  CHECK(half_to_float(0xFC00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(half_to_float(0x7E00)));
  CHECK(std::isnan(half_to_float(0x7C01)));
}

TEST_CASE("half_to_float matches the binary16 formula for every bit pattern", "[safetensors]") {
  // Independent formula in double: subnormal m·2^-24, normal (1 + m/1024)·2^(e-15).
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const std::uint32_t e = (h >> 10) & 0x1F;
    const std::uint32_t m = h & 0x3FF;
    if (e == 31) continue;
    const double magnitude = e == 0 ? std::ldexp(double(m), -24)
                                    : std::ldexp(1.0 + double(m) / 1024.0, int(e) - 15);
    const double expected = (h & 0x8000) ? -magnitude : magnitude;
    INFO("half bits " << h);
    REQUIRE(double(half_to_float(static_cast<std::uint16_t>(h))) == expected);
  }
}

TEST_CASE("float_to_half encodes known values", "[safetensors]") {
  CHECK(float_to_half(1.0f) == 0x3C00);
  CHECK(float_to_half(-2.0f) == 0xC000);
  CHECK(float_to_half(65504.0f) == 0x7BFF);
  CHECK(float_to_half(5.960464477539063e-8f) == 0x0001);
  CHECK(float_to_half(6.103515625e-5f) == 0x0400);
  CHECK(float_to_half(0.1f) == 0x2E66);
  CHECK(float_to_half(1.0f / 3.0f) == 0x3555);
  CHECK(float_to_half(0.0f) == 0x0000);
  CHECK(float_to_half(-0.0f) == 0x8000);
  CHECK(float_to_half(1e-30f) == 0x0000);      // underflows to zero
  CHECK(float_to_half(-1e-45f) == 0x8000);     // float subnormal -> signed zero
  CHECK(float_to_half(std::numeric_limits<float>::infinity()) == 0x7C00);
  CHECK(float_to_half(-std::numeric_limits<float>::infinity()) == 0xFC00);
  const std::uint16_t nan = float_to_half(std::numeric_limits<float>::quiet_NaN());
  CHECK((nan & 0x7C00) == 0x7C00);
  CHECK((nan & 0x03FF) != 0);
  // A NaN whose payload is only in the low float bits must not turn into infinity.
  const std::uint16_t low_payload_nan = float_to_half(float_of(0x7F800001u));
  CHECK((low_payload_nan & 0x7C00) == 0x7C00);
  CHECK((low_payload_nan & 0x03FF) != 0);
}

TEST_CASE("float_to_half rounds to nearest even", "[safetensors]") {
  // Between 1 (0x3C00) and 1 + 2^-10 (0x3C01) the halfway point is 1 + 2^-11.
  CHECK(float_to_half(1.0f + 0x1p-11f) == 0x3C00);                // tie -> even (down)
  CHECK(float_to_half(1.0f + 3 * 0x1p-11f) == 0x3C02);            // tie -> even (up)
  CHECK(float_to_half(1.0f + 0x1p-11f + 0x1p-20f) == 0x3C01);     // above the tie
  CHECK(float_to_half(1.0f + 0x1p-11f - 0x1p-23f) == 0x3C00);     // below the tie
  CHECK(float_to_half(-(1.0f + 3 * 0x1p-11f)) == 0xBC02);
  // Mantissa carry into the exponent: 2 - 2^-11 is the tie between 0x3BFF and 2 (0x4000).
  CHECK(float_to_half(2.0f - 0x1p-11f) == 0x4000);
  // Subnormal range, in units of 2^-24.
  CHECK(float_to_half(0x1p-25f) == 0x0000);                      // 0.5 unit: tie -> 0
  CHECK(float_to_half(0x1p-25f * 1.0001f) == 0x0001);            // just above the tie
  CHECK(float_to_half(3 * 0x1p-25f) == 0x0002);                  // 1.5 units -> 2
  CHECK(float_to_half(5 * 0x1p-25f) == 0x0002);                  // 2.5 units -> 2
  CHECK(float_to_half(0x1p-14f - 0x1p-25f) == 0x0400);           // 1023.5 units -> normal
  CHECK(float_to_half(0x1p-14f - 3 * 0x1p-25f) == 0x03FE);       // 1022.5 units -> 1022
}

TEST_CASE("float_to_half saturates finite overflow at 65504", "[safetensors]") {
  CHECK(float_to_half(65519.0f) == 0x7BFF);  // rounds down to 65504 anyway
  CHECK(float_to_half(65520.0f) == 0x7BFF);  // IEEE would give inf: saturates
  CHECK(float_to_half(65536.0f) == 0x7BFF);
  CHECK(float_to_half(1e6f) == 0x7BFF);
  CHECK(float_to_half(std::numeric_limits<float>::max()) == 0x7BFF);
  CHECK(float_to_half(-1e6f) == 0xFBFF);
  CHECK(float_to_half(-70000.0f) == 0xFBFF);
}

TEST_CASE("float_to_half inverts half_to_float on every finite half", "[safetensors]") {
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    if (((h >> 10) & 0x1F) == 31) continue;
    INFO("half bits " << h);
    REQUIRE(float_to_half(half_to_float(static_cast<std::uint16_t>(h))) == h);
  }
}

TEST_CASE("bfloat16_to_float takes the upper half of a float32", "[safetensors]") {
  CHECK(bfloat16_to_float(0x3F80) == 1.0f);
  CHECK(bfloat16_to_float(0xC040) == -3.0f);
  CHECK(bfloat16_to_float(0x4049) == 3.140625f);
  CHECK(bfloat16_to_float(0x3EAB) == 0.333984375f);
  CHECK(bfloat16_to_float(0x0001) == 0x1p-133f);  // bfloat16 subnormal
  CHECK(bits_of(bfloat16_to_float(0x8000)) == 0x80000000u);
  CHECK(bfloat16_to_float(0x7F80) == std::numeric_limits<float>::infinity());
  CHECK(std::isnan(bfloat16_to_float(0x7FC0)));
}

// ---------------------------------------------------------------------------------------
// Encoder round trips

TEST_CASE("F32 round trip is bit exact", "[safetensors]") {
  const std::vector<float> a = {0.0f, -0.0f, 1.0f, -1.5e-40f /* subnormal */,
                                std::numeric_limits<float>::max(),
                                std::numeric_limits<float>::lowest(), 0.1f, -123.456f};
  const std::vector<float> b = iota_floats(12, 0.37f);
  const float scalar = 42.5f;
  const std::vector<TensorToWrite> tensors = {
      {"b.weight", {3, 4}, b.data()}, {"a.bias", {8}, a.data()},
      {"scalar", {}, &scalar},        {"empty", {0, 5}, nullptr}};
  const Bytes file = encode_safetensors(tensors, {});
  auto result = decode(file);
  REQUIRE(result.ok());
  const SafetensorsContents& c = result.value();
  CHECK(c.metadata.empty());
  REQUIRE(c.tensors.size() == 4);
  // Ordered by data offset, which is the order given to the encoder.
  CHECK(c.tensors[0].name == "b.weight");
  CHECK(c.tensors[1].name == "a.bias");
  CHECK(c.tensors[2].name == "scalar");
  CHECK(c.tensors[3].name == "empty");

  const DecodedTensor* ta = c.find("a.bias");
  REQUIRE(ta != nullptr);
  CHECK(ta->stored_dtype == DType::F32);
  CHECK(ta->shape == std::vector<std::int64_t>{8});
  REQUIRE(ta->values.size() == a.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(bits_of(ta->values[i]) == bits_of(a[i]));
  const DecodedTensor* tb = c.find("b.weight");
  REQUIRE(tb != nullptr);
  CHECK(tb->shape == std::vector<std::int64_t>{3, 4});
  CHECK(tb->values == b);
  const DecodedTensor* ts = c.find("scalar");
  REQUIRE(ts != nullptr);
  CHECK(ts->shape.empty());
  CHECK(ts->values == std::vector<float>{42.5f});
  const DecodedTensor* te = c.find("empty");
  REQUIRE(te != nullptr);
  CHECK(te->shape == std::vector<std::int64_t>{0, 5});
  CHECK(te->values.empty());
  CHECK(c.find("missing") == nullptr);
}

TEST_CASE("F16 round trip is within half precision", "[safetensors]") {
  // Mantissa in [1, 2), exponent in [-14, 15] (the binary16 normal range), random sign.
  latentlab::test::Lcg rng(1234);
  std::vector<float> values(2000);
  for (float& v : values) {
    const float mantissa = rng.uniform(1.0f, 2.0f);
    const int exponent = -14 + static_cast<int>((rng.next_u32() >> 8) % 30);
    v = std::ldexp(mantissa, exponent);
    if (v > 65504.0f) v = 65504.0f;
    if (rng.next_u32() >> 31) v = -v;
  }
  // Values that binary16 represents exactly must come back exactly.
  const std::vector<float> exact = {0.0f, -0.0f, 1.0f, -2.0f, 0.5f, -1.25f, 1024.0f, 65504.0f,
                                    -65504.0f, 0x1p-24f, 0x1p-14f, 0.0999755859375f, 3.140625f};
  const std::vector<TensorToWrite> tensors = {{"random", {40, 50}, values.data()},
                                              {"exact", {13}, exact.data()}};
  const Bytes file = encode_safetensors(tensors, {}, DType::F16);
  auto result = decode(file);
  REQUIRE(result.ok());
  const DecodedTensor* r = result.value().find("random");
  REQUIRE(r != nullptr);
  CHECK(r->stored_dtype == DType::F16);
  CHECK(r->shape == std::vector<std::int64_t>{40, 50});
  REQUIRE(r->values.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    // Round to nearest: relative error at most half an ulp = 2^-11 in the normal range.
    INFO("value " << values[i] << " decoded " << r->values[i]);
    REQUIRE(std::fabs(r->values[i] - values[i]) <= std::fabs(values[i]) * 0x1p-11f);
  }
  const DecodedTensor* e = result.value().find("exact");
  REQUIRE(e != nullptr);
  REQUIRE(e->values.size() == exact.size());
  for (std::size_t i = 0; i < exact.size(); ++i) {
    CHECK(bits_of(e->values[i]) == bits_of(exact[i]));
  }
  // The data section holds 2 bytes per element.
  CHECK(file.size() == 8 + header_length_of(file) + 2 * (2000 + 13));
}

TEST_CASE("F16 encoding saturates out-of-range weights, keeps non-finite ones", "[safetensors]") {
  const std::vector<float> big = {1e6f, -70000.0f, 65520.0f};
  Bytes file = encode_safetensors({{"w", {3}, big.data()}}, {}, DType::F16);
  auto result = decode(file);
  REQUIRE(result.ok());
  CHECK(result.value().tensors[0].values == std::vector<float>{65504.0f, -65504.0f, 65504.0f});

  // An infinite input is not hidden: it is written as inf and the decoder rejects the file.
  const std::vector<float> inf = {1.0f, std::numeric_limits<float>::infinity()};
  file = encode_safetensors({{"w", {2}, inf.data()}}, {}, DType::F16);
  check_failure(file, "tensor \"w\": value at flat index 1 is +inf");
}

TEST_CASE("BF16 encoding round trips within bfloat16 precision", "[safetensors]") {
  const std::vector<float> values = {1.0f, -3.0f, 1.0f / 3.0f, 1e30f, -2.5e-20f, 0.0f};
  const Bytes file = encode_safetensors({{"w", {6}, values.data()}}, {}, DType::BF16);
  auto result = decode(file);
  REQUIRE(result.ok());
  const DecodedTensor& t = result.value().tensors[0];
  CHECK(t.stored_dtype == DType::BF16);
  CHECK(t.values[0] == 1.0f);
  CHECK(t.values[1] == -3.0f);
  CHECK(t.values[2] == 0.333984375f);  // 0x3EAB
  for (std::size_t i = 0; i < values.size(); ++i) {
    CHECK(std::fabs(t.values[i] - values[i]) <= std::fabs(values[i]) * 0x1p-8f);
  }
}

TEST_CASE("metadata round trips", "[safetensors]") {
  const std::map<std::string, std::string> metadata = {
      {"kind", "vae"},
      {"layers", "784-400-20"},
      {"empty", ""},
      {"quote\"and\\backslash", "line\nbreak\ttab"},
      {"unicode", "\xC3\xA9t\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x98\x80"}};
  const std::vector<float> w = {1, 2, 3};
  const Bytes file = encode_safetensors({{"w", {3}, w.data()}}, metadata);
  auto result = decode(file);
  REQUIRE(result.ok());
  CHECK(result.value().metadata == metadata);

  // No metadata: the "__metadata__" key is omitted.
  const Bytes plain = encode_safetensors({{"w", {3}, w.data()}}, {});
  const std::string header(plain.begin() + 8, plain.begin() + 8 + long(header_length_of(plain)));
  CHECK(header.find("__metadata__") == std::string::npos);
  REQUIRE(decode(plain).ok());
  CHECK(decode(plain).value().metadata.empty());
}

TEST_CASE("encoder pads the header to a multiple of 8 bytes", "[safetensors]") {
  const std::vector<float> w = {1, 2, 3, 4};
  // Names of every length mod 8 give every amount of padding.
  for (std::size_t len = 1; len <= 16; ++len) {
    const Bytes file = encode_safetensors({{std::string(len, 'n'), {4}, w.data()}}, {});
    const std::uint64_t n = header_length_of(file);
    INFO("name length " << len << ", header length " << n);
    CHECK(n % 8 == 0);
    REQUIRE(file.size() == 8 + n + 16);  // the length field covers exactly the JSON text
    const std::string header(file.begin() + 8, file.begin() + 8 + long(n));
    // The header is a JSON object followed by fewer than 8 spaces of padding.
    const std::size_t close = header.find_last_of('}');
    REQUIRE(close != std::string::npos);
    CHECK(header.front() == '{');
    CHECK(n - (close + 1) < 8);
    CHECK(header.find_first_not_of(' ', close + 1) == std::string::npos);
    // The first tensor's data begins right after the header.
    CHECK(bits_of(1.0f) == (std::uint32_t(file[8 + n]) | std::uint32_t(file[8 + n + 1]) << 8 |
                            std::uint32_t(file[8 + n + 2]) << 16 |
                            std::uint32_t(file[8 + n + 3]) << 24));
  }
}

TEST_CASE("zero tensors with an empty data section is a valid file", "[safetensors]") {
  const Bytes encoded = encode_safetensors({}, {{"note", "nothing"}});
  auto result = decode(encoded);
  REQUIRE(result.ok());
  CHECK(result.value().tensors.empty());
  CHECK(result.value().metadata.at("note") == "nothing");
  REQUIRE(decode(make_file("{}")).ok());
  REQUIRE(decode(make_file("  {  }  ")).ok());
}

// ---------------------------------------------------------------------------------------
// Files written by hand and by PyTorch

TEST_CASE("hand-written F16/BF16/F32 file decodes to the right floats", "[safetensors]") {
  // Names sort differently from the data order, and the F32 tensor starts at byte 14 of
  // the data section (and the data section at byte 8 + 155): unaligned reads.
  const std::string header =
      "{\"a_single\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[14,22]},"
      "\"m_brain\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[8,14]},"
      "\"z_half\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]}}";
  const Bytes data = {
      0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x01, 0x00,  // F16: 1, -2, 65504, 2^-24
      0x80, 0x3F, 0x40, 0xC0, 0x49, 0x40,              // BF16: 1, -3, 3.140625
      0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0xC0, 0xBE,  // F32: 1.5, -0.375
  };
  auto result = decode(make_file(header, data));
  REQUIRE(result.ok());
  const auto& tensors = result.value().tensors;
  REQUIRE(tensors.size() == 3);
  CHECK(tensors[0].name == "z_half");
  CHECK(tensors[0].stored_dtype == DType::F16);
  CHECK(tensors[0].shape == std::vector<std::int64_t>{2, 2});
  CHECK(tensors[0].values == std::vector<float>{1.0f, -2.0f, 65504.0f, 5.960464477539063e-8f});
  CHECK(tensors[1].name == "m_brain");
  CHECK(tensors[1].stored_dtype == DType::BF16);
  CHECK(tensors[1].values == std::vector<float>{1.0f, -3.0f, 3.140625f});
  CHECK(tensors[2].name == "a_single");
  CHECK(tensors[2].stored_dtype == DType::F32);
  CHECK(tensors[2].values == std::vector<float>{1.5f, -0.375f});
}

TEST_CASE("reference file written with PyTorch decodes", "[safetensors]") {
  // Made by tests/reference/make_safetensors_fixture.py (torch's own f16/bf16 rounding).
  const std::string path = std::string(LATENTLAB_FIXTURES_DIR) + "/reference.safetensors";
  std::ifstream in(path, std::ios::binary);
  INFO("fixture " << path);
  REQUIRE(in.good());
  const Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(file.size() == 332);
  auto result = decode(file);
  INFO(result.error());
  REQUIRE(result.ok());
  const SafetensorsContents& c = result.value();
  CHECK(c.metadata == std::map<std::string, std::string>{
                          {"format", "pt"}, {"producer", "make_safetensors_fixture.py"}});
  REQUIRE(c.tensors.size() == 3);
  CHECK(c.tensors[0].name == "weight_f32");
  CHECK(c.tensors[1].name == "weight_f16");
  CHECK(c.tensors[2].name == "weight_bf16");

  const DecodedTensor* f32 = c.find("weight_f32");
  REQUIRE(f32 != nullptr);
  CHECK(f32->stored_dtype == DType::F32);
  CHECK(f32->shape == std::vector<std::int64_t>{2, 3});
  CHECK(f32->values == std::vector<float>{-0.5f, -0.25f, 0.0f, 0.25f, 0.5f, 0.75f});

  const DecodedTensor* f16 = c.find("weight_f16");
  REQUIRE(f16 != nullptr);
  CHECK(f16->stored_dtype == DType::F16);
  CHECK(f16->shape == std::vector<std::int64_t>{2, 5});
  CHECK(f16->values == std::vector<float>{-2.0f, -1.5f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f,
                                          0.0999755859375f, 65504.0f});

  const DecodedTensor* bf16 = c.find("weight_bf16");
  REQUIRE(bf16 != nullptr);
  CHECK(bf16->stored_dtype == DType::BF16);
  CHECK(bf16->shape == std::vector<std::int64_t>{4});
  CHECK(bf16->values == std::vector<float>{-0.0f, -1.5f, -3.0f, 0.333984375f});
  CHECK(std::signbit(bf16->values[0]));  // torch wrote 0 * -1.5 = -0
}

// ---------------------------------------------------------------------------------------
// Malformed files

TEST_CASE("malformed files fail with a message naming the problem", "[safetensors]") {
  const Bytes d16(16, 0);  // 16 zero bytes: four F32 zeros
  const std::string t4 = tensor_json("t", "F32", "[4]", "[0,16]");

  SECTION("empty buffer") { check_failure({}, "file is 0 bytes, too short"); }
  SECTION("null pointer") {
    CHECK_THAT(decode_safetensors(nullptr, 0).error(), Contains("too short"));
  }
  SECTION("7 bytes") { check_failure(Bytes(7, 0), "file is 7 bytes, too short"); }
  SECTION("header length 2^63") {
    check_failure(make_file("{}", {}, std::uint64_t{1} << 63),
                  "header length 9223372036854775808 exceeds the 2 bytes that follow");
  }
  SECTION("header length larger than the rest of the file") {
    check_failure(make_file("{" + t4 + "}", d16, 1000), "header length 1000 exceeds the");
  }
  SECTION("a header of 200,000 tensors (13 MB of JSON) is refused from its length, before parsing") {
    // Valid JSON listing 200,000 small tensors: parsing it took 1.2 s; the length alone refuses it now.
    std::string header = "{";
    for (int i = 0; i < 200000; ++i) {
      header += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" +
                std::to_string(4 * i) + "," + std::to_string(4 * i + 4) + "]}";
    }
    header += "}";
    REQUIRE(header.size() > 10'000'000);
    const Bytes file = make_file(header, Bytes(4 * 200000, 0));
    check_failure(file, "header length " + std::to_string(header.size()) + " exceeds the limit of 1048576 bytes");
  }
  SECTION("a header just under the cap is parsed") {
    std::string header = "{\"__metadata__\":{\"pad\":\"" + std::string((1u << 20) - 40, 'x') + "\"}}";
    header.resize(1u << 20, ' ');
    CHECK(decode(make_file(header, {})).ok());
  }
  SECTION("header is not JSON") {
    check_failure(make_file("{\"t\": {\"dtype\": "), "header is not valid JSON");
    check_failure(make_file("{} trailing"), "header is not valid JSON");
    check_failure(make_file(""), "header is not valid JSON");
    check_failure(make_file("{\"t\":1e999}"), "header is not valid JSON");  // number overflow
    check_failure(make_file("{\"\xFF\xFE\":{}}"), "header is not valid JSON");  // bad UTF-8
  }
  SECTION("header is an array") {
    check_failure(make_file("[1,2,3]"), "header must be a JSON object, found an array");
  }
  SECTION("metadata is not an object") {
    check_failure(make_file("{\"__metadata__\":[\"a\"]}"),
                  "\"__metadata__\" must be an object of strings, found an array");
  }
  SECTION("metadata value is not a string") {
    check_failure(make_file("{\"__metadata__\":{\"epochs\":3}}"),
                  "\"__metadata__\" value of key \"epochs\" must be a string, found the number 3");
  }
  SECTION("tensor entry is not an object") {
    check_failure(make_file("{\"t\":[0,16]}", d16), "tensor \"t\": entry must be an object");
  }
  SECTION("missing fields") {
    check_failure(make_file("{\"t\":{\"shape\":[4],\"data_offsets\":[0,16]}}", d16),
                  "tensor \"t\": missing \"dtype\"");
    check_failure(make_file("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}", d16),
                  "tensor \"t\": missing \"shape\"");
    check_failure(make_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[4]}}", d16),
                  "tensor \"t\": missing \"data_offsets\"");
  }
  SECTION("dtype not a string") {
    check_failure(make_file("{\"t\":{\"dtype\":32,\"shape\":[4],\"data_offsets\":[0,16]}}", d16),
                  "tensor \"t\": \"dtype\" must be a string, found the number 32");
  }
  SECTION("unsupported dtype") {
    // F64 (and the F8 types) are not read; the integer dtypes are accepted (test_strict_loading.cpp).
    check_failure(make_file("{" + tensor_json("t", "F64", "[2]", "[0,16]") + "}", d16),
                  "tensor \"t\": dtype \"F64\" not supported: latentlab reads F32, F16 and BF16 values");
    check_failure(make_file("{" + tensor_json("t", "f32", "[4]", "[0,16]") + "}", d16),
                  "dtype \"f32\" not supported");
  }
  SECTION("shape with a negative dimension") {
    check_failure(make_file("{" + tensor_json("t", "F32", "[2,-2]", "[0,16]") + "}", d16),
                  "tensor \"t\": shape dimension 1 is the number -2, expected a non-negative");
  }
  SECTION("shape with a fractional dimension") {
    check_failure(make_file("{" + tensor_json("t", "F32", "[2.5]", "[0,16]") + "}", d16),
                  "shape dimension 0 is the number 2.5");
  }
  SECTION("shape with a string dimension") {
    check_failure(make_file("{" + tensor_json("t", "F32", "[\"4\"]", "[0,16]") + "}", d16),
                  "shape dimension 0 is a string");
  }
  SECTION("shape not an array") {
    check_failure(make_file("{" + tensor_json("t", "F32", "4", "[0,16]") + "}", d16),
                  "\"shape\" must be an array, found the number 4");
  }
  SECTION("too many dimensions") {
    check_failure(make_file("{" + tensor_json("t", "F32", "[1,1,1,1,1,1,1,1,4]", "[0,16]") + "}",
                            d16),
                  "shape has 9 dimensions, at most 8");
  }
  SECTION("element count overflow") {
    // 65536^4 = 2^64 wraps to 0 in unchecked 64-bit arithmetic.
    check_failure(
        make_file("{" + tensor_json("t", "F32", "[65536,65536,65536,65536]", "[0,0]") + "}"),
        "shape has more than 2^31 elements");
    check_failure(make_file("{" + tensor_json("t", "F32", "[0,18446744073709551615]", "[0,0]") +
                            "}"),
                  "more than 2^31 elements (dimension 1 is 18446744073709551615)");
    check_failure(make_file("{" + tensor_json("t", "F16", "[65536,32769]", "[0,0]") + "}"),
                  "more than 2^31 elements");
  }
  SECTION("data_offsets malformed") {
    check_failure(make_file("{" + tensor_json("t", "F32", "[4]", "[16]") + "}", d16),
                  "\"data_offsets\" must be two non-negative integers [begin, end], found an "
                  "array of 1 elements");
    check_failure(make_file("{" + tensor_json("t", "F32", "[4]", "[0,-16]") + "}", d16),
                  "found [the number 0, the number -16]");
    check_failure(make_file("{" + tensor_json("t", "F32", "[4]", "{\"a\":1}") + "}", d16),
                  "found an object");
  }
  SECTION("data_offsets reversed") {
    check_failure(make_file("{" + tensor_json("t", "F32", "[0]", "[16,0]") + "}", d16),
                  "tensor \"t\": data_offsets [16, 0] have begin > end");
  }
  SECTION("data_offsets beyond the data section") {
    check_failure(make_file("{" + tensor_json("t", "F32", "[8]", "[0,32]") + "}", d16),
                  "data_offsets [0, 32] end beyond the data section (16 bytes)");
    check_failure(make_file("{" + tensor_json("t", "F32", "[0]",
                                              "[18446744073709551615,18446744073709551615]") +
                            "}"),
                  "end beyond the data section (0 bytes)");
  }
  SECTION("byte size does not match shape and dtype") {
    const Bytes file = make_file(
        "{" + tensor_json("encoder.fc1.weight", "F32", "[20,400]", "[0,1000]") + "}",
        Bytes(1000, 0));
    const auto result = decode(file);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error() ==
          "safetensors: tensor \"encoder.fc1.weight\": data_offsets [0, 1000] give 1000 bytes "
          "but shape [20, 400] of F32 needs 32000");
    check_failure(make_file("{" + tensor_json("t", "F16", "[4]", "[0,16]") + "}", d16),
                  "give 16 bytes but shape [4] of F16 needs 8");
  }
  SECTION("overlapping tensors") {
    check_failure(make_file("{" + tensor_json("a", "F32", "[3]", "[0,12]") + "," +
                                tensor_json("b", "F32", "[2]", "[8,16]") + "}",
                            d16),
                  "tensor \"b\" data_offsets [8, 16] overlap tensor \"a\" data_offsets [0, 12]");
    // Two names for the same bytes.
    check_failure(make_file("{" + tensor_json("a", "F32", "[4]", "[0,16]") + "," +
                                tensor_json("b", "F32", "[4]", "[0,16]") + "}",
                            d16),
                  "overlap");
  }
  SECTION("hole between tensors") {
    check_failure(make_file("{" + tensor_json("a", "F32", "[1]", "[0,4]") + "," +
                                tensor_json("b", "F32", "[2]", "[8,16]") + "}",
                            d16),
                  "hole in the data section: bytes [4, 8] belong to no tensor (before tensor "
                  "\"b\")");
    check_failure(make_file("{" + tensor_json("b", "F32", "[2]", "[8,16]") + "}", d16),
                  "bytes [0, 8] belong to no tensor");
  }
  SECTION("duplicate names are caught (the first entry leaves a hole)") {
    check_failure(make_file("{" + tensor_json("a", "F32", "[2]", "[0,8]") + "," +
                                tensor_json("a", "F32", "[2]", "[8,16]") + "}",
                            d16),
                  "hole in the data section");
  }
  SECTION("trailing unused data") {
    check_failure(make_file("{" + tensor_json("t", "F32", "[2]", "[0,8]") + "}", d16),
                  "trailing data: bytes [8, 16] of the data section belong to no tensor");
  }
  SECTION("no tensors but data") {
    check_failure(make_file("{\"__metadata__\":{}}", d16),
                  "the header lists no tensors but the data section has 16 bytes");
  }
  SECTION("NaN payload") {
    check_failure(make_file("{" + t4 + "}",
                            f32_bytes({1.0f, 2.0f, std::numeric_limits<float>::quiet_NaN(), 4.0f})),
                  "tensor \"t\": value at flat index 2 is NaN");
    check_failure(make_file("{" + tensor_json("h", "F16", "[2]", "[0,4]") + "}",
                            {0x00, 0x3C, 0x01, 0x7C}),
                  "tensor \"h\": value at flat index 1 is NaN");
  }
  SECTION("Inf payload") {
    check_failure(make_file("{" + t4 + "}",
                            f32_bytes({-std::numeric_limits<float>::infinity(), 0, 0, 0})),
                  "tensor \"t\": value at flat index 0 is -inf");
    check_failure(make_file("{" + tensor_json("h", "F16", "[2]", "[0,4]") + "}",
                            {0x00, 0x7C, 0x00, 0x3C}),
                  "value at flat index 0 is +inf");
    check_failure(make_file("{" + tensor_json("b", "BF16", "[2]", "[0,4]") + "}",
                            {0x80, 0x3F, 0x80, 0xFF}),
                  "tensor \"b\": value at flat index 1 is -inf");
  }
  SECTION("names in messages are escaped and shortened") {
    check_failure(make_file("{\"bad\\nname\":{\"shape\":[]}}"), "tensor \"bad\\x0aname\"");
    const std::string long_name(5000, 'x');
    const auto result = decode(make_file("{\"" + long_name + "\":{\"shape\":[]}}"));
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.error(), Contains("... (5000 bytes)"));
    CHECK(result.error().size() < 200);
  }
  SECTION("deeply nested JSON does not overflow the stack") {
    const std::size_t depth = 200000;
    const std::string nested = std::string(depth, '[') + std::string(depth, ']');
    check_failure(make_file("{\"t\":" + nested + "}"), "tensor \"t\": entry must be an object");
    check_failure(make_file("{\"t\":" + std::string(depth, '[') + "}"),
                  "header is not valid JSON");
    check_failure(make_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[" + nested +
                            "],\"data_offsets\":[0,0]}}"),
                  "shape dimension 0 is an array");
  }
}

TEST_CASE("every truncation of a valid file fails cleanly", "[safetensors]") {
  const std::vector<float> w = iota_floats(6, 0.5f);
  const std::vector<float> b = {0.25f, -0.5f};
  const Bytes file =
      encode_safetensors({{"w", {2, 3}, w.data()}, {"b", {2}, b.data()}}, {{"kind", "test"}},
                         DType::F16);
  REQUIRE(decode(file).ok());
  const std::uint64_t header_end = 8 + header_length_of(file);
  for (std::size_t n = 0; n < file.size(); ++n) {
    // Copy the prefix so ASan sees any read past its end.
    const Bytes prefix(file.begin(), file.begin() + long(n));
    const auto result = decode(prefix);
    INFO("prefix of " << n << " bytes");
    REQUIRE_FALSE(result.ok());
    if (n < 8) {
      CHECK_THAT(result.error(), Contains("too short"));
    } else if (n < header_end) {
      CHECK_THAT(result.error(), Contains("exceeds the"));
    } else {
      CHECK_THAT(result.error(), Contains("end beyond the data section"));
    }
  }
}

TEST_CASE("random and mutated buffers never crash", "[safetensors]") {
  // std::mt19937, not the tests' Lcg: the mutations below take `rng() % n`, and an LCG's low
  // bits have short periods.
  std::mt19937 rng(20240611);
  std::size_t failures = 0, successes = 0;
  auto check = [&](const Bytes& bytes) {
    const auto result = decode(bytes);
    if (result.ok()) {
      ++successes;
      for (const DecodedTensor& t : result.value().tensors) {
        std::int64_t count = 1;
        for (std::int64_t d : t.shape) count *= d;
        REQUIRE(std::size_t(count) == t.values.size());
        for (float v : t.values) REQUIRE(std::isfinite(v));
      }
    } else {
      ++failures;
      REQUIRE_THAT(result.error(), StartsWith("safetensors: "));
      REQUIRE(result.error().size() > std::string("safetensors: ").size());
    }
  };
  auto random_bytes = [&](std::size_t n) {
    Bytes out(n);
    for (auto& byte : out) byte = static_cast<std::uint8_t>(rng());
    return out;
  };

  // 1. Pure noise, then noise behind a header length that fits the buffer.
  for (int i = 0; i < 2000; ++i) check(random_bytes(rng() % 64));
  for (int i = 0; i < 2000; ++i) {
    Bytes body = random_bytes(rng() % 64);
    check(make_file(std::string(body.begin(), body.end()), {}, rng() % (body.size() + 1)));
  }

  // 2. Bit flips anywhere in a valid file (length field, JSON, data).
  const std::vector<float> w = iota_floats(12, 0.125f);
  const Bytes valid = encode_safetensors({{"enc.w", {3, 4}, w.data()}, {"enc.b", {4}, w.data()}},
                                         {{"kind", "vae"}}, DType::F16);
  REQUIRE(decode(valid).ok());
  for (int i = 0; i < 3000; ++i) {
    Bytes mutated = valid;
    const int flips = 1 + int(rng() % 3);
    for (int f = 0; f < flips; ++f) mutated[rng() % mutated.size()] ^= std::uint8_t(1u << (rng() % 8));
    check(mutated);
  }

  // 3. Structural edits of the JSON text with the length field kept consistent, to reach
  //    the type checks behind the parser.
  const std::string header = "{\"__metadata__\":{\"k\":\"v\"}," +
                             tensor_json("a", "F32", "[2,2]", "[0,16]") + "," +
                             tensor_json("b", "BF16", "[4]", "[16,24]") + "}";
  Bytes data = f32_bytes({1.0f, -2.0f, 0.5f, 3.0f});
  data.insert(data.end(), {0x80, 0x3F, 0x40, 0xC0, 0x00, 0x00, 0x49, 0x40});  // BF16 1, -3, 0, 3.140625
  const std::string alphabet = "{}[]\":,0123456789-.e aFBI_";
  for (int i = 0; i < 4000; ++i) {
    std::string h = header;
    const int edits = 1 + int(rng() % 3);
    for (int e = 0; e < edits && !h.empty(); ++e) {
      const std::size_t pos = rng() % h.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: h[pos] = c; break;
        case 1: h.insert(h.begin() + long(pos), c); break;
        default: h.erase(pos, 1 + rng() % 4); break;
      }
    }
    check(make_file(h, data));
  }
  // The edits reach both outcomes; most are rejected.
  CHECK(successes > 0);
  CHECK(failures > successes);
}
