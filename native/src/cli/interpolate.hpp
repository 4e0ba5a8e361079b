// `latentlab interpolate`: a strip of frames walking from one seed's latent to another's.
#pragma once

#include "cli/common.hpp"

namespace latentlab::native {

Command add_interpolate_command(CLI::App& parent);

}  // namespace latentlab::native
