#include "cli/eval.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "data/image_file.hpp"
#include "data/known_datasets.hpp"
#include "cli/class_flags.hpp"
#include "eval/evaluation.hpp"
#include "eval/shipped_classifier.hpp"
#include "output/file_io.hpp"

namespace latentlab::native {

namespace {

struct EvalFlags {
  std::vector<std::string> weights;
  std::string data, classifier;
  std::string images;  // eval --images: a file of images made by any tool, instead of --weights
  EvalSettings settings;
  bool json = false, quiet = false;
  CLI::Option* o_data = nullptr;
  ClassFlags classes;
};

// The rows of the table: metric key, label. Keys a model lacks print as "-".
const std::pair<const char*, const char*> kRows[] = {
    {"fd", "Frechet distance, classifier features (lower = closer to real)"},
    {"confidence", "mean classifier confidence (sharpness proxy)"},
    {"is_score", "Inception-Score-style score (max = number of classes)"},
    {"classes_covered", "classes covered (>= 1/10 of a fair share)"},
    {"kl_uniform", "KL(class histogram || uniform), nats"},
    {"cond_accuracy", "conditional: samples asked for c classified c, mean"},
    {"cond_accuracy_worst", "conditional: the same, worst class"},
    {"cond_accuracy_worst_class", "conditional: the worst class"},
    {"test_loss", "VAE test loss BCE+KL per image, z sampled (nats)"},
    {"test_loss_mu", "VAE test loss per image, z = mu (nats)"},
    {"test_recon", "VAE test BCE per image, z sampled (nats)"},
    {"test_kl", "VAE test KL per image (nats)"},
    {"iwae_log_likelihood", "VAE log p(x) >= IWAE bound (nats per image)"},
    {"iwae_elbo", "VAE ELBO on the same IWAE samples (nats per image)"},
    {"recon_mse", "VAE reconstruction MSE per pixel, z = mu"},
    {"smooth_step", "VAE interpolation: mean |pixel change| per frame"},
    {"smooth_jump", "VAE interpolation: max step / mean step (1 = even)"},
};

void progress_line(const EvalFlags& f, const std::string& command, const std::string& text) {
  if (!f.quiet && !text.empty()) std::fprintf(stderr, "latentlab %s: %s\n", command.c_str(), text.c_str());
}

// The generative model of a --weights file, with a readable refusal of a classifier.
LoadedModel load_generator(const std::string& path) {
  if (holds_classifier(path))
    throw DataError("'" + path + "' holds a classifier, not a generative model: evaluate a VAE or GAN file, and give "
                    "a classifier with --classifier");
  return load_weights_file(path);
}

// --data, else the data set the first model was trained on (if named), else mnist.
std::string resolve_data(const EvalFlags& f, const LoadedModel* first) {
  if (f.o_data->count() > 0) return f.data;
  if (!first) return "mnist";
  auto it = first->metadata.find("dataset");
  if (it != first->metadata.end() && (it->second == "mnist" || it->second == "fashion")) return it->second;
  return "mnist";
}

// --classifier, else the shipped classifier of mnist / fashion, or of a directory whose test set
// is MNIST's or Fashion-MNIST's by content (data/known_datasets.hpp).
std::string resolve_classifier(const EvalFlags& f, const std::string& data, const DatasetPair& loaded,
                               const std::string& command) {
  if (!f.classifier.empty()) return f.classifier;
  std::string known = data;
  if (data != "mnist" && data != "fashion") {
    known = recognise_test_set(loaded.test);
    if (known.empty())
      throw UsageError("--classifier is required for the data directory '" + data +
                       "' (the shipped classifiers cover mnist and fashion, and its test images are neither "
                       "test set: SHA-256 " + test_images_sha256(loaded.test) + ")");
    progress_line(f, command, "the test images of '" + data + "' are the " +
                                  (known == "mnist" ? std::string("MNIST") : std::string("Fashion-MNIST")) +
                                  " test set (SHA-256): using the shipped classifier");
  }
  const std::string relative = shipped_classifier_relative_path(known);
  const std::string found = find_shipped_classifier(known);
  if (found.empty())
    throw DataError("the shipped classifier " + relative +
                    " was not found above the working directory or the executable; pass --classifier FILE");
  return found;
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json metrics_json(const Metrics& metrics, const std::vector<double>& histogram) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, value] : metrics) j[key] = number_or_null(value);
  j["histogram"] = histogram;
  return j;
}

