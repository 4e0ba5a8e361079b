#include "eval/evaluation.hpp"
#include "train/registry.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "latentlab/infer/generation.hpp"
#include "latentlab/rng.hpp"
#include "eval/class_stats.hpp"
#include "eval/vae_bounds.hpp"
#include "train/classifier_trainer.hpp"

namespace latentlab::native {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kChunk = 500;  // images per classifier forward / generator call

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void say(const EvalProgress& progress, const std::string& text) {
  if (progress) progress(text);
}

// The classifier's view of n images (pixels in [0, 1]): feature statistics and class statistics.
struct Classified {
  GaussianStats features;
  ClassStats classes;
};

Classified classify(Classifier& classifier, const float* pixels, std::size_t n) {
  const std::size_t image = static_cast<std::size_t>(classifier.config().input);
  const std::size_t dim = static_cast<std::size_t>(classifier.feature_size());
  const int k = classifier.config().classes;
  std::vector<float> features(n * dim), probabilities(n * static_cast<std::size_t>(k));
  for (std::size_t first = 0; first < n; first += kChunk) {
    const int count = static_cast<int>(std::min<std::size_t>(kChunk, n - first));
    const float* logits = classifier.forward(pixels + first * image, count);
    softmax_rows(logits, static_cast<std::size_t>(count), k, probabilities.data() + first * static_cast<std::size_t>(k));
    std::copy(classifier.features(), classifier.features() + static_cast<std::size_t>(count) * dim,
              features.begin() + static_cast<std::ptrdiff_t>(first * dim));
  }
  return {gaussian_stats(features.data(), n, static_cast<int>(dim)), class_stats(probabilities.data(), n, k)};
}

void add_class_metrics(Metrics& m, const ClassStats& c) {
  m.push_back({"classes_covered", c.classes_covered});
  m.push_back({"kl_uniform", c.kl_to_uniform});
  m.push_back({"is_score", c.inception_score});
  m.push_back({"confidence", c.mean_confidence});
}

// Pixels of `count` generated images (z = Rng(seed, kEvalSampleStream) normals), in chunks.
std::vector<float> generate(LoadedModel& model, std::size_t count, std::uint64_t seed) {
  const std::size_t latent = static_cast<std::size_t>(model->latent_dim());
  const std::size_t image = static_cast<std::size_t>(model->image_size());
  Rng rng(seed, kEvalSampleStream);
  std::vector<float> z(kChunk * latent), pixels(count * image);
  for (std::size_t first = 0; first < count; first += kChunk) {
    const int n = static_cast<int>(std::min<std::size_t>(kChunk, count - first));
    rng.fill_normal(z.data(), static_cast<std::size_t>(n) * latent);
    model->decode(z.data(), n, pixels.data() + first * image);
  }
  return pixels;
}

}  // namespace

GaussianStats test_feature_stats(Classifier& classifier, const Dataset& test, std::size_t n) {
  return classify(classifier, test.to_float(0, n).data(), n).features;
}

Metrics sample_quality(Classifier& classifier, const float* pixels, std::size_t n, const GaussianStats& real,
                       std::vector<double>* histogram) {
  const Classified generated = classify(classifier, pixels, n);
  Metrics m{{"fd", frechet_distance(generated.features, real)}};
  add_class_metrics(m, generated.classes);
  if (histogram) *histogram = generated.classes.histogram;
  return m;
}

RealReference evaluate_real(Classifier& classifier, const DatasetPair& data, const EvalSettings& s,
                            const EvalProgress& progress) {
  const auto start = Clock::now();
  const std::size_t n_test = std::min(s.real_images, data.test.count);
  const std::size_t n_train = std::min(s.real_images, data.train.count);
  RealReference r;
  const Metrics accuracy = classifier_test_metrics(classifier, data.test, data.test.count);
  const Classified test = classify(classifier, data.test.to_float(0, n_test).data(), n_test);
  const Classified train = classify(classifier, data.train.to_float(0, n_train).data(), n_train);
  r.test_stats = test.features;
  r.metrics.push_back({"accuracy", metric(accuracy, "test_accuracy")});
  // The floor: two samples of REAL digits differ by this much (finite sample size, train vs test).
  r.metrics.push_back({"fd", frechet_distance(train.features, test.features)});
  add_class_metrics(r.metrics, test.classes);
  r.histogram = test.classes.histogram;
  char line[160];
  std::snprintf(line, sizeof line, "real data: %zu test / %zu train images classified, FD floor computed (%.1f s)", n_test,
                n_train, seconds_since(start));
  say(progress, line);
  return r;
}

ModelReport evaluate_model(LoadedModel& model, Classifier& classifier, const DatasetPair& data, const RealReference& real,
                           const EvalSettings& s, const EvalProgress& progress) {
  const auto start = Clock::now();
  ModelReport report;
  report.kind = model.kind->name;
  char line[200];

  auto t = Clock::now();
  const std::vector<float> pixels = generate(model, s.samples, s.seed);
  report.metrics = sample_quality(classifier, pixels.data(), s.samples, real.test_stats, &report.histogram);
  std::snprintf(line, sizeof line, "%s: %zu samples generated and classified (%.1f s)", model.kind->name, s.samples,
                seconds_since(t));
  say(progress, line);

  if (model->has_encoder()) {
    GenerativeModel& m = *model;
    t = Clock::now();
    if (const auto test_metrics = native_kind(*model.kind).test_metrics) {
      const Metrics test = test_metrics(m, data.test, data.test.count);
      report.metrics.insert(report.metrics.end(), test.begin(), test.end());
    }
    report.metrics.push_back({"recon_mse", reconstruction_mse(m, data.test, data.test.count)});
    const std::size_t pairs = std::min(s.smooth_pairs, data.test.count / 2);
    const Smoothness smooth = latent_smoothness(m, data.test, pairs, s.smooth_frames);
    report.metrics.push_back({"smooth_step", smooth.step_mean});
    report.metrics.push_back({"smooth_jump", smooth.jump_ratio});
    std::snprintf(line, sizeof line, "vae: test loss, reconstructions and %zu interpolations (%.1f s)", pairs,
                  seconds_since(t));
    say(progress, line);
    if (s.iwae_images > 0) {
      t = Clock::now();
      const std::size_t n = std::min(s.iwae_images, data.test.count);
      std::snprintf(line, sizeof line, "vae: IWAE bound, k = %d on the first %zu test images …", s.iwae_k, n);
      say(progress, line);
      const IwaeResult iwae = iwae_bound(m, data.test, n, s.iwae_k, s.seed, kEvalIwaeStream);
      report.metrics.push_back({"iwae_log_likelihood", iwae.log_likelihood});
      report.metrics.push_back({"iwae_elbo", iwae.elbo});
      std::snprintf(line, sizeof line, "vae: IWAE bound done (%.1f s)", seconds_since(t));
      say(progress, line);
    }
  }
  report.seconds = seconds_since(start);
  return report;
}

}  // namespace latentlab::native
