// `latentlab train`: flags, their validation, --resume, then run_training (training_run.hpp).
#pragma once

#include <string>

#include "cli/common.hpp"

namespace latentlab::native {

Command add_train_command(CLI::App& parent, const std::string& command_line);

}  // namespace latentlab::native
