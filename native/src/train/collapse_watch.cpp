#include "train/collapse_watch.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace latentlab::native {

CollapseWatch::Verdict CollapseWatch::observe(int epoch, double fd, int classes_covered) {
  Verdict v;
  char why[160] = "";
  if ((classes_covered < classes_ - 1 && most_classes_ >= classes_ - 1) || (most_classes_ > 0 && classes_covered <= most_classes_ - kCollapseClassesLost))
    std::snprintf(why, sizeof why, "classes covered %d of %d, most so far %d", classes_covered, classes_,
                  std::max(most_classes_, classes_covered));
  else if (has_best() && std::isfinite(fd) && fd > kCollapseFdRise * best_fd_)
    std::snprintf(why, sizeof why, "FD %.1f > %.1f x the best %.1f (epoch %d)", fd, kCollapseFdRise, best_fd_,
                  best_epoch_);
  else if (!std::isfinite(fd))
    std::snprintf(why, sizeof why, "FD is not finite");
  v.collapse = why;
  if (std::isfinite(fd) && (!has_best() || fd < best_fd_)) {
    best_fd_ = fd;
    best_epoch_ = epoch;
    v.best = true;
  }
  most_classes_ = std::max(most_classes_, classes_covered);
  return v;
}

void CollapseWatch::store(Metadata& m) const {
  if (!has_best()) return;
  char fd[40];
  std::snprintf(fd, sizeof fd, "%.17g", best_fd_);  // round-trips the double: a resumed run compares alike
  m["best_epoch"] = std::to_string(best_epoch_);
  m["best_fd"] = fd;
  m["most_classes_covered"] = std::to_string(most_classes_);
}

void CollapseWatch::restore(const Metadata& m) {
  const auto epoch = m.find("best_epoch"), fd = m.find("best_fd"), most = m.find("most_classes_covered");
  if (epoch == m.end() || fd == m.end() || most == m.end()) return;
  best_epoch_ = std::atoi(epoch->second.c_str());
  best_fd_ = std::strtod(fd->second.c_str(), nullptr);
  most_classes_ = std::atoi(most->second.c_str());
  if (best_epoch_ < 1 || !std::isfinite(best_fd_)) best_epoch_ = 0, best_fd_ = 0, most_classes_ = 0;
}

}  // namespace latentlab::native
