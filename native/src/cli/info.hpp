// `latentlab info`: what a weights or checkpoint file holds.
#pragma once

#include "cli/common.hpp"

namespace latentlab::native {

Command add_info_command(CLI::App& parent);

}  // namespace latentlab::native
