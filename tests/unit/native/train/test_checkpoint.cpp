// Checkpoints: exact scalar encodings, a bit-exact round trip of the whole training state
// (parameters, Adam moments and step counts, both RNG streams, counters) for both models and,
// through the native registry, for every registered kind,
// refusal of checkpoints that do not fit, and atomic writes that keep the previous file when
// writing fails.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "train/checkpoint.hpp"
#include "support/cli.hpp"
#include "output/file_io.hpp"
#include "train/gan_trainer.hpp"
#include "train/registry.hpp"
#include "train/vae_trainer.hpp"

using namespace latentlab;
using namespace latentlab::native;

namespace {

bool same_state(const Rng& a, const Rng& b) {
  const Rng::State x = a.state(), y = b.state();
  return x.state == y.state && x.increment == y.increment && x.has_spare_normal == y.has_spare_normal &&
         std::memcmp(&x.spare_normal, &y.spare_normal, sizeof(double)) == 0;
}

bool same_floats(const float* a, const float* b, std::size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

SafetensorsContents decode(const std::vector<std::uint8_t>& bytes) {
  auto r = decode_safetensors(bytes.data(), bytes.size());
  REQUIRE(r.ok());
  return r.take();
}

// A small real-MNIST subset shared by the tests of this file.
const DatasetPair& small_mnist() {
  static const DatasetPair data = latentlab::test::mnist_subset(640, 10);
  return data;
}

VaeConfig tiny_vae() {
  VaeConfig c;
  c.hidden = {24, 12};
  c.latent = 3;
  return c;
}

GanConfig tiny_gan() {
  GanConfig c;
  c.latent = 5;
  c.generator_hidden = {16};
  c.discriminator_hidden = {16, 8};
  return c;
}

}  // namespace

TEST_CASE("checkpoint scalars: u64 as decimal, doubles as their exact bit pattern", "[checkpoint]") {
  CHECK(u64_to_decimal(0) == "0");
  CHECK(u64_to_decimal(18446744073709551615ull) == "18446744073709551615");
  CHECK(u64_from_decimal("18446744073709551615").value() == 18446744073709551615ull);
  CHECK(u64_from_decimal("6364136223846793005").value() == 6364136223846793005ull);
  for (const char* bad : {"", "-1", "+1", "18446744073709551616", "12a", " 1", "0x10", "1.0"})
    CHECK_FALSE(u64_from_decimal(bad).ok());

  // IEEE 754 binary64 patterns known independently: 1.5 = 0x3ff8…, −0.0 = 0x8000…, 1/3 = 0x3fd5555555555555.
  CHECK(double_to_bits_hex(1.5) == "3ff8000000000000");
  CHECK(double_to_bits_hex(-0.0) == "8000000000000000");
  CHECK(double_to_bits_hex(1.0 / 3.0) == "3fd5555555555555");
  const double tricky[] = {1.0 / 3.0, -1.2345678901234567e-300, 4.9e-324, 1.7976931348623157e308, -0.0};
  for (double v : tricky) {
    const double back = double_from_bits_hex(double_to_bits_hex(v)).value();
    CHECK(std::memcmp(&back, &v, sizeof v) == 0);
  }
  CHECK(double_from_bits_hex("3FF8000000000000").value() == 1.5);
  for (const char* bad : {"", "3ff800000000000", "3ff80000000000000", "3ff800000000000g"})
    CHECK_FALSE(double_from_bits_hex(bad).ok());
}

TEST_CASE("RNG state round trip keeps the spare normal of the polar method", "[checkpoint]") {
  Rng rng(42, 54);
  rng.normal();  // leaves a spare normal behind
  REQUIRE(rng.state().has_spare_normal);
  Metadata m;
  store_rng(m, "noise", rng);
  Rng restored(0, 0);
  REQUIRE(restore_rng(m, "noise", restored).ok());
  CHECK(same_state(rng, restored));
  for (int i = 0; i < 9; ++i) CHECK(rng.normal() == restored.normal());

  Metadata broken = m;
  broken["rng.noise.increment"] = "2";  // PCG increments are odd
  CHECK_FALSE(restore_rng(broken, "noise", restored).ok());
  broken = m;
  broken.erase("rng.noise.spare_bits");
  CHECK(restore_rng(broken, "noise", restored).error().find("rng.noise.spare_bits") != std::string::npos);
}

TEST_CASE("VAE checkpoint round trip restores the training state bit for bit", "[checkpoint]") {
  const DatasetPair& data = small_mnist();
  TrainingOptions options;
  options.batch = 100;  // 640 = 6·100 + 40: the epoch ends on a partial batch
  options.seed = 7;
  VaeTrainer a(tiny_vae(), options);
  a.train_epoch(data.train, 640, nullptr);
  a.noise_rng().normal();  // leave a spare normal in the noise stream, so it must be saved too

  const std::vector<std::uint8_t> bytes = a.checkpoint_bytes({{"dataset", "mnist"}});
  const SafetensorsContents contents = decode(bytes);
  CHECK(contents.metadata.at("checkpoint") == "1");
  CHECK(contents.metadata.at("epoch") == "1");
  CHECK(contents.metadata.at("step") == "7");
  CHECK(contents.metadata.at("adam.steps") == "7");
  CHECK(contents.metadata.at("dataset") == "mnist");

  TrainingOptions other = options;
  other.seed = 8;  // everything must come from the checkpoint, not from the constructor
  VaeTrainer b(tiny_vae(), other);
  REQUIRE(b.restore(contents).ok());
  const ParameterSet& pa = a.vae().parameters();
  const ParameterSet& pb = b.vae().parameters();
  CHECK(same_floats(pa.values(), pb.values(), pa.size()));
  CHECK(same_floats(a.adam().first_moment(), b.adam().first_moment(), a.adam().size()));
  CHECK(same_floats(a.adam().second_moment(), b.adam().second_moment(), a.adam().size()));
  CHECK(b.adam().steps() == 7);
  CHECK(same_state(a.data_rng(), b.data_rng()));
  CHECK(same_state(a.noise_rng(), b.noise_rng()));
  CHECK(b.epochs_done() == 1);
  CHECK(b.steps_done() == 7);

  // Both continue identically.
  const Metrics ma = a.train_epoch(data.train, 640, nullptr);
  const Metrics mb = b.train_epoch(data.train, 640, nullptr);
  CHECK(ma == mb);
  CHECK(same_floats(pa.values(), pb.values(), pa.size()));

  // A checkpoint is also a weights file.
  auto model = load_model(bytes.data(), bytes.size());
  REQUIRE(model.ok());
  CHECK(std::string(model.value().kind->name) == "vae");
  CHECK(model.value().parameter_count == pa.count());
}

TEST_CASE("GAN checkpoint round trip restores both players and both optimisers", "[checkpoint]") {
  const DatasetPair& data = small_mnist();
  TrainingOptions options;
  options.batch = 64;
  options.lr = 2e-4f;
  options.seed = 3;
  GanTrainer a(tiny_gan(), options);
  a.train_epoch(data.train, 640, nullptr);
  const SafetensorsContents contents = decode(a.checkpoint_bytes({}));
  CHECK(contents.metadata.at("adam.generator.steps") == "10");
  CHECK(contents.metadata.at("adam.discriminator.steps") == "10");
  REQUIRE(contents.find("adam.generator.m") != nullptr);
  REQUIRE(contents.find("adam.discriminator.v") != nullptr);

  options.seed = 4;
  GanTrainer b(tiny_gan(), options);
  REQUIRE(b.restore(contents).ok());
  CHECK(same_floats(a.gan().generator_parameters().values(), b.gan().generator_parameters().values(),
                    a.gan().generator_parameters().size()));
  CHECK(same_floats(a.gan().discriminator_parameters().values(), b.gan().discriminator_parameters().values(),
                    a.gan().discriminator_parameters().size()));
  CHECK(same_floats(a.discriminator_adam().second_moment(), b.discriminator_adam().second_moment(),
                    a.discriminator_adam().size()));
  CHECK(same_floats(a.generator_adam().first_moment(), b.generator_adam().first_moment(), a.generator_adam().size()));
  CHECK(same_state(a.noise_rng(), b.noise_rng()));
  CHECK(a.train_epoch(data.train, 640, nullptr) == b.train_epoch(data.train, 640, nullptr));
}

TEST_CASE("restore refuses checkpoints of another kind or configuration, and plain model files", "[checkpoint]") {
  TrainingOptions options;
  VaeTrainer vae(tiny_vae(), options);
  GanTrainer gan(tiny_gan(), options);
  const SafetensorsContents vae_ckpt = decode(vae.checkpoint_bytes({}));
  const SafetensorsContents gan_ckpt = decode(gan.checkpoint_bytes({}));

  VaeTrainer vae2(tiny_vae(), options);
  GanTrainer gan2(tiny_gan(), options);
  auto r = vae2.restore(gan_ckpt);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("not a VAE") != std::string::npos);
  r = gan2.restore(vae_ckpt);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("not a GAN") != std::string::npos);

  VaeConfig wider = tiny_vae();
  wider.hidden = {32, 12};
  VaeTrainer vae3(wider, options);
  r = vae3.restore(vae_ckpt);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("differs") != std::string::npos);

  // model.safetensors has no optimiser state and no "checkpoint" marker.
  const SafetensorsContents model = decode(vae.model_bytes({}));
  r = vae2.restore(model);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("not a training checkpoint") != std::string::npos);

  SafetensorsContents no_moments = vae_ckpt;
  no_moments.tensors.erase(std::remove_if(no_moments.tensors.begin(), no_moments.tensors.end(),
                                          [](const DecodedTensor& t) { return t.name == "adam.m"; }),
                           no_moments.tensors.end());
  r = vae2.restore(no_moments);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("adam.m") != std::string::npos);

  SafetensorsContents short_moments = vae_ckpt;
  for (auto& t : short_moments.tensors)
    if (t.name == "adam.v") {
      t.values.pop_back();
      t.shape[0] -= 1;
    }
  r = vae2.restore(short_moments);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("adam.v") != std::string::npos);
}

