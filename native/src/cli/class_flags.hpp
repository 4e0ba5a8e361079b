// `--class C` and `--classes A-B` of sample, interpolate and eval: which classes a conditional
// model's images are asked for. The labels contract itself (one class for every image, or the
// classes in turn when none is given) is core's, in latentlab/infer/generation.hpp.
#pragma once

#include <string>
#include <vector>

#include "cli/common.hpp"
#include "latentlab/models/model.hpp"

namespace latentlab::native {

struct ClassFlags {
  std::string one, range;  // --class, --classes as given
  CLI::Option *o_class = nullptr, *o_classes = nullptr;
};

// Adds --class and --classes (mutually exclusive) to `app`; `what` ends their help text.
void add_class_flags(CLI::App* app, ClassFlags& flags, const std::string& what);

// The classes asked for, in order: {C} for --class C, A…B for --classes A-B, empty when neither
// was given. UsageError (exit 2) for a class given to an unconditional model, a class outside
// [0, classes()), or a malformed range.
std::vector<int> requested_classes(const ClassFlags& flags, const GenerativeModel& model);

// One row per class: the n latents `z` (n × latent) repeated once per class, and each row's
// labels (image (r, j) = decode(z_j, classes[r])).
struct ClassRows {
  std::vector<float> z;
  std::vector<int> labels;
};
ClassRows rows_per_class(const std::vector<float>& z, int n, const std::vector<int>& classes);

}  // namespace latentlab::native
