#include "train/training_quality.hpp"

#include <algorithm>
#include <vector>

#include "cli/common.hpp"
#include "eval/evaluation.hpp"
#include "latentlab/infer/generation.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/streams.hpp"

namespace latentlab::native {

namespace {
constexpr std::size_t kRenderChunk = 500;
}  // namespace

TrainingQuality::TrainingQuality(const std::string& classifier_path, const Dataset& test, std::size_t n_test,
                                 int latent_dim, std::uint64_t seed, std::size_t samples)
    : classifier_(std::move(load_classifier_file(classifier_path).classifier)),
      samples_(samples),
      z_(samples * static_cast<std::size_t>(latent_dim)),
      pixels_(samples * static_cast<std::size_t>(test.rows * test.cols)) {
  if (classifier_->config().input != test.rows * test.cols)
    throw DataError("the classifier '" + classifier_path + "' takes " + std::to_string(classifier_->config().input) +
                    " pixels, but the images have " + std::to_string(test.rows * test.cols));
  if (n_test < 2) throw DataError("the sample quality needs at least 2 test images");
  test_stats_ = test_feature_stats(*classifier_, test, n_test);
  Rng(seed, kEvalSampleStream).fill_normal(z_.data(), z_.size());
}

TrainingQuality::~TrainingQuality() = default;

int TrainingQuality::classes() const { return classifier_->config().classes; }

Metrics TrainingQuality::measure(Trainer& trainer) {
  // In chunks, as the evaluator generates: small activations stay in cache.
  const std::size_t latent = z_.size() / samples_, image = pixels_.size() / samples_;
  // A conditional model is asked for the classes in turn (image k: class k mod classes, the
  // sampling contract of generation.hpp), so every class is judged on equally many samples.
  std::vector<int> labels;
  if (trainer.classes() > 0) {
    labels.resize(samples_);
    cycle_labels(trainer.classes(), static_cast<int>(samples_), labels.data());
  }
  for (std::size_t first = 0; first < samples_; first += kRenderChunk) {
    const int count = static_cast<int>(std::min(kRenderChunk, samples_ - first));
    trainer.render(z_.data() + first * latent, labels.empty() ? nullptr : labels.data() + first, count,
                   pixels_.data() + first * image);
  }
  const Metrics all = sample_quality(*classifier_, pixels_.data(), samples_, test_stats_);
  Metrics kept;
  for (const auto& name : metric_names()) kept.push_back({name, metric(all, name)});
  return kept;
}

}  // namespace latentlab::native
