// Vector-returning conveniences over core's generation.hpp (the sampling and interpolation
// contracts shared with the WebAssembly page live there), plus CLI helpers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latentlab/infer/generation.hpp"
#include "latentlab/io/model_io.hpp"

namespace latentlab::native {

using latentlab::LatentPath;

// The core's sample_latents(seed, …) for n latents of size `latent`, as a vector.
std::vector<float> sampled_latents(std::uint64_t seed, int n, int latent);
// The core's interpolate_latents, as a vector (steps × latent).
std::vector<float> interpolated_latents(const float* a, const float* b, int latent, int steps, LatentPath path);

// Pixels in [0, 1] (n × image) for the latents z (n × latent): model.decode. labels: the n
// images' classes for a conditional model; null: the classes in turn (k mod classes, generation.hpp).
std::vector<float> generate_pixels(GenerativeModel& model, const float* z, int n, const int* labels = nullptr);

// Image height and width of a model: from "image_height"/"image_width" when they multiply to
// the image size, else a square when the size is one, else size × 1.
void image_shape(const LoadedModel& model, int& rows, int& cols);

// Columns of a square-ish grid of n images: ceil(sqrt(n)).
int grid_columns(int n);

// The --raw output of sample/interpolate: the fields of `head` plus "pixels", a JSON array with
// 9 significant digits (each float round-trips exactly), as one line of text.
std::string raw_pixels_json(const nlohmann::json& head, const std::vector<float>& pixels);

}  // namespace latentlab::native
