// Images from a loaded model, with the contracts the WebAssembly page shares:
//
//   sample(n, seed)   z = Rng(seed, 0).fill_normal(n · latent)   (row k = latent of image k)
//                     VAE: pixels = σ(decoder(z));  GAN: pixels = (G(z) + 1) / 2;  both in [0, 1]
//   interpolate(from, to, steps, slerp)
//                     a = Rng(from, 0).fill_normal(latent), b = Rng(to, 0).fill_normal(latent),
//                     frame i of steps (t = i / (steps − 1)) decodes
//                       lerp:  (1 − t)·a + t·b
//                       slerp: sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b,
//                              Ω = acos(clamp(a·b / (|a||b|), −1, 1)), computed in double;
//                              when sin Ω < 1e-6 (a ∥ b) slerp falls back to lerp.
// Slerp follows the great circle between the two latents, so intermediate frames keep the
// norm a N(0, I) sample typically has (≈ √latent) instead of shrinking towards 0 as lerp does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "latentlab/model_io.hpp"

namespace latentlab::native {

enum class LatentPath { Lerp, Slerp };

std::vector<float> sample_latents(int n, int latent, std::uint64_t seed);
std::vector<float> interpolate_latents(const float* a, const float* b, int latent, int steps, LatentPath path);

// Pixels in [0, 1] (n × image) for the latents z (n × latent) of a VAE or GAN.
std::vector<float> generate_pixels(LoadedModel& model, const float* z, int n);

// Image height and width of a model: from "image_height"/"image_width" when they multiply to
// the image size, else a square when the size is one, else size × 1.
void image_shape(const LoadedModel& model, int& rows, int& cols);

// Columns of a square-ish grid of n images: ceil(sqrt(n)).
int grid_columns(int n);

// Pixels as a JSON array text with 9 significant digits (each float round-trips exactly).
std::string pixels_json_array(const std::vector<float>& pixels);

}  // namespace latentlab::native
