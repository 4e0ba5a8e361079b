// Turning a data set's bytes into float batches: the epoch order, the training batches and the
// test chunks. Pixels are bytes p/255 (pixel_value, datasets.hpp), mapped to the model's range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "data/datasets.hpp"
#include "latentlab/models/model.hpp"
#include "latentlab/rng.hpp"

namespace latentlab::native {

// Test images evaluated per forward pass.
inline constexpr int kEvalChunk = 500;

// The indices 0…n−1 in the order of one epoch: identity, then Rng::shuffle with `rng`.
// Starting from the identity every epoch (rather than re-shuffling the last order) makes the
// order a function of the RNG state alone, which is all a checkpoint needs to store.
void epoch_order(Rng& rng, std::size_t n, std::vector<std::uint32_t>& order);

// Calls visit(chunk, first, count) for the first n images of `data` in order, in chunks of at
// most kEvalChunk images (chunk: count × image floats, pixels p mapped to map.scale·p + map.shift,
// the model's pixel_map; [0, 1] by default): the test evaluations.
void for_each_test_chunk(const Dataset& data, std::size_t n,
                         const std::function<void(const float* chunk, std::size_t first, int count)>& visit,
                         PixelMap map = {1.0f, 0.0f});

// Copies rows order[first … first+count) of `data` into `batch` (count × image floats),
// mapping each pixel p to scale·p + shift (the model's pixel_map, latentlab/models/model.hpp).
void gather_batch(const Dataset& data, const std::vector<std::uint32_t>& order, std::size_t first, int count,
                  float scale, float shift, float* batch);

// labels[r] = the label of image order[first + r], r < count: the classes of a gather_batch's rows.
void gather_labels(const Dataset& data, const std::vector<std::uint32_t>& order, std::size_t first, int count,
                   int* labels);

}  // namespace latentlab::native
