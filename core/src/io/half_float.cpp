// IEEE 754 binary16 ("half") and bfloat16 conversions, by bit manipulation so the
// result is the same on every target (no reliance on compiler _Float16 support).
//
// binary32: sign | 8-bit exponent (bias 127) | 23-bit mantissa
// binary16: sign | 5-bit exponent (bias 15)  | 10-bit mantissa
//   normal    (1 <= e <= 30): (-1)^s · 2^(e-15) · (1 + m/1024)
//   subnormal (e = 0):        (-1)^s · 2^-24 · m
//   e = 31:                   ±inf (m = 0) or NaN (m != 0)
// bfloat16 is the upper 16 bits of a binary32.
#include <cstdint>
#include <cstring>

#include "latentlab/io/safetensors.hpp"

namespace latentlab {

namespace {

std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float bits_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Shifts `value` right by `shift` bits, rounding to nearest with ties to even.
std::uint32_t shift_right_round_even(std::uint32_t value, std::uint32_t shift) {
  const std::uint32_t kept = value >> shift;
  const std::uint32_t remainder = value & ((1u << shift) - 1u);
  const std::uint32_t halfway = 1u << (shift - 1u);
  if (remainder > halfway || (remainder == halfway && (kept & 1u))) return kept + 1u;
  return kept;
}

constexpr std::uint16_t kHalfMaxFinite = 0x7BFF;  // 65504
constexpr std::uint16_t kHalfInfinity = 0x7C00;

}  // namespace

// Round to nearest even, except that finite values whose rounded magnitude would be
// infinite (|x| >= 65520) SATURATE to ±65504: an infinite weight would make the file
// unreadable (the decoder rejects non-finite values), a clipped one only loses accuracy.
// ±inf stays ±inf and NaN stays NaN (quiet), so bad inputs are not silently hidden.
std::uint16_t float_to_half(float f) {
  const std::uint32_t x = float_bits(f);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t magnitude = x & 0x7FFFFFFFu;
  const std::uint32_t exponent = magnitude >> 23;  // biased by 127
  const std::uint32_t mantissa = magnitude & 0x7FFFFFu;

  if (exponent == 0xFF) {
    if (mantissa == 0) return sign | kHalfInfinity;
    // NaN: set the quiet bit (so the mantissa is never 0) and keep the top payload bits.
    return static_cast<std::uint16_t>(sign | 0x7E00u | (mantissa >> 13));
  }
  if (exponent < 113) {
    // |f| < 2^-14: the result is a half subnormal (or zero), in units of 2^-24.
    // f = (2^23 + mantissa) · 2^(exponent-150), so units = (2^23 + mantissa) >> (126 - exponent).
    // A shift above 24 means |f| < 2^-25, which rounds to zero (float subnormals included).
    if (exponent < 102) return sign;
    const std::uint32_t units = shift_right_round_even(mantissa | 0x800000u, 126u - exponent);
    // Rounding up to 0x400 yields the smallest normal half, which is the right bit pattern.
    return static_cast<std::uint16_t>(sign | units);
  }
  if (exponent > 142) return sign | kHalfMaxFinite;  // |f| >= 65536: saturate
  // Normal: rebias the exponent (127 -> 15) and round the mantissa from 23 to 10 bits.
  // A carry out of the mantissa correctly increments the exponent.
  const std::uint32_t unrounded = ((exponent - 112u) << 23) | mantissa;
  const std::uint32_t rounded = shift_right_round_even(unrounded, 13);
  if (rounded >= kHalfInfinity) return sign | kHalfMaxFinite;  // 65520 <= |f| < 65536
  return static_cast<std::uint16_t>(sign | rounded);
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu;
  const std::uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa · 2^-24, exact in float (a power-of-two scaling).
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return bits_float(sign | 0x7F800000u | (mantissa << 13));  // inf / NaN
  return bits_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

float bfloat16_to_float(std::uint16_t b) { return bits_float(static_cast<std::uint32_t>(b) << 16); }

}  // namespace latentlab
