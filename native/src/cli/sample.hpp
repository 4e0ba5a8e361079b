// `latentlab sample`: a grid of images from N(0, I) latents (contract in generation.hpp).
#pragma once

#include "cli/common.hpp"

namespace latentlab::native {

Command add_sample_command(CLI::App& parent);

}  // namespace latentlab::native
