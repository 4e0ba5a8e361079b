#include "cli/interpolate.hpp"

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/class_flags.hpp"
#include "output/samples.hpp"
#include "output/image_grid.hpp"

namespace latentlab::native {

namespace {

struct InterpolateFlags {
  std::string weights, out, raw;
  std::uint64_t from = 0, to = 0;
  int steps = 10, scale = 2;
  bool lerp = false, slerp = false;
  ClassFlags classes;
};

int run_interpolate(const InterpolateFlags& f) {
  if (f.out.empty() && f.raw.empty()) throw UsageError("interpolate: give --out FILE.png and/or --raw FILE.json");
  LoadedModel model = load_weights_file(f.weights);
  const int latent = model->latent_dim();
  const std::vector<float> a = sampled_latents(f.from, 1, latent);
  const std::vector<float> b = sampled_latents(f.to, 1, latent);
  const LatentPath path = f.lerp ? LatentPath::Lerp : LatentPath::Slerp;
  const std::vector<float> z = interpolated_latents(a.data(), b.data(), latent, f.steps, path);
  // A conditional model walks in each asked class (one row each); asked for none, in every class.
  std::vector<int> asked = requested_classes(f.classes, *model);
  if (asked.empty())
    for (int c = 0; c < model->classes(); ++c) asked.push_back(c);
  const ClassRows class_rows = model->conditional() ? rows_per_class(z, f.steps, asked) : ClassRows{z, {}};
  const int count = static_cast<int>(class_rows.z.size() / static_cast<std::size_t>(latent));
  const std::vector<float> pixels =
      generate_pixels(*model, class_rows.z.data(), count, class_rows.labels.empty() ? nullptr : class_rows.labels.data());
  int rows = 0, cols = 0;
  image_shape(model, rows, cols);
  if (!f.out.empty()) {
    write_png_grid(f.out, pixels.data(), count, rows, cols, f.steps, 0.0f, 1.0f, f.scale, 2);
    std::printf("wrote %s: %d frames from seed %llu to seed %llu (%s)\n", f.out.c_str(), f.steps,
                static_cast<unsigned long long>(f.from), static_cast<unsigned long long>(f.to),
                f.lerp ? "lerp" : "slerp");
  }
  if (!f.raw.empty()) {
    nlohmann::json head;
    head["weights"] = f.weights;
    head["kind"] = model.kind->name;
    head["from"] = f.from;
    head["to"] = f.to;
    head["steps"] = f.steps;
    if (model->conditional()) head["classes"] = asked;
    head["path"] = f.lerp ? "lerp" : "slerp";
    head["rows"] = rows;
    head["cols"] = cols;
    write_text_output(f.raw, raw_pixels_json(head, pixels));
  }
  return kExitSuccess;
}

}  // namespace

Command add_interpolate_command(CLI::App& parent) {
  auto f = std::make_shared<InterpolateFlags>();
  CLI::App* app = parent.add_subcommand("interpolate", "Walk the latent space from one seed's image to another's");
  add_load_flags(app);
  app->footer(
      "z_from = Rng(from, 0).fill_normal(latent), z_to likewise; frame i (t = i/(steps-1)) decodes\n"
      "slerp (default): sin((1-t)W)/sin W * z_from + sin(tW)/sin W * z_to, W = angle between them;\n"
      "lerp: (1-t) z_from + t z_to. Frames are written in one row; a conditional model draws one row per\n"
      "class (--class C, --classes A-B, or every class when neither is given).");
  app->add_option("--weights", f->weights, "Weights file")->required()->check(CLI::ExistingFile);
  app->add_option("--from", f->from, "Seed of the first latent")->required()->transform(unsigned_64());
  app->add_option("--to", f->to, "Seed of the last latent")->required()->transform(unsigned_64());
  app->add_option("--steps", f->steps, "Number of frames (>= 2)")->transform(integer_in(2, 1000))->capture_default_str();
  auto* lerp = app->add_flag("--lerp", f->lerp, "Straight line between the latents");
  auto* slerp = app->add_flag("--slerp", f->slerp, "Great-circle path (the default)");
  lerp->excludes(slerp);
  add_class_flags(app, f->classes, " (one row of frames per class)");
  app->add_option("--out", f->out, "PNG file to write (one row of frames)");
  app->add_option("--raw", f->raw, "Also write the pixels as JSON ('-' for stdout)");
  app->add_option("--scale", f->scale, "Upscaling of each image in the PNG")
      ->transform(integer_in(1, 16))
      ->capture_default_str();
  return Command{app, [f]() { return run_interpolate(*f); }};
}

}  // namespace latentlab::native
