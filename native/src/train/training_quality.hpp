// The sample quality measured during `latentlab train` (--eval-every N, at the epochs that
// evaluate): the evaluator's cheap part (eval/evaluation.hpp sample_quality) on
// kTrainingQualitySamples images the model generates from FIXED latents
// z = Rng(run seed, kEvalSampleStream).fill_normal(samples · latent), drawn once, so that
// successive epochs are compared on the same latents (and `latentlab eval --seed <run seed>
// --samples 2000` draws the same latents for the saved model). The classifier is the one that
// judges the data set (eval/shipped_classifier.hpp) or --classifier; FD is against the features
// of the run's test images (--test-limit).
//
//   fd, classes_covered, kl_uniform, confidence   (docs/evaluation.md; is_score is not logged)
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/datasets.hpp"
#include "eval/frechet.hpp"
#include "latentlab/models/classifier.hpp"
#include "train/trainer.hpp"

namespace latentlab::native {

inline constexpr std::size_t kTrainingQualitySamples = 2000;

class TrainingQuality {
 public:
  // Throws DataError when the classifier file is unreadable or does not fit the images.
  TrainingQuality(const std::string& classifier_path, const Dataset& test, std::size_t n_test, int latent_dim,
                  std::uint64_t seed, std::size_t samples = kTrainingQualitySamples);
  ~TrainingQuality();

  int classes() const;
  // The metrics named by metric_names() for the trainer's current model.
  Metrics measure(Trainer& trainer);
  static std::vector<std::string> metric_names() { return {"fd", "classes_covered", "kl_uniform", "confidence"}; }

 private:
  std::unique_ptr<Classifier> classifier_;
  GaussianStats test_stats_;
  std::size_t samples_;
  std::vector<float> z_, pixels_;
};

}  // namespace latentlab::native
