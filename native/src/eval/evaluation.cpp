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
  std::vector<int> predicted;  // argmax class of each image
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
  std::vector<int> predicted(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float* p = probabilities.data() + i * static_cast<std::size_t>(k);
    predicted[i] = static_cast<int>(std::max_element(p, p + k) - p);
  }
  return {gaussian_stats(features.data(), n, static_cast<int>(dim)), class_stats(probabilities.data(), n, k),
          std::move(predicted)};
}

void add_class_metrics(Metrics& m, const ClassStats& c) {
  m.push_back({"classes_covered", c.classes_covered});
  m.push_back({"kl_uniform", c.kl_to_uniform});
  m.push_back({"is_score", c.inception_score});
  m.push_back({"confidence", c.mean_confidence});
}

// The classes `count` generated images are asked for (EvalSettings::asked); empty when unconditional.
std::vector<int> asked_labels(const GenerativeModel& model, const EvalSettings& s, std::size_t count) {
  if (!model.conditional()) return {};
  std::vector<int> asked = s.asked;
  if (asked.empty())
    for (int c = 0; c < model.classes(); ++c) asked.push_back(c);
  std::vector<int> labels(count);
  for (std::size_t i = 0; i < count; ++i) labels[i] = asked[i % asked.size()];
  return labels;
}

// Pixels of `count` generated images (z = Rng(seed, kEvalSampleStream) normals; labels: their
// classes, or empty), in chunks.
std::vector<float> generate(LoadedModel& model, std::size_t count, std::uint64_t seed, const std::vector<int>& labels) {
  const std::size_t latent = static_cast<std::size_t>(model->latent_dim());
  const std::size_t image = static_cast<std::size_t>(model->image_size());
  Rng rng(seed, kEvalSampleStream);
  std::vector<float> z(kChunk * latent), pixels(count * image);
  for (std::size_t first = 0; first < count; first += kChunk) {
    const int n = static_cast<int>(std::min<std::size_t>(kChunk, count - first));
    rng.fill_normal(z.data(), static_cast<std::size_t>(n) * latent);
    model->decode(z.data(), labels.empty() ? nullptr : labels.data() + first, n, pixels.data() + first * image);
  }
  return pixels;
}

// Appends FD against the real test images' statistics and the class statistics of n images
// (pixels in [0, 1]) to `metrics` (the histogram too, when asked); returns the classifier's view of
// them (each image's predicted class, for the conditional accuracy).
Classified score_images(Classifier& classifier, const float* pixels, std::size_t n, const GaussianStats& real,
                        Metrics& metrics, std::vector<double>* histogram) {
  Classified classified = classify(classifier, pixels, n);
  metrics.push_back({"fd", frechet_distance(classified.features, real)});
  add_class_metrics(metrics, classified.classes);
  if (histogram) *histogram = classified.classes.histogram;
  return classified;
}

// cond_accuracy (mean over the asked classes), cond_accuracy_worst (+ its class) and one
// cond_accuracy_c<c> per asked class: of the samples asked for c, the fraction predicted c.
void add_conditional_accuracy(Metrics& m, const std::vector<int>& asked, const std::vector<int>& predicted, int classes) {
  std::vector<double> asked_count(static_cast<std::size_t>(classes)), hits(static_cast<std::size_t>(classes));
  for (std::size_t i = 0; i < asked.size(); ++i) {
    const std::size_t c = static_cast<std::size_t>(asked[i]);
    asked_count[c] += 1;
    if (predicted[i] == asked[i]) hits[c] += 1;
  }
  double sum = 0, worst = 2;
  int worst_class = -1, used = 0;
  Metrics per_class;
  for (int c = 0; c < classes; ++c) {
    const std::size_t k = static_cast<std::size_t>(c);
    if (asked_count[k] == 0) continue;
    const double accuracy = hits[k] / asked_count[k];
    per_class.push_back({"cond_accuracy_c" + std::to_string(c), accuracy});
    sum += accuracy;
    ++used;
    if (accuracy < worst) {
      worst = accuracy;
      worst_class = c;
    }
  }
  if (used == 0) return;
  m.push_back({"cond_accuracy", sum / used});
  m.push_back({"cond_accuracy_worst", worst});
  m.push_back({"cond_accuracy_worst_class", static_cast<double>(worst_class)});
  m.insert(m.end(), per_class.begin(), per_class.end());
}

}  // namespace

ModelReport evaluate_images(const float* pixels, std::size_t n, Classifier& classifier, const RealReference& real,
                            const EvalProgress& progress) {
  const auto start = Clock::now();
  ModelReport report;
  report.kind = "images";
  score_images(classifier, pixels, n, real.test_stats, report.metrics, &report.histogram);
  report.seconds = seconds_since(start);
  char line[120];
  std::snprintf(line, sizeof line, "images: %zu classified (%.1f s)", n, report.seconds);
  say(progress, line);
  return report;
}

GaussianStats test_feature_stats(Classifier& classifier, const Dataset& test, std::size_t n) {
  return classify(classifier, test.to_float(0, n).data(), n).features;
}

Metrics sample_quality(Classifier& classifier, const float* pixels, std::size_t n, const GaussianStats& real,
                       std::vector<double>* histogram) {
  Metrics m;
  score_images(classifier, pixels, n, real, m, histogram);
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
  const std::vector<int> asked = asked_labels(*model, s, s.samples);
  const std::vector<float> pixels = generate(model, s.samples, s.seed, asked);
  const Classified generated = score_images(classifier, pixels.data(), s.samples, real.test_stats, report.metrics, &report.histogram);
  if (!asked.empty()) add_conditional_accuracy(report.metrics, asked, generated.predicted, model->classes());
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
