// latentlab::Rng against golden values computed independently from the specification by
// tests/reference/make_rng_golden.py (bit for bit: the same file is the reference for the
// WebAssembly build), plus statistical sanity and exact save/restore of the stream.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "latentlab/rng.hpp"
#include "support/fixtures.hpp"

using namespace latentlab;
using namespace latentlab::test;

namespace {

std::vector<std::uint64_t> hex_list(const json& array) {
  std::vector<std::uint64_t> out;
  for (const auto& s : array) out.push_back(parse_hex(s.get<std::string>()));
  return out;
}

std::string stream_label(const json& s) {
  return "Rng(" + std::to_string(s.at("seed").get<std::uint64_t>()) + ", " +
         std::to_string(s.at("stream").get<std::uint64_t>()) + ")";
}

}  // namespace

TEST_CASE("PCG32 reproduces the reference vector of pcg32_srandom_r with seed 42 and stream 54", "[rng]") {
  // From the PCG reference implementation's demo (pcg32-global-demo), independent of our fixture.
  Rng rng(42, 54);
  const std::uint32_t expected[] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u, 0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
  for (std::uint32_t e : expected) CHECK(rng.next_u32() == e);
}

TEST_CASE("Rng matches the golden streams bit for bit", "[rng]") {
  const json doc = load_fixture("rng_golden.json");
  const json& streams = doc.at("streams");
  REQUIRE(streams.size() == 4);
  for (const json& s : streams) {
    const std::uint64_t seed = s.at("seed").get<std::uint64_t>(), stream = s.at("stream").get<std::uint64_t>();
    INFO(stream_label(s));
    {
      Rng rng(seed, stream);
      const auto expected = hex_list(s.at("next_u32"));
      REQUIRE(expected.size() == 16);
      for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("next_u32 #" << i);
        CHECK(rng.next_u32() == expected[i]);
      }
    }
    {
      Rng rng(seed, stream);
      const auto expected = hex_list(s.at("uniform_bits"));
      REQUIRE(expected.size() == 16);
      for (std::size_t i = 0; i < expected.size(); ++i) {
        const float u = rng.uniform();
        INFO("uniform #" << i << " = " << u << ", expected " << s.at("uniform")[i].get<std::string>());
        CHECK(float_bits(u) == expected[i]);
      }
    }
    {
      Rng rng(seed, stream);
      const auto expected = hex_list(s.at("normal_bits"));
      REQUIRE(expected.size() == 16);
      for (std::size_t i = 0; i < expected.size(); ++i) {
        const float g = rng.normal();
        INFO("normal #" << i << " = " << g << ", expected " << s.at("normal")[i].get<std::string>());
        CHECK(float_bits(g) == expected[i]);
      }
    }
    for (const auto& [key, bound] : {std::pair<const char*, std::uint32_t>{"below_10", 10u}, {"below_7", 7u}}) {
      Rng rng(seed, stream);
      const auto expected = s.at(key).get<std::vector<std::uint32_t>>();
      REQUIRE(expected.size() == 10);
      for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO(key << " #" << i);
        CHECK(rng.below(bound) == expected[i]);
      }
    }
    {
      Rng rng(seed, stream);
      std::vector<std::uint32_t> idx(10);
      std::iota(idx.begin(), idx.end(), 0u);
      rng.shuffle(idx.data(), idx.size());
      CHECK(idx == s.at("shuffle_10").get<std::vector<std::uint32_t>>());
    }
    {
      Rng rng(seed, stream);
      const auto expected = hex_list(s.at("fill_uniform_m1_1_bits"));
      std::vector<float> out(expected.size());
      rng.fill_uniform(out.data(), out.size(), -1.0f, 1.0f);
      for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("fill_uniform(-1, 1) #" << i << " = " << out[i]);
        CHECK(float_bits(out[i]) == expected[i]);
      }
    }
  }
}

