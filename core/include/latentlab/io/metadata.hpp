// A weights file's __metadata__: a map of strings, and the strict readers every configuration
// codec uses (models/registry.cpp). Values are always strings, so nothing depends on how a JSON
// parser reads numbers.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "latentlab/result.hpp"

namespace latentlab {

using Metadata = std::map<std::string, std::string>;

// An accepted interval of a float. `text` is "[lo, hi]" as %.9g prints the two float bounds,
// written out so that a loader never formats a float (the page's wasm module links no printf).
struct FloatRange {
  float lo;
  float hi;
  const char* text;
};

// A required non-negative decimal integer in [lo, hi].
Result<int> metadata_int(const Metadata& m, const std::string& key, int lo, int hi);
// A required list "w1,w2,…" of 1 … max_items integers in [1, max_value].
Result<std::vector<int>> metadata_int_list(const Metadata& m, const std::string& key, int max_value, int max_items);
// An optional float in `range`; `fallback` when the key is absent. The value is a plain decimal
// ("0.2", "1e-05", "-3.5E+2": no spaces, hex, inf or nan; at most 20 significant digits), rounded
// to the nearest double and then to float, the same on every target.
Result<float> metadata_float(const Metadata& m, const std::string& key, FloatRange range, float fallback);
// An optional choice between two spellings: false for `no` ("relu"), true for `yes`
// ("leaky_relu"); `fallback` when the key is absent.
Result<bool> metadata_switch(const Metadata& m, const std::string& key, const char* no, const char* yes, bool fallback);

std::string join_ints(const std::vector<int>& values);  // "512,256"
std::string format_float(float v);                       // %.9g: reads back to the same float

// Image rows × cols for a flat size: a perfect square n = s² gives s × s (784 → 28 × 28), else n × 1.
std::pair<int, int> square_image_shape(int size);

}  // namespace latentlab
