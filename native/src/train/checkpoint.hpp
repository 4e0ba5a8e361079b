// Exact training state in a safetensors file, so that `train --resume` continues bit for bit.
//
// A checkpoint is a weights file (load_model and `latentlab sample` read it like any other)
// with extra tensors and metadata:
//   tensors   the model's tensor groups (same names as model.safetensors), and per optimiser
//             "<adam>.m", "<adam>.v": Adam's moments as flat F32 tensors over the whole
//             flat parameter buffer (alignment padding included; it stays 0)
//   metadata  "checkpoint" = "1", "epoch" (completed epochs), "step" (completed steps),
//             "<adam>.steps" (Adam's t), and each RNG as
//             "rng.<name>.state", "rng.<name>.increment"   u64 as decimal strings
//             "rng.<name>.has_spare"                       "0" | "1"
//             "rng.<name>.spare_bits"                      the spare normal (a double) as the
//                                                          16 hex digits of its IEEE bit pattern
// Strings rather than JSON numbers because a u64 or a double does not survive a trip through
// a JSON parser that reads numbers as doubles.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "latentlab/nn/adam.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/result.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/io/safetensors.hpp"

namespace latentlab::native {

inline constexpr const char* kCheckpointMarker = "checkpoint";

// u64 ↔ decimal string (strict: digits only, no sign, no overflow).
std::string u64_to_decimal(std::uint64_t value);
Result<std::uint64_t> u64_from_decimal(const std::string& text);
// double ↔ its bit pattern as 16 lowercase hex digits (exact, NaN payloads included).
std::string double_to_bits_hex(double value);
Result<double> double_from_bits_hex(const std::string& text);

// A metadata value that must be present.
Result<std::string> metadata_value(const Metadata& metadata, const std::string& key);
Result<std::uint64_t> metadata_u64(const Metadata& metadata, const std::string& key);

void store_rng(Metadata& metadata, const std::string& name, const Rng& rng);
Result<bool> restore_rng(const Metadata& metadata, const std::string& name, Rng& rng);

// Adds "<name>.m" and "<name>.v" views (into adam's own memory: keep adam alive until encoded)
// and "<name>.steps".
void store_adam(std::vector<TensorToWrite>& tensors, Metadata& metadata, const std::string& name, const Adam& adam);
// Restores moments and step count; the tensors must have exactly adam.size() values.
Result<bool> restore_adam(const SafetensorsContents& contents, const std::string& name, Adam& adam);

// Optimisers or RNGs under their checkpoint names, in save order: {{"adam", &adam}} or
// {{"adam.generator", &g}, {"adam.discriminator", &d}}; {{"data", &data_rng}, {"noise", &noise_rng}}.
template <class T>
using NamedStates = std::vector<std::pair<const char*, T*>>;

// The checkpoint of `model` trained with any number of optimisers: the tensors of every group of
// the model (model_tensors), then each optimiser's moments (store_adam), and each RNG's state
// (store_rng), added to `metadata` (which already holds the counters), with `config` on top.
std::vector<std::uint8_t> encode_checkpoint(const Model& model, const NamedStates<const Adam>& optimisers,
                                            const NamedStates<const Rng>& rngs, Metadata metadata, const Metadata& config);
// Restores what encode_checkpoint stored, in the same order (every group's tensors, shapes checked;
// the optimisers; the RNGs). The model's groups are written through their ParameterSet pointers.
Result<bool> restore_checkpoint(const SafetensorsContents& checkpoint, const Model& model,
                                const NamedStates<Adam>& optimisers, const NamedStates<Rng>& rngs);

// true if every parameter of the set is finite: a checkpoint or model is only written then,
// so a diverged run can never replace a good file with NaNs.
bool parameters_finite(const ParameterSet& params);

}  // namespace latentlab::native