TEST_CASE("portable_log matches the golden values bit for bit and libm to 2 ulp", "[rng]") {
  const json doc = load_fixture("rng_golden.json");
  const json& logs = doc.at("portable_log");
  REQUIRE(logs.size() >= 7);
  for (const json& entry : logs) {
    const std::uint64_t xb = parse_hex(entry.at("x_bits").get<std::string>());
    double x;
    std::memcpy(&x, &xb, sizeof x);
    const double y = portable_log(x);
    INFO("portable_log(" << entry.at("x").get<std::string>() << ") = " << y);
    CHECK(double_bits(y) == parse_hex(entry.at("log_bits").get<std::string>()));
    // Independently of the fixture: within 2 ulp of the C library's log.
    const double ref = std::log(x);
    if (ref == 0.0) {
      CHECK(y == 0.0);
    } else {
      CHECK(std::fabs(y - ref) <= 2.0 * (std::nextafter(std::fabs(ref), INFINITY) - std::fabs(ref)));
    }
  }
}

TEST_CASE("Rng normals have mean 0 and variance 1", "[rng]") {
  // 1e5 draws: the sample mean has standard error 1/√n ≈ 0.0032, the sample variance
  // √(2/n) ≈ 0.0045 (normal kurtosis); allow 5 standard errors.
  Rng rng(2024, 7);
  const int n = 100000;
  double sum = 0, sum_sq = 0;
  int beyond_4_sigma = 0, non_finite = 0;
  for (int i = 0; i < n; ++i) {
    const double g = rng.normal();
    if (!std::isfinite(g)) ++non_finite;
    sum += g;
    sum_sq += g * g;
    if (std::fabs(g) > 4.0) ++beyond_4_sigma;
  }
  CHECK(non_finite == 0);
  const double mean = sum / n, var = sum_sq / n - mean * mean;
  CHECK(std::fabs(mean) < 5.0 / std::sqrt(double(n)));
  CHECK(std::fabs(var - 1.0) < 5.0 * std::sqrt(2.0 / n));
  // P(|g| > 4) = 6.3e-5: ~6 expected; the tails exist but are not inflated.
  CHECK(beyond_4_sigma >= 1);
  CHECK(beyond_4_sigma <= 25);
}

TEST_CASE("Rng uniforms lie in the half-open unit interval with mean 1/2 and variance 1/12", "[rng]") {
  Rng rng(99, 3);
  const int n = 100000;
  double sum = 0, sum_sq = 0;
  float lo = 1.0f, hi = 0.0f;
  int not_multiple = 0;
  for (int i = 0; i < n; ++i) {
    const float u = rng.uniform();
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    // A multiple of 2^-24 (top 24 bits of a word).
    if (std::ldexp(u, 24) != std::floor(std::ldexp(u, 24))) ++not_multiple;
    sum += u;
    sum_sq += double(u) * u;
  }
  CHECK(not_multiple == 0);
  CHECK(lo >= 0.0f);
  CHECK(hi < 1.0f);
  CHECK(lo < 1e-3f);
  CHECK(hi > 0.999f);
  const double mean = sum / n, var = sum_sq / n - mean * mean;
  // Standard errors: √(1/12/n) ≈ 9.1e-4 for the mean, ≈ 2.4e-4 (√(1/180/n)) for the variance.
  CHECK(std::fabs(mean - 0.5) < 5 * std::sqrt(1.0 / 12.0 / n));
  CHECK(std::fabs(var - 1.0 / 12.0) < 5 * std::sqrt(1.0 / 180.0 / n));

  // fill_uniform(lo, hi) maps into [lo, hi).
  std::vector<float> out(1000);
  rng.fill_uniform(out.data(), out.size(), -0.25f, 0.75f);
  CHECK(*std::min_element(out.begin(), out.end()) >= -0.25f);
  CHECK(*std::max_element(out.begin(), out.end()) < 0.75f);
}

