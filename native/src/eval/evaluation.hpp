// `latentlab eval` / `compare`: what a generative model learned, measured against real data
// with our own classifier (docs/evaluation.md). This file runs the metrics (metric_*.hpp) and
// collects their numbers; cli_eval.cpp prints them.
//
// Random streams (Rng(seed, stream), seed = --seed, default 1): the latents of the generated
// images come from kEvalSampleStream, the ε of the IWAE bound from kEvalIwaeStream; the VAE test
// loss uses the trainer's Rng(kEvalSeed, kEvalStream), so it equals the training log's value.
// The same file, data, classifier and seed give the same numbers, bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/datasets.hpp"
#include "latentlab/models/classifier.hpp"
#include "latentlab/io/model_io.hpp"
#include "eval/frechet.hpp"
#include "train/trainer.hpp"

namespace latentlab::native {


struct EvalSettings {
  std::uint64_t seed = 1;
  std::size_t samples = 10000;     // generated images for FD and the class statistics
  std::size_t real_images = 10000; // test images (and train images for the FD floor)
  int iwae_k = 1000;               // importance samples per image
  std::size_t iwae_images = 1000;  // first test images of the IWAE bound (0: skip it)
  std::size_t smooth_pairs = 100;  // interpolation pairs of the smoothness metric
  int smooth_frames = 10;          // frames per interpolation
  // A conditional model's generated images: sample i is asked for class asked[i mod size]
  // (--class / --classes); empty: every class in turn (i mod classes, generation.hpp).
  std::vector<int> asked;
};

// One progress message on stderr ("" messages are not printed); may be empty.
using EvalProgress = std::function<void(const std::string&)>;

// Metrics of the real data under the classifier: the values generated images are compared with.
//   accuracy       classifier accuracy on the test images
//   fd             FD between the first real_images training and the test images (the floor)
//   classes_covered, kl_uniform, is_score, confidence   of the test images
struct RealReference {
  Metrics metrics;
  std::vector<double> histogram;
  GaussianStats test_stats;  // classifier features of the test images (reused for every model)
};

RealReference evaluate_real(Classifier& classifier, const DatasetPair& data, const EvalSettings& settings,
                            const EvalProgress& progress);

// All metrics of one generative model (VAE-only entries are absent for a GAN):
//   fd, classes_covered, kl_uniform, is_score, confidence        of `samples` generated images
//   test_loss, test_recon, test_kl, test_loss_mu                  VAE, per test image (nats)
//   iwae_log_likelihood, iwae_elbo                                VAE, first iwae_images (nats)
//   recon_mse, smooth_step, smooth_jump                           VAE
//   cond_accuracy, cond_accuracy_worst, cond_accuracy_worst_class, cond_accuracy_c<c>
//                                 conditional models: of the samples asked for class c, the fraction
//                                 the classifier labels c (per class c; mean and minimum over them)
struct ModelReport {
  std::string kind;
  Metrics metrics;
  std::vector<double> histogram;
  double seconds = 0;
};

// The metrics of n images made by any tool (pixels in [0, 1], row-major, the classifier's input
// size each), computed exactly as for a model's samples: fd, classes_covered, kl_uniform,
// is_score, confidence. kind = "images".
ModelReport evaluate_images(const float* pixels, std::size_t n, Classifier& classifier, const RealReference& real,
                            const EvalProgress& progress);

// The evaluator's cheap part, shared with `latentlab train` (training_quality.hpp):
//   test_feature_stats   classifier features of the first n test images (FD's reference)
//   sample_quality       fd, classes_covered, kl_uniform, is_score, confidence of n images
//                        (pixels in [0, 1]) against those statistics; histogram filled if given
GaussianStats test_feature_stats(Classifier& classifier, const Dataset& test, std::size_t n);
Metrics sample_quality(Classifier& classifier, const float* pixels, std::size_t n, const GaussianStats& real,
                       std::vector<double>* histogram = nullptr);

ModelReport evaluate_model(LoadedModel& model, Classifier& classifier, const DatasetPair& data,
                           const RealReference& real, const EvalSettings& settings, const EvalProgress& progress);

}  // namespace latentlab::native
