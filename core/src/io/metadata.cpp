// Strict readers of __metadata__ values (metadata.hpp).
#include "latentlab/io/metadata.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace latentlab {

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
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v < range.lo || v > range.hi)
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
