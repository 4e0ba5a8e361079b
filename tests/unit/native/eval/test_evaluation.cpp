// The evaluator (native/src/eval/) and the classifiers it measures with: Fréchet distance
// against closed forms, class statistics against hand-computed values, the shipped classifiers'
// accuracy, IWAE ≥ ELBO, and determinism for a fixed seed. (The classifier's gradients and the
// softmax cross-entropy are checked in tests/unit/core/models/test_classifier.cpp and
// tests/unit/core/nn/test_losses.cpp.)
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "support/cli.hpp"
#include "data/datasets.hpp"
#include "eval/evaluation.hpp"
#include "output/file_io.hpp"
#include "latentlab/models/classifier.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/rng.hpp"
#include "eval/class_stats.hpp"
#include "eval/frechet.hpp"
#include "eval/vae_bounds.hpp"
#include "train/classifier_trainer.hpp"
#include "train/vae_trainer.hpp"

using namespace latentlab;
using namespace latentlab::native;

namespace {

// Gaussian rows x = L g (g ~ N(0, I) from std::mt19937 + Box–Muller, independent of our Rng):
// covariance L Lᵀ, mean 0.
std::vector<float> correlated_gaussian(std::size_t n, const std::vector<std::vector<double>>& L, std::uint32_t seed) {
  const std::size_t d = L.size();
  std::mt19937 gen(seed);
  auto uniform = [&] { return (static_cast<double>(gen()) + 0.5) / 4294967296.0; };
  std::vector<float> rows(n * d);
  std::vector<double> g(d);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t i = 0; i < d; ++i) g[i] = std::sqrt(-2.0 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
    for (std::size_t i = 0; i < d; ++i) {
      double v = 0;
      for (std::size_t j = 0; j <= i; ++j) v += L[i][j] * g[j];
      rows[r * d + i] = static_cast<float>(v);
    }
  }
  return rows;
}

const std::vector<std::vector<double>> kL = {{1.0, 0, 0, 0}, {0.5, 0.8, 0, 0}, {-0.3, 0.2, 1.5, 0}, {0.1, -0.6, 0.4, 0.7}};

std::vector<std::uint8_t> read_bytes(const std::string& path) { return read_file(path, std::size_t(1) << 30); }

std::unique_ptr<Classifier> shipped_classifier(const std::string& data) {
  const auto bytes = read_bytes(std::string(LATENTLAB_SOURCE_DIR) + "/native/models/classifier-" + data + ".safetensors");
  auto loaded = load_classifier(bytes.data(), bytes.size());
  REQUIRE(loaded);
  return std::move(loaded.take().classifier);
}

LoadedModel shipped_vae() {
  const auto bytes = read_bytes(std::string(LATENTLAB_SOURCE_DIR) + "/web/models/vae.safetensors");
  auto loaded = load_model(bytes.data(), bytes.size());
  REQUIRE(loaded);
  return loaded.take();
}

}  // namespace

TEST_CASE("Frechet distance of a set with itself is 0", "[evaluation]") {
  const std::vector<float> x = correlated_gaussian(5000, kL, 1);
  const GaussianStats s = gaussian_stats(x.data(), 5000, 4);
  CHECK(frechet_distance(s, s) == Approx(0.0).margin(1e-9));
}