std::string cell(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  const double a = std::fabs(v);
  std::snprintf(buf, sizeof buf, a != 0 && (a < 0.01 || a >= 1e5) ? "%.3e" : "%.4g", v);
  return buf;
}

std::string histogram_text(const std::vector<double>& h) {
  std::string s;
  char buf[48];
  for (std::size_t c = 0; c < h.size(); ++c) {
    std::snprintf(buf, sizeof buf, "%s%zu:%.1f%%", c ? " " : "", c, 100.0 * h[c]);
    s += buf;
  }
  return s;
}

// A short column name: the file name without ".safetensors", or for a run's model.safetensors /
// checkpoint.safetensors the run directory's name.
std::string short_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const std::size_t slash = p.find_last_of('/');
  std::string base = slash == std::string::npos ? p : p.substr(slash + 1);
  const std::string ext = ".safetensors";
  if (base.size() > ext.size() && base.compare(base.size() - ext.size(), ext.size(), ext) == 0)
    base.resize(base.size() - ext.size());
  if ((base == "model" || base == "checkpoint") && slash != std::string::npos && slash > 0)
    return short_name(p.substr(0, slash)) + (base == "checkpoint" ? "/ckpt" : "");
  return base;
}

void print_table(const std::vector<std::string>& names, const std::vector<ModelReport>& reports, const RealReference& real,
                 const std::string& data, const std::string& classifier_path, const EvalSettings& s) {
  std::printf("data %s, classifier %s (test accuracy %.4f), seed %llu\n", data.c_str(), classifier_path.c_str(),
              metric(real.metrics, "accuracy"), static_cast<unsigned long long>(s.seed));
  const bool any_model = std::any_of(reports.begin(), reports.end(), [](const ModelReport& r) { return r.kind != "images"; });
  if (any_model)
    std::printf("%zu generated vs %zu real test images; FD floor = %zu train vs test images; IWAE k = %d on the first %zu "
                "test images\n\n",
                s.samples, s.real_images, s.real_images, s.iwae_k, s.iwae_images);
  else  // eval --images: FD grows as the sample shrinks, so the floor is comparable only at the same count
    std::printf("%zu images from the file vs %zu real test images; FD floor = %zu train vs test images\n\n", s.samples,
                s.real_images, s.real_images);
  constexpr int kLabel = 64, kColumn = 14;
  std::printf("%-*s", kLabel, "metric");
  for (std::size_t i = 0; i < reports.size(); ++i) {
    std::string head = short_name(names[i]);
    if (head.size() > kColumn - 1) head = "..." + head.substr(head.size() - (kColumn - 4));
    std::printf(" %*s", kColumn, head.c_str());
  }
  std::printf(" %*s\n", kColumn, "real data");
  std::printf("%-*s", kLabel, "kind");
  for (const auto& r : reports) std::printf(" %*s", kColumn, r.kind.c_str());
  std::printf(" %*s\n", kColumn, "test set");
  for (const auto& [key, label] : kRows) {
    bool any = false;
    for (const auto& r : reports) any |= std::isfinite(metric(r.metrics, key));
    if (!any) continue;
    std::printf("%-*s", kLabel, label);
    for (const auto& r : reports) std::printf(" %*s", kColumn, cell(metric(r.metrics, key)).c_str());
    std::printf(" %*s\n", kColumn, cell(metric(real.metrics, key)).c_str());
  }
  std::printf("%-*s", kLabel, "eval seconds");
  for (const auto& r : reports) std::printf(" %*s", kColumn, cell(r.seconds).c_str());
  std::printf("\n\nclass histograms of the samples (argmax of the classifier):\n");
  for (std::size_t i = 0; i < reports.size(); ++i)
    std::printf("  %s: %s\n", names[i].c_str(), histogram_text(reports[i].histogram).c_str());
  std::printf("  real test set: %s\n", histogram_text(real.histogram).c_str());
}

