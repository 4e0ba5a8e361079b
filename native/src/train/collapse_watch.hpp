// The best model and the collapse warnings of `latentlab train --eval-every N`: fed the sample
// quality (FD, classes covered) of every evaluated epoch, in order.
//
//   best      the epoch of the lowest FD so far (the first one on ties); a non-finite FD never is
//   collapse  reported for an epoch when, compared with the epochs evaluated BEFORE it,
//               classes covered < K − 1 once some earlier epoch covered ≥ K − 1
//                                                        (falls below 9 of MNIST's 10; an early
//                                                        model that never drew 9 classes is
//                                                        still learning, not collapsing), or
//               classes covered ≤ most covered so far − 2  (two classes lost), or
//               FD > 1.5 × the best FD so far              (a sharp rise; not on the first epoch)
//             and the reason is stated ("classes covered 7 of 10, most so far 10").
// Its state (best epoch and FD, most classes covered) goes into the checkpoint metadata, so a
// resumed run keeps the best-so-far and reports exactly what the uninterrupted run reports.
#pragma once

#include <string>

#include "latentlab/io/model_io.hpp"

namespace latentlab::native {

inline constexpr double kCollapseFdRise = 1.5;  // FD above this multiple of the best: collapse
inline constexpr int kCollapseClassesLost = 2;  // classes covered this far below the most: collapse

class CollapseWatch {
 public:
  explicit CollapseWatch(int classes) : classes_(classes) {}

  struct Verdict {
    bool best = false;      // this epoch is the new best (lowest FD)
    std::string collapse;   // "" or why this epoch looks collapsed
  };
  Verdict observe(int epoch, double fd, int classes_covered);

  bool has_best() const { return best_epoch_ > 0; }
  int best_epoch() const { return best_epoch_; }
  double best_fd() const { return best_fd_; }
  int most_classes() const { return most_classes_; }

  // The state as checkpoint metadata ("best_epoch", "best_fd", "most_classes_covered"), and back.
  void store(Metadata& metadata) const;
  void restore(const Metadata& metadata);

 private:
  int classes_;
  int best_epoch_ = 0;  // 0: nothing evaluated yet
  double best_fd_ = 0;
  int most_classes_ = 0;
};

}  // namespace latentlab::native
