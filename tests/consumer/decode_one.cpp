// decode_one WEIGHTS SEED: loads a latentlab weights file and prints the 784 pixels of the image
// `latentlab sample --weights WEIGHTS --n 1 --seed SEED` draws, one per line.
#include <latentlab/infer/generation.hpp>
#include <latentlab/io/model_io.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) return std::fprintf(stderr, "usage: decode_one WEIGHTS SEED\n"), 2;
  std::ifstream in(argv[1], std::ios::binary);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  auto loaded = latentlab::load_model(bytes.data(), bytes.size());
  if (!loaded.ok()) return std::fprintf(stderr, "%s\n", loaded.error().c_str()), 1;
  latentlab::LoadedModel& model = loaded.value();
  std::vector<float> z(model->latent_dim()), pixels(model->image_size());
  latentlab::sample_latents(std::stoull(argv[2]), z.data(), z.size());
  model->decode(z.data(), nullptr, 1, pixels.data());  // labels: nullptr, an unconditional model
  for (float p : pixels) std::printf("%.9g\n", p);
}
