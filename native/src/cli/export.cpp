#include "cli/export.hpp"

#include <cmath>
#include <cstdio>

#include "output/file_io.hpp"

namespace latentlab::native {

namespace {

struct ExportFlags {
  std::string in, out, dtype = "f16";
  bool generator_only = false;
};

// A classifier file: its parameters re-encoded, checked to load again.
int export_classifier(const ExportFlags& f, DType dtype) {
  if (f.generator_only) throw UsageError("--generator-only: only a GAN has a separate generator");
  LoadedClassifier c = load_classifier_file(f.in);
  Metadata metadata = c.metadata;
  metadata["exported_from"] = f.in;
  metadata.erase("checkpoint");
  const std::vector<std::uint8_t> bytes = save_model(*c.classifier, {}, metadata, dtype);
  Result<LoadedClassifier> check = load_classifier(bytes.data(), bytes.size());
  if (!check) throw DataError("the re-encoded classifier does not load (" + check.error() + "); nothing written");
  write_file_atomically(f.out, bytes.data(), bytes.size());
  std::printf("wrote %s: classifier %s, %zu bytes (%zu parameters)\n", f.out.c_str(), dtype_name(dtype), bytes.size(),
              check.value().parameter_count);
  return kExitSuccess;
}

int run_export(const ExportFlags& f) {
  const DType dtype = f.dtype == "f16" ? DType::F16 : DType::F32;
  if (holds_classifier(f.in)) return export_classifier(f, dtype);
  LoadedModel model = load_weights_file(f.in);
  Metadata metadata = model.metadata;
  metadata["exported_from"] = f.in;
  metadata.erase("checkpoint");

  if (f.generator_only) {
    // What sampling needs: the groups needed to generate (a GAN's generator and its BatchNorm
    // running statistics, without the discriminator).
    bool has_other_groups = false;
    for (const TensorGroup& g : model->tensor_groups()) has_other_groups |= !g.needed_to_generate;
    if (!has_other_groups)
      throw UsageError("--generator-only: a " + std::string(model.kind->label) +
                       " has no separate generator (only a GAN does)");
    metadata["contents"] = "generator";
  }
  // The file's own configuration keys travel in its metadata: it loaded, so they are valid.
  const std::vector<std::uint8_t> bytes = save_model(*model, {}, metadata, dtype, f.generator_only);

  // Check the result loads and decodes what we meant before anything is written.
  Result<LoadedModel> check = load_model(bytes.data(), bytes.size());
  if (!check) throw DataError("the re-encoded model does not load (" + check.error() + "); nothing written");
  write_file_atomically(f.out, bytes.data(), bytes.size());
  std::printf("wrote %s: %s %s, %zu bytes (%zu parameters)\n", f.out.c_str(), model.kind->name, dtype_name(dtype),
              bytes.size(), check.value().parameter_count);
  return kExitSuccess;
}

}  // namespace

Command add_export_command(CLI::App& parent) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* app = parent.add_subcommand("export", "Re-encode a weights file (e.g. F16 for the web page)");
  add_load_flags(app);
  app->add_option("weights", flags->in, "Weights file to read")->required();
  app->add_option("--out", flags->out, "File to write (atomically)")->required();
  app->add_option("--dtype", flags->dtype, "Storage type: f16 (default) or f32")->check(CLI::IsMember({"f16", "f32"}));
  app->add_flag("--generator-only", flags->generator_only, "GAN: keep only the generator (all that sampling needs)");
  return Command{app, [flags] { return run_export(*flags); }};
}

}  // namespace latentlab::native
