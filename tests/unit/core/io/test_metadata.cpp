// metadata_float reads a plain decimal only (the grammar in core/src/io/metadata.cpp), the same on
// every target: natively through strtod, in the page's module through the browser's Number()
// (tests/node/metadata.test.mjs runs the same cases there). Anything else is refused with the
// key and the range in the message.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "latentlab/io/metadata.hpp"

using namespace latentlab;
using Catch::Matchers::Contains;

namespace {

const FloatRange kRange{-1e30f, 1e30f, "[-1.00000002e+30, 1.00000002e+30]"};

Result<float> read(const std::string& text) { return metadata_float({{"x", text}}, "x", kRange, 42.0f); }

}  // namespace

TEST_CASE("metadata_float reads plain decimals as strtod rounds them, then to float", "[metadata]") {
  for (const char* text : {"0.2", "2e-1", "2E-1", "+0.2", "-3.5e+2", "1e-05", "0.00001", ".5", "5.", "0",
                           "0.30000001192092896", "12345678901234567890", "0.000000000000000000001234"}) {
    INFO(text);
    auto v = read(text);
    REQUIRE(v);
    CHECK(v.value() == static_cast<float>(std::strtod(text, nullptr)));
  }
}

TEST_CASE("metadata_float refuses spaces, hex, inf, nan, over 20 significant digits and bad exponents",
          "[metadata]") {
  for (const char* text : {"", " 0.2", "0.2 ", "0x1p-3", "inf", "nan", "-", ".", "e5", "1e", "1e+", "1e99999",
                           "0.1234567890123456789012", "123456789012345678901", "1,5", "1.2.3"}) {
    INFO('"' << text << '"');
    auto v = read(text);
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error(), Contains("\"x\"") && Contains("[-1.00000002e+30, 1.00000002e+30]"));
  }
  CHECK(metadata_float({}, "x", kRange, 42.0f).value() == 42.0f);  // absent: the fallback
}