TEST_CASE("a failed checkpoint write leaves the previous checkpoint intact", "[checkpoint]") {
  latentlab::test::TempDir dir;
  const std::string path = dir / "checkpoint.safetensors";
  TrainingOptions options;
  VaeTrainer trainer(tiny_vae(), options);
  const std::vector<std::uint8_t> good = trainer.checkpoint_bytes({{"note", "good"}});
  write_file_atomically(path, good);

  // A later, larger checkpoint fails half-way: the file-size limit (RLIMIT_FSIZE, which binds
  // root too) makes write() fail with EFBIG once the temporary file reaches it.
  std::vector<std::uint8_t> bigger = trainer.checkpoint_bytes({{"note", std::string(100000, 'x')}});
  REQUIRE(bigger.size() > good.size() + 50000);
  struct rlimit old_limit {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  struct sigaction ignore {}, old_action {};
  ignore.sa_handler = SIG_IGN;  // SIGXFSZ would otherwise kill the process instead of failing write()
  REQUIRE(::sigaction(SIGXFSZ, &ignore, &old_action) == 0);
  struct rlimit small = old_limit;
  small.rlim_cur = good.size() + 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  bool threw = false;
  std::string message;
  try {
    write_file_atomically(path, bigger);
  } catch (const DataError& e) {
    threw = true;
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::sigaction(SIGXFSZ, &old_action, nullptr);

  CHECK(threw);
  CHECK(message.find("checkpoint.safetensors") != std::string::npos);
  const bool previous_intact = latentlab::test::read_text(path) == std::string(good.begin(), good.end());
  CHECK(previous_intact);
  // No temporary file is left behind, and the survivor still restores.
  std::size_t files = 0;
  for (const auto& e : latentlab::test::fs::directory_iterator(dir.path())) files += e.is_regular_file();
  CHECK(files == 1);
  VaeTrainer again(tiny_vae(), options);
  CHECK(again.restore(decode(good)).ok());
}

TEST_CASE("finite() notices a NaN parameter (nothing is saved from a diverged run)", "[checkpoint]") {
  TrainingOptions options;
  VaeTrainer vae(tiny_vae(), options);
  CHECK(vae.finite());
  vae.vae().parameters().values()[5] = std::numeric_limits<float>::quiet_NaN();
  CHECK_FALSE(vae.finite());
  GanTrainer gan(tiny_gan(), options);
  CHECK(gan.finite());
  gan.gan().discriminator_parameters().values()[0] = std::numeric_limits<float>::infinity();
  CHECK_FALSE(gan.finite());
}

TEST_CASE("every registered kind trains from its registry entry and resumes from its checkpoint bit for bit",
          "[checkpoint][registry]") {
  const DatasetPair& data = small_mnist();
  TrainingOptions options;
  options.batch = 64;
  options.seed = 3;
  for (const NativeKind* kind : native_kinds()) {
    INFO(kind->kind->name);
    ModelFlags flags;  // small hidden layers; every other model flag at its default
    flags.latent = {kind->defaults.latent, false};
    flags.gan_loss = {kind->defaults.gan_loss, false};
    flags.hidden = {{16}, true};
    flags.beta = {1.0f, false};
    flags.generator = "stable";
    const std::any config = kind->fresh_config(flags);
    const DataShape shape{data.train.rows * data.train.cols, data.train.num_classes};
    std::unique_ptr<Trainer> a = kind->make_trainer(config, options, shape);
    std::unique_ptr<Trainer> b = kind->make_trainer(config, options, shape);
    CHECK(&a->kind() == kind->kind);
    CHECK(&native_kind(a->kind()) == kind);
    a->train_epoch(data.train, 192, nullptr);
    REQUIRE(a->steps_done() == 3);

    // The checkpoint starts with the model file's tensors, in the same order.
    const SafetensorsContents checkpoint = decode(a->checkpoint_bytes({}));
    const SafetensorsContents model = decode(a->model_bytes({}));
    REQUIRE(checkpoint.tensors.size() > model.tensors.size());
    for (std::size_t i = 0; i < model.tensors.size(); ++i) CHECK(checkpoint.tensors[i].name == model.tensors[i].name);
    auto stored = kind->checkpoint_config(checkpoint.metadata);
    REQUIRE(stored.ok());

    REQUIRE(b->restore(checkpoint).ok());
    CHECK(b->steps_done() == 3);
    CHECK(a->train_epoch(data.train, 192, nullptr) == b->train_epoch(data.train, 192, nullptr));
    CHECK(decode(a->checkpoint_bytes({})).tensors.size() == checkpoint.tensors.size());
    const SafetensorsContents ca = decode(a->checkpoint_bytes({})), cb = decode(b->checkpoint_bytes({}));
    for (std::size_t i = 0; i < ca.tensors.size(); ++i) {
      INFO(ca.tensors[i].name);
      CHECK(ca.tensors[i].values == cb.tensors[i].values);
    }
  }
}
