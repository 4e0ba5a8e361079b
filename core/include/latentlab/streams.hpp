// The random streams. Everything random in latentlab comes from Rng(seed, stream) (rng.hpp) with
// one of these stream ids, natively and in the browser alike:
//   kSampleStream      latents of `latentlab sample --seed S`, of the page's model.sample(n, S) and
//                      of the grid rendered after every training epoch (so `sample --seed <run seed>
//                      --n 64` reproduces the last epoch's grid): sample_latents in infer/generation.hpp
//   kInitStream        parameter initialisation
//   kDataOrderStream   the per-epoch shuffle of the training images
//   kNoiseStream       ε of a VAE's reparameterisation, z of a GAN's fakes
//   kEvalStream        ε of the VAE test evaluation, from a fresh Rng(kEvalSeed, kEvalStream) at
//                      every evaluation, so a test loss depends neither on the run's seed nor on
//                      when it was computed
//   kEvalSampleStream, kEvalIwaeStream   the evaluator's generated samples and IWAE importance samples;
//                      kEvalSampleStream with the run's seed also draws, once, the fixed latents of
//                      the sample quality measured during training (native train/training_quality.hpp)
#pragma once

#include <cstdint>

namespace latentlab {

inline constexpr std::uint64_t kSampleStream = 0;
inline constexpr std::uint64_t kInitStream = 1;
inline constexpr std::uint64_t kDataOrderStream = 2;
inline constexpr std::uint64_t kNoiseStream = 3;
inline constexpr std::uint64_t kEvalStream = 4;
inline constexpr std::uint64_t kEvalSampleStream = 101;
inline constexpr std::uint64_t kEvalIwaeStream = 102;
inline constexpr std::uint64_t kEvalSeed = 20240101;

}  // namespace latentlab
