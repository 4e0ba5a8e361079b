// What the classifier says about a set of images, from its class probabilities p(y|x)
// (softmax of the logits), n images × K classes:
//
//   histogram        h_c = #{x : argmax_y p(y|x) = c} / n
//   classes covered  #{c : h_c ≥ 1 / (10 K)}  (a class gets at least a tenth of its fair share)
//   KL to uniform    KL(h ‖ U) = Σ_c h_c log(K h_c)          0 = perfectly balanced, log K = one class
//   IS-style score   exp( (1/n) Σ_x KL(p(y|x) ‖ p̄(y)) ),  p̄(y) = (1/n) Σ_x p(y|x)
//                    (Salimans et al. 2016 with our classifier instead of Inception; between 1
//                    and K: high when each image is confidently one class AND the classes vary)
//   mean confidence  (1/n) Σ_x max_y p(y|x)   a sharpness proxy: blurry or ambiguous images get
//                    spread-out probabilities
// All sums in double; 0 · log 0 = 0.
#pragma once

#include <cstddef>
#include <vector>

namespace latentlab::native {

struct ClassStats {
  std::vector<double> histogram;  // K fractions summing to 1
  int classes_covered = 0;
  double kl_to_uniform = 0;
  double inception_score = 0;
  double mean_confidence = 0;
};

// probabilities: n × classes, each row summing to 1. n ≥ 1.
ClassStats class_stats(const float* probabilities, std::size_t n, int classes);

// Row-wise softmax of n × classes logits into probabilities (max subtracted, in double).
void softmax_rows(const float* logits, std::size_t n, int classes, float* probabilities);

}  // namespace latentlab::native
