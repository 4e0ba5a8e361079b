// What every room of native/src shares, so it sits above the rooms: the program's version, its
// two kinds of user-facing error and the exit codes they map to (main.cpp).
#pragma once

#include <stdexcept>

namespace latentlab::native {

// The program's version, as stored in "trained_by": "latentlab <version>".
const char* latentlab_version();

// Exit codes of the program (documented in `latentlab --help`).
inline constexpr int kExitSuccess = 0;
inline constexpr int kExitRuntimeError = 1;  // missing data, corrupt weights, unwritable output, divergence…
inline constexpr int kExitUsageError = 2;    // bad flags or a combination of flags that cannot work

// A user-facing error about a file or a data set (missing, malformed, unwritable...): exit code 1.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A wrong combination of flags found after parsing: exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace latentlab::native
