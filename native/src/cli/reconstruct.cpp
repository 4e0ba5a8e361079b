#include "cli/reconstruct.hpp"

#include <algorithm>
#include <memory>

#include "data/datasets.hpp"
#include "latentlab/nn/losses.hpp"
#include "output/file_io.hpp"
#include "output/samples.hpp"
#include "output/image_grid.hpp"

namespace latentlab::native {

namespace {

struct ReconstructFlags {
  std::string weights, data, out;
  int n = 32, scale = 2;
};

constexpr int kMaxColumns = 16;

int run_reconstruct(const ReconstructFlags& f, bool data_given) {
  LoadedModel model = load_weights_file(f.weights);
  VariationalModel* vae = model->variational();
  if (!vae)
    throw DataError("reconstruct needs a VAE, but '" + f.weights + "' holds a " + model.kind->label +
                    ", which has no encoder to map an image to a latent");
  // The data set the model was trained on, unless --data says otherwise.
  std::string data = f.data;
  if (!data_given) {
    auto it = model.metadata.find("dataset");
    data = it != model.metadata.end() && !it->second.empty() ? it->second : "mnist";
  }
  const DatasetPair sets = load_dataset(data);
  const Dataset& test = sets.test;
  const int pixels = test.rows * test.cols;
  if (pixels != model->image_size())
    throw DataError("the images of '" + data + "' are " + std::to_string(test.rows) + "x" + std::to_string(test.cols) +
                    " but the VAE in '" + f.weights + "' takes " + std::to_string(model->image_size()) + " pixels");
  if (static_cast<std::size_t>(f.n) > test.count)
    throw UsageError("--n: " + std::to_string(f.n) + " is more than the " + std::to_string(test.count) +
                     " test images of '" + data + "'");

  // Reconstructions with z = μ: decode(encode(x).μ).
  const int n = f.n, latent = model->latent_dim();
  const std::vector<float> originals = test.to_float(0, static_cast<std::size_t>(n));
  std::vector<float> mu(static_cast<std::size_t>(n) * latent), logvar(mu.size()), recon(static_cast<std::size_t>(n) * pixels);
  // A conditional VAE encodes and decodes each image with its own label.
  std::vector<int> labels;
  if (model->conditional()) labels.assign(test.labels.begin(), test.labels.begin() + n);
  const int* y = labels.empty() ? nullptr : labels.data();
  vae->encode(originals.data(), y, n, mu.data(), logvar.data());
  model->decode(mu.data(), y, n, recon.data());

  // Rows of up to 16 originals, each followed by the row of their reconstructions, so every
  // reconstruction sits right below its original. Gaps of a last, shorter chunk are mid-gray
  // like the grid padding.
  const int columns = std::min(n, kMaxColumns);
  const int chunks = (n + columns - 1) / columns;
  std::vector<float> grid(static_cast<std::size_t>(chunks) * 2 * columns * pixels, 0.5f);
  for (int i = 0; i < n; ++i) {
    const int chunk = i / columns, col = i % columns;
    float* top = grid.data() + (static_cast<std::size_t>(chunk) * 2 * columns + col) * pixels;
    float* bottom = top + static_cast<std::size_t>(columns) * pixels;
    std::copy_n(originals.data() + static_cast<std::size_t>(i) * pixels, pixels, top);
    std::copy_n(recon.data() + static_cast<std::size_t>(i) * pixels, pixels, bottom);
  }
  write_png_grid(f.out, grid.data(), chunks * 2 * columns, test.rows, test.cols, columns, 0.0f, 1.0f, f.scale, 2);

  // How good they are: BCE of the decoder's logits at z = μ, summed over pixels, per image (the
  // VAE's reconstruction term).
  const float* logits = vae->decode_logits(mu.data(), y, n);
  const double bce = bce_with_logits(logits, originals.data(), originals.size(), Reduction::Sum, nullptr);
  std::printf("wrote %s: %d test images of %s (rows of originals, reconstructions below); "
              "reconstruction BCE per image (z = mu) %.3f\n",
              f.out.c_str(), n, data.c_str(), bce / n);
  return kExitSuccess;
}

}  // namespace

Command add_reconstruct_command(CLI::App& parent) {
  auto f = std::make_shared<ReconstructFlags>();
  CLI::App* app = parent.add_subcommand("reconstruct", "VAE: first test images (above) and their reconstructions (below)");
  add_load_flags(app);
  app->footer("Reconstructions decode z = mu (the encoder's mean). GAN weights are refused: a GAN has no encoder.");
  app->add_option("--weights", f->weights, "VAE weights file")->required()->check(CLI::ExistingFile);
  auto* data = app->add_option("--data", f->data,
                               "Data set: mnist, fashion or a directory of IDX files (default: the data set "
                               "recorded in the weights, else mnist)");
  app->add_option("--n", f->n, "Number of test images")->transform(integer_in(1, 1024))->capture_default_str();
  app->add_option("--out", f->out, "PNG file to write")->required();
  app->add_option("--scale", f->scale, "Upscaling of each image in the PNG")
      ->transform(integer_in(1, 16))
      ->capture_default_str();
  return Command{app, [f, data]() { return run_reconstruct(*f, data->count() > 0); }};
}

}  // namespace latentlab::native
