// PCG32 + Marsaglia polar normals, bit-identical on every target.
// This file is compiled with -ffp-contract=off (see core/CMakeLists.txt): a fused
// multiply-add would round differently from the separate × and + that wasm does.
#include "latentlab/rng.hpp"

#include <cmath>
#include <utility>

namespace latentlab {

Rng::Rng(std::uint64_t seed, std::uint64_t stream) {
  // pcg32_srandom_r of the PCG reference implementation.
  state_ = 0;
  increment_ = (stream << 1u) | 1u;
  next_u32();
  state_ += seed;
  next_u32();
}

std::uint32_t Rng::next_u32() {
  const std::uint64_t old = state_;
  state_ = old * 6364136223846793005ULL + increment_;
  const auto xorshifted = static_cast<std::uint32_t>(((old >> 18u) ^ old) >> 27u);
  const auto rot = static_cast<std::uint32_t>(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

std::uint32_t Rng::below(std::uint32_t bound) {
  // Reject the lowest (2^32 mod bound) values so every residue is equally likely.
  const std::uint32_t threshold = (0u - bound) % bound;
  for (;;) {
    const std::uint32_t r = next_u32();
    if (r >= threshold) return r % bound;
  }
}

float Rng::uniform() { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }

// A double in [0, 1) with 53 random bits (first word gives the high 27 bits).
static double uniform53(Rng& rng) {
  const double high = static_cast<double>(rng.next_u32() >> 5);
  const double low = static_cast<double>(rng.next_u32() >> 6);
  return (high * 67108864.0 + low) / 9007199254740992.0;
}

float Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return static_cast<float>(spare_);
  }
  // Marsaglia polar method: (u, v) uniform in the unit disc ⇒ u·m, v·m are two
  // independent N(0,1) with m = sqrt(−2 ln s / s), s = u² + v².
  double u, v, s;
  do {
    u = 2.0 * uniform53(*this) - 1.0;
    v = 2.0 * uniform53(*this) - 1.0;
    s = u * u + v * v;
  } while (!(s > 0.0 && s < 1.0));
  const double m = std::sqrt(-2.0 * portable_log(s) / s);
  spare_ = v * m;
  has_spare_ = true;
  return static_cast<float>(u * m);
}

void Rng::fill_uniform(float* out, std::size_t n, float low, float high) {
  for (std::size_t i = 0; i < n; ++i) out[i] = low + (high - low) * uniform();
}

void Rng::fill_normal(float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = normal();
}

void Rng::shuffle(std::uint32_t* indices, std::size_t n) {
  for (std::size_t i = n; i-- > 1;) {
    const std::uint32_t j = below(static_cast<std::uint32_t>(i + 1));
    std::swap(indices[i], indices[j]);
  }
}

Rng::State Rng::state() const { return State{state_, increment_, has_spare_, spare_}; }

void Rng::set_state(const State& s) {
  state_ = s.state;
  increment_ = s.increment;
  has_spare_ = s.has_spare_normal;
  spare_ = s.spare_normal;
}

double portable_log(double x) {
  // x = m·2^e with m ∈ [√½, √2): ln x = e·ln 2 + ln m, and
  // ln m = 2 atanh(f) = 2 (f + f³/3 + f⁵/5 + …) with f = (m−1)/(m+1), |f| ≤ 0.1716,
  // so 13 terms (f²⁵/25 ≈ 1e−21) reach double precision. frexp, ×, +, ÷ are exact IEEE operations.
  int e = 0;
  double m = std::frexp(x, &e);
  if (m < 0.70710678118654752440) {
    m = m * 2.0;
    e = e - 1;
  }
  const double f = (m - 1.0) / (m + 1.0);
  const double f2 = f * f;
  double s = 0.0;
  for (int k = 12; k >= 0; --k) s = s * f2 + 1.0 / static_cast<double>(2 * k + 1);
  const double ln2_hi = 0.693147180369123816490;
  const double ln2_lo = 1.90821492927058770002e-10;
  const double de = static_cast<double>(e);
  return de * ln2_hi + (2.0 * f * s + de * ln2_lo);
}

}  // namespace latentlab
