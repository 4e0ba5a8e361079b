// `latentlab train`: flags, their validation, --resume, then run_training (train/run.hpp). The model
// flags mean what the kind's entry in the native registry (train/registry.hpp) says.
#pragma once

#include <string>

#include "cli/common.hpp"

namespace latentlab::native {

Command add_train_command(CLI::App& parent, const std::string& command_line);

}  // namespace latentlab::native
