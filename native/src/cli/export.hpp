// `latentlab export`: re-encode a weights file, e.g. as F16 for the web page (half the download),
// optionally keeping only what sampling needs (a GAN's generator).
#pragma once

#include "cli/common.hpp"

namespace latentlab::native {

Command add_export_command(CLI::App& parent);

}  // namespace latentlab::native
