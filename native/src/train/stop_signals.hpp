// SIGINT / SIGTERM during training: the first one asks the run to stop cleanly (it finishes the
// current step, writes a checkpoint and exits 128 + signal, i.e. 130 / 143, saying how to resume);
// a second one ends the process at once (the default action of the signal).
#pragma once

namespace latentlab::native {

// Installs the handlers for its lifetime and restores the previous ones afterwards.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Async-signal-safe flag: the signal received (SIGINT or SIGTERM), or 0.
  static int received();
  static const char* name(int signal);  // "SIGINT", "SIGTERM"
};

}  // namespace latentlab::native
