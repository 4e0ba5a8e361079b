// `latentlab reconstruct`: test images (top) and the VAE's reconstructions with z = μ (below).
#pragma once

#include "cli/common.hpp"

namespace latentlab::native {

Command add_reconstruct_command(CLI::App& parent);

}  // namespace latentlab::native
