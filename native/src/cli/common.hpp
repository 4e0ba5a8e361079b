// Pieces shared by the `latentlab` subcommands: exit codes, the error kinds main() maps to
// them, strict validators for numeric flags, and loading a weights file.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "program.hpp"
#include "latentlab/io/model_io.hpp"
#include "output/format.hpp"

namespace latentlab::native {

// One subcommand: its CLI11 node and what to run when it was chosen. run() returns the exit code
// and may throw UsageError, DataError or std::runtime_error (main maps them to 2, 1, 1).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// ---- validators: each rejects (never clamps) a bad value with a message naming the value ----
// CLI11 prefixes the option's name: "--epochs: 0 is not in [1, 1000000]". They also rewrite the
// accepted text to a canonical decimal form, so CLI11's own conversion (which would read "010"
// as octal) sees exactly what we checked.

// A decimal integer in [lo, hi].
CLI::Validator integer_in(long long lo, long long hi);
// A decimal integer in [0, 2^64 − 1] (seeds).
CLI::Validator unsigned_64();
// A finite decimal number in (lo, hi] when lo_exclusive, else [lo, hi]. Rejects nan and inf.
CLI::Validator finite_number(double lo, double hi, bool lo_exclusive);
// A comma-separated list of 1…16 layer widths, each in [1, 65536], e.g. "400" or "512,256".
CLI::Validator width_list();

// Parses a list accepted by width_list(). Throws UsageError otherwise.
std::vector<int> parse_width_list(const std::string& text, const std::string& flag);

// `--allow-extra-tensors` on a command that reads weights files: the loader's
// LoadOptions::allow_extra_tensors for every file the command loads (a file written by another
// tool may hold tensors latentlab's model has no use for; they are ignored with a note).
void add_load_flags(CLI::App* app);
// The options those flags set (strict by default).
const LoadOptions& cli_load_options();
// The loader's notes (tensors skipped or ignored) on stderr, "note: <path>: <note>".
void print_load_notes(const std::string& path, const std::vector<std::string>& notes);

// Reads and validates a weights (or checkpoint) file. Throws DataError naming the file on failure.
LoadedModel load_weights_file(const std::string& path);
// The same for a classifier file (kind "classifier").
LoadedClassifier load_classifier_file(const std::string& path);
// true when a weights file's __metadata__ names a kind of the registry's classifier role; false
// when it names another kind, none, or the file is unreadable (the loaders then say why).
bool holds_classifier(const std::string& path);
// Files larger than this are not weights files (the largest model load_model accepts is 512 MB,
// a checkpoint holds three times its parameters).
inline constexpr std::size_t kMaxWeightsFileBytes = std::size_t(2) << 30;

// Writes text to `path` atomically, or to stdout when path is "-".
void write_text_output(const std::string& path, const std::string& text);

// The command line as one string, each argument quoted when it needs it.
std::string join_command_line(int argc, const char* const* argv);

}  // namespace latentlab::native