int run_eval(const EvalFlags& f, const std::string& command) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> names;  // --weights files, or the --images file
  for (const std::string& path : f.weights)
    if (!path.empty()) names.push_back(path);
  if (names.empty() && f.images.empty())
    throw UsageError("eval needs --weights FILE (a VAE or GAN) or --images FILE (IDX u8 or .npy float32 images)");
  std::vector<LoadedModel> models;
  for (const std::string& path : names) models.push_back(load_generator(path));
  ImageFile images;
  if (!f.images.empty()) {
    images = read_image_file(f.images);
    if (images.count < 2)
      throw DataError("'" + f.images + "' holds " + std::to_string(images.count) +
                      " image: the Frechet distance needs at least 2 (use thousands for a stable value)");
    names.push_back(f.images);
  }
  const std::string data_name = resolve_data(f, models.empty() ? nullptr : &models.front());

  progress_line(f, command, "loading data set " + data_name);
  const DatasetPair data = load_dataset(data_name);
  const std::string classifier_path = resolve_classifier(f, data_name, data, command);
  std::unique_ptr<Classifier> classifier = std::move(load_classifier_file(classifier_path).classifier);
  const int image = data.test.rows * data.test.cols;
  if (classifier->config().input != image)
    throw DataError("the classifier '" + classifier_path + "' takes " + std::to_string(classifier->config().input) +
                    " pixels, but the images of '" + data_name + "' have " + std::to_string(image));
  for (std::size_t i = 0; i < models.size(); ++i)
    if (models[i]->image_size() != image)
      throw DataError("'" + names[i] + "' makes images of " + std::to_string(models[i]->image_size()) +
                      " pixels, but the images of '" + data_name + "' have " + std::to_string(image));
  if (!f.images.empty() && images.image_size() != static_cast<std::size_t>(image))
    throw DataError("'" + f.images + "' holds images of " + std::to_string(images.rows) + " x " +
                    std::to_string(images.cols) + " pixels, but the images of '" + data_name + "' are " +
                    std::to_string(data.test.rows) + " x " + std::to_string(data.test.cols));
  if (data.test.count < 2 || data.train.count < 2) throw DataError("data set '" + data_name + "' has too few images");

  const EvalProgress progress = [&](const std::string& text) { progress_line(f, command, text); };
  const RealReference real = evaluate_real(*classifier, data, f.settings, progress);
  std::vector<ModelReport> reports;
  for (std::size_t i = 0; i < models.size(); ++i) {
    progress_line(f, command, "evaluating " + names[i]);
    EvalSettings settings = f.settings;
    settings.asked = requested_classes(f.classes, *models[i]);
    reports.push_back(evaluate_model(models[i], *classifier, data, real, settings, progress));
  }
  if (!f.images.empty()) {
    progress_line(f, command, "scoring " + std::to_string(images.count) + " " + images.format + " images of " + f.images);
    reports.push_back(evaluate_images(images.pixels.data(), images.count, *classifier, real, progress));
  }
  EvalSettings shown = f.settings;
  if (models.empty()) shown.samples = images.count;
  shown.real_images = std::min(shown.real_images, data.test.count);
  shown.iwae_images = std::min(shown.iwae_images, data.test.count);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (f.json) {
    nlohmann::json j;
    j["data"] = data_name;
    j["classifier"] = classifier_path;
    j["seed"] = shown.seed;
    j["samples"] = shown.samples;
    j["real_images"] = shown.real_images;
    j["iwae_k"] = shown.iwae_k;
    j["iwae_images"] = shown.iwae_images;
    j["real"] = metrics_json(real.metrics, real.histogram);
    j["models"] = nlohmann::json::array();
    for (std::size_t i = 0; i < reports.size(); ++i) {
      nlohmann::json m = metrics_json(reports[i].metrics, reports[i].histogram);
      m[i < models.size() ? "weights" : "images"] = names[i];
      m["kind"] = reports[i].kind;
      m["seconds"] = reports[i].seconds;
      j["models"].push_back(m);
    }
    j["seconds"] = seconds;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    print_table(names, reports, real, data_name, classifier_path, shown);
    std::printf("total %.1f s\n", seconds);
  }
  return kExitSuccess;
}

