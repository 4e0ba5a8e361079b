#include "cli/sample.hpp"

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/class_flags.hpp"
#include "output/samples.hpp"
#include "output/image_grid.hpp"

namespace latentlab::native {

namespace {

struct SampleFlags {
  std::string weights, out, raw;
  int n = 64, scale = 2;
  std::uint64_t seed = 0;
  ClassFlags classes;
};

int run_sample(const SampleFlags& f) {
  if (f.out.empty() && f.raw.empty()) throw UsageError("sample: give --out FILE.png and/or --raw FILE.json");
  LoadedModel model = load_weights_file(f.weights);
  const std::vector<int> asked = requested_classes(f.classes, *model);
  const std::vector<float> drawn = sampled_latents(f.seed, f.n, model->latent_dim());
  // --classes: one row of the n latents per class; --class C: every image C; neither: the model's
  // contract (unconditional, or the classes in turn).
  const bool per_row = asked.size() > 1 || (f.classes.o_classes->count() > 0);
  const ClassRows class_rows = per_row ? rows_per_class(drawn, f.n, asked) : ClassRows{drawn, {}};
  std::vector<int> labels = class_rows.labels;
  if (!per_row && !asked.empty()) labels.assign(static_cast<std::size_t>(f.n), asked[0]);
  const int count = per_row ? f.n * static_cast<int>(asked.size()) : f.n;
  const std::vector<float> pixels =
      generate_pixels(*model, class_rows.z.data(), count, labels.empty() ? nullptr : labels.data());
  const int columns = per_row ? f.n : grid_columns(f.n);
  int rows = 0, cols = 0;
  image_shape(model, rows, cols);
  if (!f.out.empty()) {
    write_png_grid(f.out, pixels.data(), count, rows, cols, columns, 0.0f, 1.0f, f.scale, 2);
    std::printf("wrote %s: %d %s samples (seed %llu, %d columns)\n", f.out.c_str(), count, model.kind->name,
                static_cast<unsigned long long>(f.seed), columns);
  }
  if (!f.raw.empty()) {
    // {"weights": path, "seed": S, "n": N, ..., "pixels": [n × rows × cols values in [0, 1]]}
    nlohmann::json head;
    head["weights"] = f.weights;
    head["kind"] = model.kind->name;
    head["seed"] = f.seed;
    head["n"] = count;
    if (model->conditional()) {
      std::vector<int> shown = labels;
      if (shown.empty()) {
        shown.resize(static_cast<std::size_t>(count));
        cycle_labels(model->classes(), count, shown.data());
      }
      head["labels"] = shown;
    }
    head["latent"] = model->latent_dim();
    head["rows"] = rows;
    head["cols"] = cols;
    head["latents"] = class_rows.z;  // count × latent, exactly (17 digits): for tools that reproduce the draw
    write_text_output(f.raw, raw_pixels_json(head, pixels));
    if (f.raw != "-") std::printf("wrote %s: %zu pixel values\n", f.raw.c_str(), pixels.size());
  }
  return kExitSuccess;
}

}  // namespace

Command add_sample_command(CLI::App& parent) {
  auto f = std::make_shared<SampleFlags>();
  CLI::App* app = parent.add_subcommand("sample", "Draw images from a trained model into a PNG grid");
  add_load_flags(app);
  app->footer(
      "z = Rng(seed, 0).fill_normal(n * latent) (the same contract as the web page's sample(n, seed));\n"
      "VAE pixels = sigmoid(decoder(z)), GAN pixels = (G(z) + 1) / 2. The grid has ceil(sqrt(n)) columns.\n"
      "`sample --seed <training seed> --n 64` reproduces the last samples/epoch_NNN.png of a run.\n"
      "Conditional models (train --conditional): --class C asks every image for class C; --classes A-B\n"
      "draws one row per class, the same n latents in each row (n x classes images; `--classes 0-9 --n 8`\n"
      "reproduces a conditional run's epoch grid); neither: image k is asked for class k mod classes.");
  app->add_option("--weights", f->weights, "Weights file (model.safetensors or checkpoint.safetensors)")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_option("--n", f->n, "Number of images")->transform(integer_in(1, 4096))->capture_default_str();
  app->add_option("--seed", f->seed, "Seed of the latent draw")->transform(unsigned_64())->capture_default_str();
  app->add_option("--out", f->out, "PNG file to write");
  add_class_flags(app, f->classes, " (--classes: --n images per class)");
  app->add_option("--raw", f->raw, "Also write the pixels as JSON to this file ('-' for stdout): "
                                   "{\"weights\", \"seed\", \"n\", …, \"latents\": [n*latent], \"pixels\": [n*rows*cols values]}");
  app->add_option("--scale", f->scale, "Upscaling of each image in the PNG")
      ->transform(integer_in(1, 16))
      ->capture_default_str();
  return Command{app, [f]() { return run_sample(*f); }};
}

}  // namespace latentlab::native