TEST_CASE("Frechet distance of a scaled and shifted Gaussian set matches the closed form", "[evaluation]") {
  // y = c·x + t has sample mean c·μ̂ + t and sample covariance c²Σ̂ EXACTLY, so
  //   FD = ‖(c − 1) μ̂ + t‖² + Tr(Σ̂ + c²Σ̂ − 2cΣ̂) = ‖(c − 1) μ̂ + t‖² + (1 − c)² Tr Σ̂,
  // with μ̂, Tr Σ̂ computed here independently. Σ̂ is non-diagonal, so this exercises the square root.
  const std::size_t n = 20000;
  const std::vector<float> x = correlated_gaussian(n, kL, 2);
  std::vector<double> mean(4, 0.0);
  for (std::size_t r = 0; r < n; ++r)
    for (int i = 0; i < 4; ++i) mean[i] += x[r * 4 + i] / static_cast<double>(n);
  double trace = 0;
  for (std::size_t r = 0; r < n; ++r)
    for (int i = 0; i < 4; ++i) trace += (x[r * 4 + i] - mean[i]) * (x[r * 4 + i] - mean[i]) / static_cast<double>(n - 1);
  const GaussianStats sx = gaussian_stats(x.data(), n, 4);
  double previous = 0;
  for (const double shift : {0.0, 0.5, 1.0, 2.0}) {
    const double c = 1.5;
    const std::vector<double> t{shift, -shift, 0.5 * shift, 0.0};
    std::vector<float> y(x.size());
    for (std::size_t r = 0; r < n; ++r)
      for (int i = 0; i < 4; ++i) y[r * 4 + i] = static_cast<float>(c * x[r * 4 + i] + t[i]);
    double mean_term = 0;
    for (int i = 0; i < 4; ++i) mean_term += std::pow((c - 1) * mean[i] + t[i], 2);
    const double expected = mean_term + (1 - c) * (1 - c) * trace;
    const double fd = frechet_distance(sx, gaussian_stats(y.data(), n, 4));
    INFO("shift " << shift);
    CHECK(fd == Approx(expected).epsilon(1e-4));
    // And the population value ‖t‖² + (1 − c)² Tr(L Lᵀ) up to sampling error.
    double population_trace = 0;
    for (const auto& row : kL)
      for (double v : row) population_trace += v * v;
    CHECK(fd == Approx(2.25 * shift * shift + 0.25 * population_trace).margin(0.05 + 0.05 * shift));
    CHECK(fd > previous - 1e-9);  // grows with the shift
    previous = fd;
  }
}

TEST_CASE("Frechet distance of non-commuting 2x2 covariances matches tr + 2 sqrt det", "[evaluation]") {
  // For 2×2 SPD Σ₁, Σ₂ the eigenvalues λ of Σ₁Σ₂ are real and ≥ 0, and
  //   Tr (Σ₁Σ₂)^{1/2} = √λ₁ + √λ₂ = sqrt(tr(Σ₁Σ₂) + 2 sqrt(det Σ₁ det Σ₂)).
  GaussianStats a, b;
  a.dim = b.dim = 2;
  a.count = b.count = 100;
  a.mean = {1.0, 2.0};
  b.mean = {-0.5, 2.5};
  a.covariance = {2.0, 0.7, 0.7, 1.0};
  b.covariance = {0.5, -0.3, -0.3, 3.0};
  const double tr_prod = 2.0 * 0.5 + 0.7 * -0.3 + 0.7 * -0.3 + 1.0 * 3.0;
  const double det_a = 2.0 * 1.0 - 0.49, det_b = 0.5 * 3.0 - 0.09;
  const double trace_sqrt = std::sqrt(tr_prod + 2.0 * std::sqrt(det_a * det_b));
  const double expected = 1.5 * 1.5 + 0.5 * 0.5 + (2.0 + 1.0) + (0.5 + 3.0) - 2.0 * trace_sqrt;
  CHECK(frechet_distance(a, b) == Approx(expected).epsilon(1e-12));
  CHECK(frechet_distance(b, a) == Approx(expected).epsilon(1e-12));
}

TEST_CASE("class statistics of hand-made probabilities", "[evaluation]") {
  // 4 images, 2 classes: two confident 0s, one confident 1, one undecided (argmax 0 on ties).
  const std::vector<float> p{0.9f, 0.1f, 0.8f, 0.2f, 0.0f, 1.0f, 0.5f, 0.5f};
  const ClassStats s = class_stats(p.data(), 4, 2);
  REQUIRE(s.histogram.size() == 2);
  CHECK(s.histogram[0] == Approx(0.75));
  CHECK(s.histogram[1] == Approx(0.25));
  CHECK(s.classes_covered == 2);
  CHECK(s.kl_to_uniform == Approx(0.75 * std::log(1.5) + 0.25 * std::log(0.5)));
  CHECK(s.mean_confidence == Approx((0.9 + 0.8 + 1.0 + 0.5) / 4));
  // p̄ = (0.55, 0.45); IS = exp(mean_x Σ_y p log(p / p̄)).
  const double m0 = 0.55, m1 = 0.45;
  auto kl = [&](double a, double b) { return (a > 0 ? a * std::log(a / m0) : 0.0) + (b > 0 ? b * std::log(b / m1) : 0.0); };
  const double expected = std::exp((kl(0.9, 0.1) + kl(0.8, 0.2) + kl(0.0, 1.0) + kl(0.5, 0.5)) / 4);
  CHECK(s.inception_score == Approx(expected).epsilon(1e-6));
  // One class only: IS 1, KL log K, one class covered.
  const std::vector<float> same{1.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f};
  const ClassStats one = class_stats(same.data(), 2, 3);
  CHECK(one.inception_score == Approx(1.0));
  CHECK(one.kl_to_uniform == Approx(std::log(3.0)));
  CHECK(one.classes_covered == 1);
}

