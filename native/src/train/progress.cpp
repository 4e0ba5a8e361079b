#include "train/progress.hpp"

#include <unistd.h>

#include <cmath>

#include "program.hpp"
#include "output/format.hpp"

namespace latentlab::native {

ProgressMode detect_progress_mode(bool quiet) {
  if (quiet) return ProgressMode::Quiet;
  return ::isatty(STDOUT_FILENO) ? ProgressMode::Terminal : ProgressMode::Lines;
}

std::string format_progress_line(int epoch, int epochs, std::size_t steps_done, std::size_t steps_total,
                                 double images_per_second, double eta_seconds, const Metrics& running) {
  char head[160];
  const int width = static_cast<int>(std::to_string(steps_total).size());
  std::snprintf(head, sizeof head, "epoch %d/%d  %*zu/%zu steps  %.0f img/s  ETA %s", epoch, epochs, width, steps_done,
                steps_total, std::isfinite(images_per_second) ? images_per_second : 0.0,
                format_duration(eta_seconds).c_str());
  std::string line = head;
  line += " ";
  for (const auto& [name, value] : running) {
    char item[64];
    std::snprintf(item, sizeof item, " %s %.4g", name.c_str(), value);
    line += item;
  }
  return line;
}

Progress::Progress(ProgressMode mode, std::FILE* out) : mode_(mode), out_(out) {}

void Progress::start_epoch(int epoch, int epochs, std::size_t steps_total) {
  epoch_ = epoch;
  epochs_ = epochs;
  steps_total_ = steps_total;
  next_decile_ = 1;
  epoch_start_ = last_draw_ = Clock::now();
}

double Progress::epoch_seconds() const {
  return std::chrono::duration<double>(Clock::now() - epoch_start_).count();
}

void Progress::step(std::size_t steps_done, std::size_t images_done, const Metrics& running) {
  if (mode_ == ProgressMode::Quiet || !out_) return;
  const auto now = Clock::now();
  const bool last = steps_done >= steps_total_;
  if (mode_ == ProgressMode::Terminal) {
    if (!last && now - last_draw_ < std::chrono::milliseconds(100)) return;
  } else {
    // Plain lines at 10 %, 20 %, … 90 % (the epoch summary covers 100 %).
    if (last || steps_done * 10 < static_cast<std::size_t>(next_decile_) * steps_total_) return;
    while (static_cast<std::size_t>(next_decile_) * steps_total_ <= steps_done * 10) ++next_decile_;
  }
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - epoch_start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(images_done) / elapsed : 0.0;
  const double eta = steps_done > 0 ? elapsed / static_cast<double>(steps_done) *
                                          static_cast<double>(steps_total_ - std::min(steps_done, steps_total_))
                                    : NAN;
  draw(format_progress_line(epoch_, epochs_, steps_done, steps_total_, rate, eta, running), last);
}

void Progress::draw(const std::string& text, bool) {
  if (mode_ == ProgressMode::Terminal) {
    // "\r" back to the start, ESC[K erases the rest of the old line.
    std::fprintf(out_, "\r%s\033[K", text.c_str());
    line_open_ = true;
  } else {
    std::fprintf(out_, "%s\n", text.c_str());
  }
  std::fflush(out_);
}

void Progress::end_epoch(const std::string& line) { message(line); }

void Progress::message(const std::string& line) {
  if (!out_) return;
  if (line_open_) {
    std::fprintf(out_, "\r\033[K");
    line_open_ = false;
  }
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

}  // namespace latentlab::native
