// `latentlab eval --weights FILE` and `latentlab compare A B …`: the metrics of evaluation.hpp as
// a table (model columns beside a "real data" column) or as JSON (--json).
#pragma once

#include "cli/common.hpp"

namespace latentlab::native {

Command add_eval_command(CLI::App& parent);
Command add_compare_command(CLI::App& parent);

}  // namespace latentlab::native
