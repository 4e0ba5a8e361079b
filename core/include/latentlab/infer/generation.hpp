// Images from a loaded model, with the contracts the native CLI and the WebAssembly page share
// (one implementation, so `latentlab sample --seed S` and `model.sample(n, S)` agree):
//
//   sample            z = Rng(seed, kSampleStream).fill_normal(n · latent)   (row k = latent of image k;
//                     kSampleStream = 0, streams.hpp)
//   pixels            model.decode(z) ∈ [0, 1]: the decoder's output in the model's pixel range
//                     mapped to [0, 1] (models/model.hpp): σ(logits) for the VAE, (G(z) + 1) / 2 for the GAN
//   interpolate       frame i of steps (t = i / (steps − 1)):
//                       lerp:  (1 − t)·a + t·b
//                       slerp: sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b,
//                              Ω = acos(clamp(a·b / (|a||b|), −1, 1)), in double (Shoemake 1985);
//                              when sin Ω < 1e-6 (a ∥ b, or a zero vector) slerp falls back to lerp.
//   labels            (a conditional model, GenerativeModel::classes() = C > 0) image k is asked
//                     for class labels[k] ∈ [0, C): decode(z, labels). Given one class c, every
//                     label is c; given none, label k = k mod C (the classes in turn, uniform over
//                     C consecutive images; no random stream). An unconditional model takes no
//                     labels (nullptr); asking one for a class is the caller's usage error.
// Slerp follows the great circle between the two latents, so intermediate frames keep the norm
// a N(0, I) sample typically has (≈ √latent) instead of shrinking towards 0 as lerp does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "latentlab/models/model.hpp"
#include "latentlab/infer/packed_linear.hpp"

namespace latentlab {

enum class LatentPath { Lerp, Slerp };

// count standard normals from Rng(seed, kSampleStream).
void sample_latents(std::uint64_t seed, float* z, std::size_t count);
// labels[k] = k mod classes, k < n (the labels of a conditional model asked for no class).
void cycle_labels(int classes, int n, int* labels);
// steps × dim latents between a and b (dim floats each) into out.
void interpolate_latents(const float* a, const float* b, int dim, int steps, LatentPath path, float* out);
// model.decode's pixels for repeated calls on a model that no longer changes (the page): a decoder
// that is an MLP (GenerativeModel::mlp_decoder; eval mode) frozen into PackedLinear layers, its weights packed
// once here instead of in every GEMM, bias / BatchNorm / ReLU / LeakyReLU applied in the GEMM's
// store, and the last layer plus the pixel mapping written straight into `pixels`. Equal to
// model.decode bit for bit in the wasm build for n ≥ 4 (same kernel and summation order;
// kernels::gemm takes a different, unpacked path below 4 rows), within a few ulps natively.
// Copies the weights: build it after training, not before.
class ImageDecoder {
 public:
  // A model whose decoder is not an MLP is decoded by model.decode itself (keep the model alive).
  explicit ImageDecoder(GenerativeModel& model);
  // labels: n classes for a conditional model (see the contract above), else nullptr.
  void decode(const float* z, const int* labels, int n, float* pixels);

 private:
  GenerativeModel* fallback_ = nullptr;  // set when the decoder is not an MLP
  int latent_ = 0, classes_ = 0;
  AlignedBuffer input_;  // [z | onehot(labels)] of a conditional model
  std::vector<PackedLinear> layers_;
  PixelRange range_ = PixelRange::ZeroOne;
  std::vector<AlignedBuffer> hidden_;  // output of each layer but the last
  int capacity_ = 0;
};

}  // namespace latentlab
