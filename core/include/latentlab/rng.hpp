// Deterministic random numbers owned by the project.
//
// PCG32 (O'Neill 2014, XSH-RR variant) for 32-bit words; uniforms take the top
// 24 bits; normals use Marsaglia's polar method in double precision with our
// own logarithm (only +, −, ×, ÷ and sqrt, which IEEE 754 rounds exactly, and
// FMA contraction is disabled for rng.cpp). So a seed gives the bit-identical
// stream natively (libstdc++, AVX) and in WebAssembly (libc++, musl) — which
// std::normal_distribution cannot promise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace latentlab {

class Rng {
 public:
  // Everything needed to continue a stream exactly (for checkpoints).
  struct State {
    std::uint64_t state = 0;
    std::uint64_t increment = 0;
    bool has_spare_normal = false;
    double spare_normal = 0.0;
  };

  explicit Rng(std::uint64_t seed = 0, std::uint64_t stream = 0);

  std::uint32_t next_u32();
  // Uniform integer in [0, bound) without modulo bias (bound > 0).
  std::uint32_t below(std::uint32_t bound);
  // Uniform float in [0, 1): a multiple of 2^-24.
  float uniform();
  // Standard normal N(0, 1).
  float normal();

  void fill_uniform(float* out, std::size_t n, float low, float high);
  void fill_normal(float* out, std::size_t n);
  // Fisher–Yates shuffle of indices.
  void shuffle(std::uint32_t* indices, std::size_t n);

  State state() const;
  void set_state(const State&);

 private:
  std::uint64_t state_ = 0;
  std::uint64_t increment_ = 0;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

// Natural logarithm for x > 0 from IEEE-exact operations only (used by the RNG;
// exposed for its test). Accurate to ~1 ulp in double.
double portable_log(double x);

}  // namespace latentlab
