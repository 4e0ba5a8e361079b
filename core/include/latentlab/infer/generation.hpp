// Images from a loaded model, with the contracts the native CLI and the WebAssembly page share
// (one implementation, so `latentlab sample --seed S` and `model.sample(n, S)` agree):
//
//   sample            z = Rng(seed, 0).fill_normal(n · latent)     (row k = latent of image k)
//   pixels            VAE: σ(decoder(z));  GAN: (G(z) + 1) / 2;   both in [0, 1]
//   interpolate       frame i of steps (t = i / (steps − 1)):
//                       lerp:  (1 − t)·a + t·b
//                       slerp: sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b,
//                              Ω = acos(clamp(a·b / (|a||b|), −1, 1)), in double (Shoemake 1985);
//                              when sin Ω < 1e-6 (a ∥ b, or a zero vector) slerp falls back to lerp.
// Slerp follows the great circle between the two latents, so intermediate frames keep the norm
// a N(0, I) sample typically has (≈ √latent) instead of shrinking towards 0 as lerp does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "latentlab/io/model_io.hpp"
#include "latentlab/infer/packed_linear.hpp"

namespace latentlab {

enum class LatentPath { Lerp, Slerp };

// count standard normals from Rng(seed, 0).
void sample_latents(std::uint64_t seed, float* z, std::size_t count);
// steps × dim latents between a and b (dim floats each) into out.
void interpolate_latents(const float* a, const float* b, int dim, int steps, LatentPath path, float* out);
// Pixels in [0, 1] (n × image size) for the latents z (n × latent) of a VAE or GAN.
void decode_to_pixels(LoadedModel& model, const float* z, int n, float* pixels);

// The same pixels for repeated calls on a model that no longer changes (the page): the VAE
// decoder or the GAN generator (eval mode) frozen into PackedLinear layers, its weights packed
// once here instead of in every GEMM, bias / BatchNorm / ReLU / LeakyReLU applied in the GEMM's
// store, and the last layer plus the pixel mapping written straight into `pixels`. Equal to
// decode_to_pixels bit for bit in the wasm build for n ≥ 4 (same kernel and summation order;
// kernels::gemm takes a different, unpacked path below 4 rows), within a few ulps natively.
// Copies the weights: build it after training, not before.
class ImageDecoder {
 public:
  explicit ImageDecoder(const LoadedModel& model);
  int latent_dim() const { return layers_.front().in(); }
  int image_size() const { return layers_.back().out(); }
  void decode(const float* z, int n, float* pixels);

 private:
  std::vector<PackedLinear> layers_;
  bool tanh_output_ = false;       // GAN: (tanh + 1) / 2
  std::vector<AlignedBuffer> hidden_;  // output of each layer but the last
  int capacity_ = 0;
};

}  // namespace latentlab
