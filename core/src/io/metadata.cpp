// Strict readers of __metadata__ values (metadata.hpp).
#include "latentlab/io/metadata.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#ifdef __wasm__
// The browser's own decimal parser (web/latentlab.js, IMPORTS.env.ll_parse_decimal: Number() of the
// len bytes at text). Number() and strtod both round correctly to the nearest double for the
// grammar below (at most 20 significant digits), so they agree bit for bit; the page's module then
// links no strtod, whose 128-bit long-double arithmetic is ≈ 15 KB of code (6 KB gzipped).
extern "C" __attribute__((import_module("env"), import_name("ll_parse_decimal"))) double ll_parse_decimal(
    const char* text, unsigned long len);
#endif

namespace latentlab {

namespace {

// A metadata float is a plain decimal: [+-] digits [. digits] [(e|E) [+-] digits], at least one
// mantissa digit, at most 20 significant digits (the most ECMAScript's Number() guarantees to round
// correctly), an exponent of at most 4 digits. No spaces, hex floats, inf or nan.
bool plain_decimal(const std::string& s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  int digits = 0;
  int significant = 0;
  bool point = false;
  for (; i < n; ++i) {
    const char c = s[i];
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      ++digits;
      if (significant > 0 || c != '0') ++significant;
    } else {
      break;
    }
  }
  if (digits == 0 || significant > 20) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start || i - start > 4) return false;
  }
  return i == n;
}

// The nearest double to a plain decimal.
double parse_decimal(const std::string& s) {
#ifdef __wasm__
  return ll_parse_decimal(s.data(), s.size());
#else
  return std::strtod(s.c_str(), nullptr);
#endif
}

}  // namespace

Result<int> metadata_int(const Metadata& m, const std::string& key, int lo, int hi) {
  auto it = m.find(key);
  if (it == m.end()) return Result<int>::failure("metadata has no \"" + key + "\"");
  const std::string& s = it->second;
  if (s.empty() || s.size() > 9) return Result<int>::failure("metadata \"" + key + "\" = \"" + s + "\" is not an integer in range");
  long value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Result<int>::failure("metadata \"" + key + "\" = \"" + s + "\" is not a non-negative integer");
    value = value * 10 + (c - '0');
  }
  if (value < lo || value > hi)
    return Result<int>::failure("metadata \"" + key + "\" = " + s + " is outside [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "]");
  return Result<int>::success(static_cast<int>(value));
}

Result<std::vector<int>> metadata_int_list(const Metadata& m, const std::string& key, int max_value, int max_items) {
  using R = Result<std::vector<int>>;
  auto it = m.find(key);
  if (it == m.end()) return R::failure("metadata has no \"" + key + "\"");
  std::vector<int> values;
  std::string item;
  const std::string s = it->second + ",";
  for (char c : s) {
    if (c != ',') {
      item += c;
      continue;
    }
    Metadata one{{key, item}};
    auto v = metadata_int(one, key, 1, max_value);
    if (!v) return R::failure(v.error() + " (in the list \"" + it->second + "\")");
    values.push_back(v.value());
    item.clear();
    if (values.size() > static_cast<std::size_t>(max_items))
      return R::failure("metadata \"" + key + "\" lists more than " + std::to_string(max_items) + " layers");
  }
  return R::success(values);
}

Result<float> metadata_float(const Metadata& m, const std::string& key, FloatRange range, float fallback) {
  auto it = m.find(key);
  if (it == m.end()) return Result<float>::success(fallback);
  const std::string& s = it->second;
  const double v = plain_decimal(s) ? parse_decimal(s) : NAN;
  if (!std::isfinite(v) || v < range.lo || v > range.hi)
    return Result<float>::failure("metadata \"" + key + "\" = \"" + s + "\" is not a number in " + range.text);
  return Result<float>::success(static_cast<float>(v));
}

Result<bool> metadata_switch(const Metadata& m, const std::string& key, const char* no, const char* yes, bool fallback) {
  auto it = m.find(key);
  if (it == m.end()) return Result<bool>::success(fallback);
  if (it->second == no) return Result<bool>::success(false);
  if (it->second == yes) return Result<bool>::success(true);
  return Result<bool>::failure("metadata \"" + key + "\" = \"" + it->second + "\" (expected " + no + " or " + yes + ")");
}

std::string join_ints(const std::vector<int>& values) {
  std::string s;
  for (std::size_t i = 0; i < values.size(); ++i) s += (i ? "," : "") + std::to_string(values[i]);
  return s;
}

std::string format_float(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return buf;
}

std::pair<int, int> square_image_shape(int n) {
  const int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(n))));
  if (side * side == n) return {side, side};
  return {n, 1};
}

}  // namespace latentlab
