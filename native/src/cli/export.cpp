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
  const std::vector<std::uint8_t> bytes = save_classifier(*c.classifier, metadata, dtype);
  Result<LoadedClassifier> check = load_classifier(bytes.data(), bytes.size());
  if (!check) throw DataError("the re-encoded classifier does not load (" + check.error() + "); nothing written");
  write_file_atomically(f.out, bytes.data(), bytes.size());
  std::printf("wrote %s: classifier %s, %zu bytes (%zu parameters)\n", f.out.c_str(), dtype_name(dtype), bytes.size(),
              check.value().parameter_count);
  return kExitSuccess;
}

int run_export(const ExportFlags& f) {
  const DType dtype = f.dtype == "f16" ? DType::F16 : DType::F32;
  if (weights_kind(f.in) == "classifier") return export_classifier(f, dtype);
  LoadedModel model = load_weights_file(f.in);
  Metadata metadata = model.metadata;
  metadata["exported_from"] = f.in;
  metadata.erase("checkpoint");

  std::vector<std::uint8_t> bytes;
  if (model.vae) {
    if (f.generator_only) throw UsageError("--generator-only: only a GAN has a separate generator");
    bytes = save_vae(*model.vae, metadata, dtype);
  } else {
    if (f.generator_only) {
      // What sampling needs: the generator's parameters and its BatchNorm running statistics.
      auto tensors = tensors_to_write(model.gan->generator_parameters());
      auto running = tensors_to_write(model.gan->generator_buffers());
      tensors.insert(tensors.end(), running.begin(), running.end());
      for (const auto& [k, v] : config_metadata(model.gan->config())) metadata[k] = v;
      metadata["contents"] = "generator";
      bytes = encode_safetensors(tensors, metadata, dtype);
    } else {
      bytes = save_gan(*model.gan, metadata, dtype);
    }
  }

  // Check the result loads and decodes what we meant before anything is written.
  Result<LoadedModel> check = load_model(bytes.data(), bytes.size());
  if (!check) throw DataError("the re-encoded model does not load (" + check.error() + "); nothing written");
  write_file_atomically(f.out, bytes.data(), bytes.size());
  std::printf("wrote %s: %s %s, %zu bytes (%zu parameters)\n", f.out.c_str(), model.kind.c_str(), dtype_name(dtype),
              bytes.size(), check.value().parameter_count);
  return kExitSuccess;
}

}  // namespace

Command add_export_command(CLI::App& parent) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* app = parent.add_subcommand("export", "Re-encode a weights file (e.g. F16 for the web page)");
  app->add_option("weights", flags->in, "Weights file to read")->required();
  app->add_option("--out", flags->out, "File to write (atomically)")->required();
  app->add_option("--dtype", flags->dtype, "Storage type: f16 (default) or f32")->check(CLI::IsMember({"f16", "f32"}));
  app->add_flag("--generator-only", flags->generator_only, "GAN: keep only the generator (all that sampling needs)");
  return Command{app, [flags] { return run_export(*flags); }};
}

}  // namespace latentlab::native
