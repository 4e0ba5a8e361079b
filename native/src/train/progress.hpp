// The live progress line of `latentlab train`.
//
//   epoch 3/10  234/469 steps  7012 img/s  ETA 0:04  loss 112.351 recon 90.102 kl 22.249
//
// On a terminal (isatty(stdout)) the line is redrawn in place with "\r" (at most 10 times a
// second); when stdout is a file or a pipe, a plain line is written at every tenth of the epoch
// instead, so logs stay short. Either way an epoch ends with one summary line. --quiet keeps
// only the summary lines.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

#include "train/trainer.hpp"

namespace latentlab::native {

enum class ProgressMode { Terminal, Lines, Quiet };

// Terminal when stdout is a TTY, else Lines; Quiet when quiet.
ProgressMode detect_progress_mode(bool quiet);

// The text of one progress line (no newline), e.g. the example above. ETA is the remaining
// time of the epoch at the current rate.
std::string format_progress_line(int epoch, int epochs, std::size_t steps_done, std::size_t steps_total,
                                 double images_per_second, double eta_seconds, const Metrics& running);

class Progress {
 public:
  // out nullptr: prints nothing (the data-parallel ranks other than rank 0).
  Progress(ProgressMode mode, std::FILE* out);

  void start_epoch(int epoch, int epochs, std::size_t steps_total);
  void step(std::size_t steps_done, std::size_t images_done, const Metrics& running);
  // Ends the live line and prints `line` (the epoch summary) on its own line.
  void end_epoch(const std::string& line);
  // Prints a line (clearing a live line first).
  void message(const std::string& line);

  // Seconds since start_epoch.
  double epoch_seconds() const;

 private:
  void draw(const std::string& text, bool final);

  using Clock = std::chrono::steady_clock;
  ProgressMode mode_;
  std::FILE* out_;
  int epoch_ = 0, epochs_ = 0;
  std::size_t steps_total_ = 0;
  int next_decile_ = 1;
  bool line_open_ = false;
  Clock::time_point epoch_start_, last_draw_;
};

}  // namespace latentlab::native
