#include "eval/class_stats.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace latentlab::native {

void softmax_rows(const float* logits, std::size_t n, int classes, float* probabilities) {
  const std::size_t k = static_cast<std::size_t>(classes);
  for (std::size_t r = 0; r < n; ++r) {
    const float* x = logits + r * k;
    float* p = probabilities + r * k;
    const double max = *std::max_element(x, x + k);
    double sum = 0.0;
    for (std::size_t j = 0; j < k; ++j) sum += std::exp(static_cast<double>(x[j]) - max);
    for (std::size_t j = 0; j < k; ++j) p[j] = static_cast<float>(std::exp(static_cast<double>(x[j]) - max) / sum);
  }
}

ClassStats class_stats(const float* probabilities, std::size_t n, int classes) {
  if (n == 0 || classes < 1) throw std::invalid_argument("class_stats needs at least one image and one class");
  const std::size_t k = static_cast<std::size_t>(classes);
  ClassStats s;
  s.histogram.assign(k, 0.0);
  std::vector<double> marginal(k, 0.0);  // p̄(y)
  double confidence = 0.0;
  for (std::size_t r = 0; r < n; ++r) {
    const float* p = probabilities + r * k;
    const std::size_t argmax = static_cast<std::size_t>(std::max_element(p, p + k) - p);
    s.histogram[argmax] += 1.0;
    confidence += p[argmax];
    for (std::size_t j = 0; j < k; ++j) marginal[j] += p[j];
  }
  const double inv_n = 1.0 / static_cast<double>(n);
  for (std::size_t j = 0; j < k; ++j) {
    s.histogram[j] *= inv_n;
    marginal[j] *= inv_n;
    if (s.histogram[j] >= 1.0 / (10.0 * static_cast<double>(k))) ++s.classes_covered;
    if (s.histogram[j] > 0) s.kl_to_uniform += s.histogram[j] * std::log(static_cast<double>(k) * s.histogram[j]);
  }
  s.mean_confidence = confidence * inv_n;
  // IS = exp(E_x KL(p(y|x) ‖ p̄(y))), KL = Σ_y p log(p / p̄)
  double kl_sum = 0.0;
  for (std::size_t r = 0; r < n; ++r) {
    const float* p = probabilities + r * k;
    for (std::size_t j = 0; j < k; ++j)
      if (p[j] > 0 && marginal[j] > 0) kl_sum += p[j] * (std::log(static_cast<double>(p[j])) - std::log(marginal[j]));
  }
  s.inception_score = std::exp(kl_sum * inv_n);
  return s;
}

}  // namespace latentlab::native