TEST_CASE("the shipped MNIST classifier has at least 98 percent test accuracy", "[evaluation]") {
  const DatasetPair mnist = load_dataset("mnist");
  auto classifier = shipped_classifier("mnist");
  const Metrics m = classifier_test_metrics(*classifier, mnist.test, mnist.test.count);
  CHECK(mnist.test.count == 10000);
  CHECK(metric(m, "test_accuracy") >= 0.98);
}

TEST_CASE("the shipped Fashion-MNIST classifier has at least 85 percent test accuracy", "[evaluation]") {
  // scripts/setup installs Fashion-MNIST (apt dataset-fashion-mnist); without it this fails loudly.
  const DatasetPair fashion = load_dataset("fashion");
  auto classifier = shipped_classifier("fashion");
  CHECK(metric(classifier_test_metrics(*classifier, fashion.test, fashion.test.count), "test_accuracy") >= 0.85);
}

TEST_CASE("the IWAE bound is never below the ELBO on the same data", "[evaluation]") {
  LoadedModel model = shipped_vae();
  const DatasetPair mnist = latentlab::test::mnist_subset(10, 20);
  // k = 1: the bound IS the single-sample ELBO.
  const IwaeResult one = iwae_bound(*model, mnist.test, 20, 1, 5, kEvalIwaeStream);
  CHECK(one.log_likelihood == Approx(one.elbo).epsilon(1e-12));
  // k = 64: L_k ≥ mean log w on the same samples (Jensen), and above the trainer's own ELBO
  // estimate −test_loss (computed by Vae::evaluate, independent code) on the same images.
  const IwaeResult many = iwae_bound(*model, mnist.test, 20, 64, 5, kEvalIwaeStream);
  CHECK(many.log_likelihood >= many.elbo);
  const double trainer_elbo = -metric(vae_test_metrics(dynamic_cast<Vae&>(*model), mnist.test, 20), "test_loss");
  CHECK(many.log_likelihood >= trainer_elbo);
  CHECK(many.elbo == Approx(trainer_elbo).margin(3.0));  // both estimate the same ELBO
  CHECK(many.log_likelihood < 0);                          // a log-probability of 784 Bernoulli pixels
}

TEST_CASE("evaluation gives identical numbers twice with the same seed", "[evaluation]") {
  LoadedModel model = shipped_vae();
  auto classifier = shipped_classifier("mnist");
  const DatasetPair mnist = latentlab::test::mnist_subset(600, 600);
  EvalSettings s;
  s.samples = 600;
  s.real_images = 600;
  s.iwae_k = 8;
  s.iwae_images = 5;
  s.smooth_pairs = 5;
  const RealReference real = evaluate_real(*classifier, mnist, s, nullptr);
  const ModelReport a = evaluate_model(model, *classifier, mnist, real, s, nullptr);
  const ModelReport b = evaluate_model(model, *classifier, mnist, real, s, nullptr);
  REQUIRE(a.metrics.size() == b.metrics.size());
  for (std::size_t i = 0; i < a.metrics.size(); ++i) {
    INFO(a.metrics[i].first);
    CHECK(a.metrics[i].first == b.metrics[i].first);
    CHECK(a.metrics[i].second == b.metrics[i].second);  // bit-identical
  }
  CHECK(a.histogram == b.histogram);
  // Another seed draws other latents: the sample metrics move.
  s.seed = 2;
  const ModelReport c = evaluate_model(model, *classifier, mnist, real, s, nullptr);
  CHECK(metric(c.metrics, "fd") != metric(a.metrics, "fd"));
  CHECK(metric(c.metrics, "test_loss") == metric(a.metrics, "test_loss"));  // the trainer's fixed eval stream
  // A VAE's samples are digits: far better than chance under the classifier, still above the floor.
  CHECK(metric(a.metrics, "fd") > metric(real.metrics, "fd"));
  CHECK(metric(a.metrics, "classes_covered") == 10);
}
