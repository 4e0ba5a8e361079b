// Helpers shared by the tests that read JSON fixtures from tests/fixtures (LATENTLAB_FIXTURES_DIR):
// loading a file, converting number lists, setting/reading named parameters of a ParameterSet,
// and comparing float arrays with an (abs + rel) tolerance that reports the worst element.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latentlab/nn/parameters.hpp"

#ifndef LATENTLAB_FIXTURES_DIR
#error "LATENTLAB_FIXTURES_DIR must be defined (tests/CMakeLists.txt sets it)"
#endif

namespace latentlab::test {

using nlohmann::json;

// Reads and parses tests/fixtures/<name>. A missing or malformed file fails the test.
inline json load_fixture(const std::string& name) {
  const std::string path = std::string(LATENTLAB_FIXTURES_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  INFO("fixture " << path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  json doc = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  REQUIRE_FALSE(doc.is_discarded());
  return doc;
}

// A JSON array of numbers as floats. The fixture writers print each float32 as the shortest
// decimal that rounds back to it through a double, so double → float gives the exact value.
inline std::vector<float> floats(const json& array) {
  REQUIRE(array.is_array());
  std::vector<float> out;
  out.reserve(array.size());
  for (const auto& v : array) out.push_back(static_cast<float>(v.get<double>()));
  return out;
}

// "0x1234abcd" (or without the prefix) → integer.
inline std::uint64_t parse_hex(const std::string& s) {
  return std::stoull(s.rfind("0x", 0) == 0 ? s.substr(2) : s, nullptr, 16);
}

inline std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline std::uint64_t double_bits(double d) {
  std::uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

// Copies [{name, shape, values}] into the parameter set, checking that every tensor exists
// with that shape and that every tensor of the set is given exactly once.
inline void set_parameters(latentlab::ParameterSet& params, const json& list) {
  REQUIRE(list.is_array());
  CHECK(list.size() == params.tensors().size());
  for (const auto& entry : list) {
    const std::string name = entry.at("name").get<std::string>();
    INFO("parameter " << name);
    const latentlab::TensorInfo* info = params.find(name);
    REQUIRE(info != nullptr);
    CHECK(info->shape == entry.at("shape").get<std::vector<int>>());
    const std::vector<float> v = floats(entry.at("values"));
    REQUIRE(v.size() == info->size);
    std::copy(v.begin(), v.end(), params.values() + info->offset);
  }
}

// Max over elements of |actual − expected| / (abs_tol + rel_tol·|expected|): ≤ 1 passes.
// Reports the worst element (and the first few failures) through Catch.
inline double check_close(const std::string& what, const float* actual, const std::vector<float>& expected,
                          double abs_tol, double rel_tol) {
  double worst = 0.0;
  std::size_t worst_i = 0;
  int failures = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double e = expected[i], a = actual[i];
    const double ratio = std::fabs(a - e) / (abs_tol + rel_tol * std::fabs(e));
    if (!(ratio <= 1.0)) {  // also catches NaN
      if (++failures <= 5) {
        INFO(what << "[" << i << "]: actual " << a << ", expected " << e << ", |diff| " << std::fabs(a - e));
        FAIL_CHECK("value outside tolerance");
      }
    }
    if (!(ratio <= worst)) {
      worst = ratio;
      worst_i = i;
    }
  }
  INFO(what << ": " << expected.size() << " values, worst element " << worst_i << " uses " << worst
            << " of the tolerance (abs " << abs_tol << " + rel " << rel_tol << "), " << failures << " failures");
  CHECK(worst <= 1.0);
  return worst;
}

inline double check_close(const std::string& what, double actual, double expected, double abs_tol,
                          double rel_tol) {
  const double ratio = std::fabs(actual - expected) / (abs_tol + rel_tol * std::fabs(expected));
  INFO(what << ": actual " << actual << ", expected " << expected << ", uses " << ratio << " of the tolerance (abs "
            << abs_tol << " + rel " << rel_tol << ")");
  CHECK(ratio <= 1.0);
  return ratio;
}

// Compares [{name, values}] with the tensors of a flat buffer laid out like `params`.
inline double check_tensors(const std::string& what, const latentlab::ParameterSet& params, const float* buffer,
                            const json& list, double abs_tol, double rel_tol) {
  REQUIRE(list.is_array());
  CHECK(list.size() == params.tensors().size());
  double worst = 0.0;
  for (const auto& entry : list) {
    const std::string name = entry.at("name").get<std::string>();
    const latentlab::TensorInfo* info = params.find(name);
    INFO(what << " " << name);
    REQUIRE(info != nullptr);
    const std::vector<float> v = floats(entry.at("values"));
    REQUIRE(v.size() == info->size);
    worst = std::max(worst, check_close(what + " " + name, buffer + info->offset, v, abs_tol, rel_tol));
  }
  return worst;
}

}  // namespace latentlab::test