TEST_CASE("Rng::below is uniform below its bound", "[rng]") {
  Rng rng(5, 11);
  for (std::uint32_t bound : {2u, 7u, 10u, 1000u}) {
    INFO("bound " << bound);
    const int per_bin = 2000;
    std::vector<int> counts(bound, 0);
    int out_of_range = 0;
    for (std::uint32_t i = 0; i < bound * per_bin; ++i) {
      const std::uint32_t r = rng.below(bound);
      if (r < bound) ++counts[r]; else ++out_of_range;
    }
    CHECK(out_of_range == 0);
    // Pearson χ² with k = bound − 1 degrees of freedom: mean k, sd √(2k); 6 sd above the mean
    // is beyond any plausible fluctuation, while a biased generator exceeds it by far.
    double chi2 = 0;
    for (int c : counts) chi2 += double(c - per_bin) * (c - per_bin) / per_bin;
    const double k = bound - 1.0;
    CHECK(chi2 < k + 6.0 * std::sqrt(2.0 * k));
  }
  // Edge cases: bound 1 always gives 0. bound = 3·2^30 needs the rejection: a plain
  // next_u32() % bound would give r < 2^30 with probability 1/2 instead of 1/3.
  int nonzero = 0;
  for (int i = 0; i < 100; ++i) nonzero += rng.below(1u) != 0u;
  CHECK(nonzero == 0);
  const std::uint32_t big = 0xC0000000u;
  int low_third = 0, too_big = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::uint32_t r = rng.below(big);
    if (r >= big) ++too_big;
    if (r < 0x40000000u) ++low_third;
  }
  CHECK(too_big == 0);
  CHECK(low_third > 850);  // 1000 ± 26 (binomial sd) if uniform; ~1500 with modulo bias
  CHECK(low_third < 1150);
}

TEST_CASE("Rng::shuffle is a permutation and reaches every position", "[rng]") {
  Rng rng(8, 8);
  const std::uint32_t n = 6;
  std::vector<std::vector<int>> where(n, std::vector<int>(n, 0));  // where[value][position]
  const int trials = 6000;
  std::vector<std::uint32_t> identity(n);
  std::iota(identity.begin(), identity.end(), 0u);
  int not_permutation = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<std::uint32_t> idx = identity;
    rng.shuffle(idx.data(), idx.size());
    if (!std::is_permutation(idx.begin(), idx.end(), identity.begin())) {
      ++not_permutation;
      continue;
    }
    for (std::uint32_t pos = 0; pos < n; ++pos) ++where[idx[pos]][pos];
  }
  CHECK(not_permutation == 0);
  // Each value lands in each position with probability 1/6: 1000 ± 29 (binomial sd); allow ±200.
  for (std::uint32_t v = 0; v < n; ++v)
    for (std::uint32_t p = 0; p < n; ++p) {
      INFO("value " << v << " at position " << p);
      CHECK(std::abs(where[v][p] - trials / int(n)) < 200);
    }
}

TEST_CASE("Rng state save and restore continue the identical stream including a pending spare normal", "[rng]") {
  Rng rng(31337, 5);
  for (int i = 0; i < 7; ++i) rng.next_u32();
  (void)rng.normal();  // draws a pair: the second is now pending
  const Rng::State saved = rng.state();
  REQUIRE(saved.has_spare_normal);

  auto draw = [](Rng& r) {
    std::vector<std::uint32_t> out;
    for (int i = 0; i < 5; ++i) out.push_back(float_bits(r.normal()));
    for (int i = 0; i < 3; ++i) out.push_back(r.next_u32());
    out.push_back(float_bits(r.uniform()));
    out.push_back(r.below(1000));
    return out;
  };
  const std::vector<std::uint32_t> first = draw(rng);

  // Same object, rewound.
  rng.set_state(saved);
  CHECK(draw(rng) == first);
  // A different generator given the saved state.
  Rng other(1, 2);
  (void)other.normal();
  other.set_state(saved);
  CHECK(draw(other) == first);
  // Without the spare the stream differs: the state really carries it.
  Rng::State no_spare = saved;
  no_spare.has_spare_normal = false;
  Rng third(0, 0);
  third.set_state(no_spare);
  CHECK(draw(third) != first);
  // The spare is returned first and exactly: it is the saved double rounded to float.
  Rng fourth(0, 0);
  fourth.set_state(saved);
  CHECK(float_bits(fourth.normal()) == float_bits(static_cast<float>(saved.spare_normal)));
}

TEST_CASE("Rng streams with different seeds or stream ids differ", "[rng]") {
  auto words = [](std::uint64_t seed, std::uint64_t stream) {
    Rng r(seed, stream);
    std::vector<std::uint32_t> w(8);
    for (auto& x : w) x = r.next_u32();
    return w;
  };
  CHECK(words(1, 0) != words(2, 0));
  CHECK(words(1, 0) != words(1, 1));
  CHECK(words(1, 0) == words(1, 0));
}