void add_shared_flags(CLI::App* app, EvalFlags& f) {
  f.o_data = app->add_option("--data", f.data,
                             "Data set: mnist, fashion or a directory of IDX files (default: the data set the "
                             "(first) model was trained on, else mnist)");
  app->add_option("--classifier", f.classifier,
                  "Classifier weights (default: the shipped native/models/classifier-<data>.safetensors)")
      ->check(CLI::ExistingFile);
  app->add_option("--seed", f.settings.seed, "Seed of the generated latents and the IWAE samples")
      ->transform(unsigned_64())
      ->capture_default_str();
  app->add_option("--samples", f.settings.samples, "Generated images for FD and the class statistics (<= 50000)")
      ->transform(integer_in(2, 50000))
      ->capture_default_str();
  app->add_option("--iwae-k", f.settings.iwae_k, "VAE: importance samples per image of the IWAE bound")
      ->transform(integer_in(1, 100000))
      ->capture_default_str();
  app->add_option("--iwae-n", f.settings.iwae_images, "VAE: first N test images of the IWAE bound (0: skip it)")
      ->transform(integer_in(0, 1000000))
      ->capture_default_str();
  add_class_flags(app, f.classes, " (the samples are asked for these classes in turn; default: all)");
  app->add_flag("--json", f.json, "Print the results as JSON instead of a table");
  app->add_flag("--quiet,-q", f.quiet, "No progress messages on stderr");
  app->footer(
      "Metrics (docs/evaluation.md): Frechet distance in the classifier's penultimate features between the\n"
      "generated and the real test images, beside the real-vs-real floor (train subset vs test); the\n"
      "classifier's class histogram of the samples (classes covered, KL to uniform), an Inception-Score-style\n"
      "score and the mean confidence, beside the real test set's; for a VAE also the test loss (BCE + KL),\n"
      "the IWAE log-likelihood bound, reconstruction MSE and interpolation smoothness; for a conditional\n"
      "model the conditional accuracy (of the samples asked for class c, the fraction classified c: mean\n"
      "and worst class; cond_accuracy_c<c> per class in --json). Progress goes to\n"
      "stderr. Deterministic for a given --seed.\n"
      "Exit codes: 0 success, 1 runtime error (files, data), 2 usage error.");
}

}  // namespace

Command add_eval_command(CLI::App& parent) {
  auto f = std::make_shared<EvalFlags>();
  f->weights.resize(1);
  CLI::App* app = parent.add_subcommand("eval", "Measure a trained VAE or GAN (or images made by any tool): likelihood, sharpness, diversity");
  CLI::Option* weights =
      app->add_option("--weights", f->weights[0], "VAE or GAN weights file (model.safetensors or an export)")
          ->check(CLI::ExistingFile);
  app->add_option("--images", f->images,
                  "Score images made by any tool instead of a model's samples: an IDX file of u8 images (plain or "
                  "gzip) or a .npy float32 array (N,784), (N,28,28) or (N,1,28,28) of pixels in [0, 1]; every image "
                  "is used (--samples does not apply)")
      ->check(CLI::ExistingFile)
      ->excludes(weights);
  add_shared_flags(app, *f);
  add_load_flags(app);
  return Command{app, [f]() { return run_eval(*f, "eval"); }};
}

Command add_compare_command(CLI::App& parent) {
  auto f = std::make_shared<EvalFlags>();
  CLI::App* app = parent.add_subcommand("compare", "Evaluate several VAE/GAN weights files side by side in one table");
  app->add_option("weights", f->weights, "Weights files (VAE or GAN), two or more")
      ->required()
      ->expected(2, 64)
      ->check(CLI::ExistingFile);
  add_shared_flags(app, *f);
  add_load_flags(app);
  return Command{app, [f]() { return run_eval(*f, "compare"); }};
}

}  // namespace latentlab::native
