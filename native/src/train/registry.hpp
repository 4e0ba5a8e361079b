// The model kinds as the native side knows them, each registered once (registry.cpp), beside the
// core's registry (latentlab/models/registry.hpp): what the CLI, the trainer and the evaluator
// need of a kind that the core does not. Code outside the two registries reads a kind's entries
// and capabilities, never its name.
#pragma once

#include <cstddef>

#include "data/datasets.hpp"
#include "latentlab/models/registry.hpp"
#include "train/trainer.hpp"

namespace latentlab::native {

struct NativeKind {
  const ModelKind* kind;
  // The kind's own __metadata__ keys (registry.hpp lists them), space-separated, in the order
  // `latentlab info` shows them.
  const char* config_keys;
  // The trainer's test metrics of a loaded model on the first n images of `test` (the columns
  // log.csv shows), which `latentlab eval` reports too; null when the kind has none that a
  // weights file supports.
  Metrics (*test_metrics)(GenerativeModel& model, const Dataset& test, std::size_t n);
};

// The native entry of a registered kind (every core kind has one).
const NativeKind& native_kind(const ModelKind& kind);

}  // namespace latentlab::native
