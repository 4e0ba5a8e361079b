// A weights file that leaves out an optional configuration key means what the trainer would have
// written (docs/weights-format.md): for every registered kind, the metadata of a fresh run with
// `latentlab train`'s defaults is read back by the kind's codec with each key removed in turn;
// a key the codec accepts as missing must give back the same configuration. One exception:
// gan_loss, whose absence means bce (every file from before wgan-gp became the MLP GAN's default
// is bce), which is what `--gan-loss bce` writes.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "latentlab/models/registry.hpp"
#include "train/registry.hpp"

using namespace latentlab;
using namespace latentlab::native;

TEST_CASE("every optional metadata key defaults to the value latentlab train writes by default", "[registry]") {
  for (const NativeKind* native : native_kinds()) {
    const ModelKind& kind = *native->kind;
    INFO(kind.name);
    // The flags as `latentlab train --model <kind>` builds them when none is given (cli/train.cpp).
    ModelFlags flags;
    flags.latent = {native->defaults.latent, false};
    flags.gan_loss = {native->defaults.gan_loss, false};
    flags.beta = {1.0f, false};
    flags.generator = "stable";
    const std::unique_ptr<Trainer> trainer =
        native->make_trainer(native->fresh_config(flags), TrainingOptions{}, DataShape{784, 10});
    const Metadata written = trainer->config_metadata();
    REQUIRE(kind.check(written).ok());
    const std::unique_ptr<Model> reference(kind.build(written));

    int optional = 0;
    for (const auto& [key, value] : written) {
      if (key == "kind") continue;
      Metadata without = written;
      without.erase(key);
      if (!kind.check(without).ok()) continue;  // required
      ++optional;
      INFO("without " << key << " (written: " << value << ")");
      // The codec's reading of the file without the key, written out again, is the trainer's.
      const Result<std::any> again = native->checkpoint_config(without);
      REQUIRE(again.ok());
      const std::unique_ptr<Trainer> rebuilt =
          native->make_trainer(again.value(), TrainingOptions{}, DataShape{784, 10});
      Metadata expected = written;
      if (key == "gan_loss") {
        CHECK(std::string(native->config_keys).find("gan_loss=bce") != std::string::npos);  // info says so
        ModelFlags bce = flags;
        bce.gan_loss = {"bce", true};
        expected = native->make_trainer(native->fresh_config(bce), TrainingOptions{}, DataShape{784, 10})->config_metadata();
        CHECK(expected != written);
      }
      CHECK(rebuilt->config_metadata() == expected);
    }
    // The format keys (format, format_version, image_height, …) are optional for every kind.
    CHECK(optional >= 5);
  }
}
