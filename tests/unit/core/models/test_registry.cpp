// The model abstraction (models/model.hpp) and the registry of kinds (models/registry.hpp): what
// every kind must satisfy, checked for every registered kind, so a new kind is held to the same
// contract by registering it.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "latentlab/infer/generation.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/models/registry.hpp"
#include "latentlab/rng.hpp"

using namespace latentlab;

namespace {

// A small configuration of each registered kind, as its file metadata.
std::vector<Metadata> small_configs() {
  VaeConfig vae;
  vae.input = 20;
  vae.hidden = {9, 7};
  vae.latent = 3;
  vae.beta = 0.5f;
  GanConfig gan;
  gan.image = 16;
  gan.latent = 5;
  gan.generator_hidden = {6, 8};
  gan.discriminator_hidden = {7};
  gan.generator_leaky = true;
  gan.generator_batchnorm = true;
  gan.batchnorm_eps = 0.8f;
  ClassifierConfig classifier;
  classifier.input = 16;
  classifier.hidden = {6};
  classifier.classes = 3;
  DcganConfig dcgan;
  dcgan.image = 64;
  dcgan.latent = 4;
  dcgan.generator_channels = {5, 3};
  dcgan.discriminator_channels = {2, 4, 3};
  ConvVaeConfig conv_vae;
  conv_vae.input = 64;
  conv_vae.channels = {3, 2};
  conv_vae.fc = 7;
  conv_vae.latent = 3;
  conv_vae.beta = 0.5f;
  DcganConfig cdcgan = dcgan;  // conditional: G's label columns, D's class embedding
  cdcgan.classes = 3;
  DcganConfig channels_dcgan = cdcgan;  // D reads the label as input planes
  channels_dcgan.discriminator_conditioning = DiscriminatorConditioning::Channels;
  ConvVaeConfig cconv_vae = conv_vae;
  cconv_vae.classes = 4;
  return {config_metadata(vae),      config_metadata(gan),    config_metadata(classifier), config_metadata(dcgan),
          config_metadata(conv_vae), config_metadata(cdcgan), config_metadata(channels_dcgan),
          config_metadata(cconv_vae)};
}

std::size_t values_needed_to_generate(const Model& model) {
  std::size_t n = 0;
  for (const TensorGroup& g : model.tensor_groups())
    if (g.trained && g.needed_to_generate) n += g.set->count();
  return n;
}

// Fills every value of every group with a different number, so a round trip that mixes up two
// tensors cannot pass.
void fill_distinct(Model& model) {
  float v = 0.25f;
  for (const TensorGroup& g : model.tensor_groups())
    for (const auto& t : g.set->tensors())
      for (std::size_t i = 0; i < t.size; ++i, v += 0.001f) g.set->values()[t.offset + i] = v;
}

}  // namespace

TEST_CASE("every registered kind is found by name and by its role, and no other", "[registry]") {
  for (const Metadata& m : small_configs()) {
    const std::string name = m.at("kind");
    const ModelKind* kind = find_model_kind(name);
    REQUIRE(kind != nullptr);
    CHECK(name == kind->name);
    CHECK(std::string(kind->label).size() > 0);
    if (kind->role == ModelRole::Generative) {
      CHECK(find_generative_kind(name) == kind);
      CHECK(find_classifier_kind(name) == nullptr);
      CHECK(generative_kind_names().find("\"" + name + "\"") != std::string::npos);
    } else {
      CHECK(find_classifier_kind(name) == kind);
      CHECK(find_generative_kind(name) == nullptr);
      CHECK(classifier_kind_names().find("\"" + name + "\"") != std::string::npos);
    }
  }
  CHECK(find_model_kind("transformer") == nullptr);
  CHECK(find_model_kind("") == nullptr);
}

TEST_CASE("a kind's size check counts exactly the parameters its built model needs to generate", "[registry]") {
  // The count refuses a short file before anything is allocated, so it restates the model's
  // construction; here the two are held together for every kind.
  for (const Metadata& m : small_configs()) {
    const ModelKind& kind = *find_model_kind(m.at("kind"));
    INFO(kind.name);
    auto required = kind.check(m);
    REQUIRE(required.ok());
    std::unique_ptr<Model> model(kind.build(m));
    REQUIRE(model != nullptr);
    CHECK(required.value() == values_needed_to_generate(*model));
  }
}

TEST_CASE("a kind's configuration survives metadata → model → metadata", "[registry]") {
  for (const Metadata& m : small_configs()) {
    const ModelKind& kind = *find_model_kind(m.at("kind"));
    INFO(kind.name);
    if (kind.role == ModelRole::Generative) {
      std::unique_ptr<GenerativeModel> model(static_cast<GenerativeModel*>(kind.build(m)));
      CHECK(model->image_size() == std::stoi(m.at("image_height")) * std::stoi(m.at("image_width")));
      CHECK(std::string(pixel_range_name(model->pixel_range())) == m.at("pixel_range"));
      CHECK(model->classes() == (m.count("classes") ? std::stoi(m.at("classes")) : 0));
    }
    // Each codec writes what it reads.
    if (m.at("kind") == "vae") CHECK(config_metadata(vae_config_from_metadata(m).value()) == m);
    if (m.at("kind") == "gan") CHECK(config_metadata(gan_config_from_metadata(m).value()) == m);
    if (m.at("kind") == "classifier") CHECK(config_metadata(classifier_config_from_metadata(m).value()) == m);
    if (m.at("kind") == "dcgan") CHECK(config_metadata(dcgan_config_from_metadata(m).value()) == m);
    if (m.at("kind") == "conv-vae") CHECK(config_metadata(conv_vae_config_from_metadata(m).value()) == m);
  }
}

TEST_CASE("a conditional DCGAN's file states how D reads the label (projection or channels), and other values "
          "and an unconditional file with the key are refused", "[registry][conditional]") {
  DcganConfig c;
  c.image = 64;
  c.latent = 4;
  c.generator_channels = {5, 3};
  c.discriminator_channels = {2, 4};
  CHECK(config_metadata(c).count("discriminator_conditioning") == 0);
  c.classes = 10;
  const Metadata m = config_metadata(c);
  REQUIRE(m.at("discriminator_conditioning") == "projection");
  REQUIRE(m.at("classes") == "10");
  CHECK(dcgan_config_from_metadata(m).value().classes == 10);
  Metadata bad = m;
  bad.erase("discriminator_conditioning");
  CHECK_THAT(dcgan_config_from_metadata(bad).error(), Catch::Contains("discriminator_conditioning"));
  bad["discriminator_conditioning"] = "concat";
  CHECK_THAT(dcgan_config_from_metadata(bad).error(), Catch::Contains("projection"));
  bad = m;
  bad.erase("classes");
  CHECK_THAT(dcgan_config_from_metadata(bad).error(), Catch::Contains("discriminator_conditioning"));
  // The built model has the embedding [classes × features] in D.
  Dcgan built(c);
  const TensorInfo* e = built.discriminator_parameters().find("discriminator.embed.weight");
  REQUIRE(e);
  CHECK(e->shape == std::vector<int>{10, 4 * 2 * 2});

  // Label channels: the key says so, D has no embedding and conv1 reads 1 + classes planes.
  c.discriminator_conditioning = DiscriminatorConditioning::Channels;
  const Metadata ch = config_metadata(c);
  REQUIRE(ch.at("discriminator_conditioning") == "channels");
  CHECK(dcgan_config_from_metadata(ch).value().discriminator_conditioning == DiscriminatorConditioning::Channels);
  CHECK(dcgan_config_from_metadata(m).value().discriminator_conditioning == DiscriminatorConditioning::Projection);
  Dcgan planes(c);
  CHECK_FALSE(planes.discriminator_parameters().find("discriminator.embed.weight"));
  CHECK(planes.discriminator_parameters().find("discriminator.conv1.weight")->shape == std::vector<int>{2, 11, 4, 4});
  bad = ch;
  bad.erase("classes");
  CHECK_THAT(dcgan_config_from_metadata(bad).error(), Catch::Contains("discriminator_conditioning"));
}

TEST_CASE("save_model and load_model round-trip every generative kind through its tensor groups", "[registry]") {
  for (const Metadata& m : small_configs()) {
    const ModelKind& kind = *find_model_kind(m.at("kind"));
    if (kind.role != ModelRole::Generative) continue;
    INFO(kind.name);
    std::unique_ptr<Model> model(kind.build(m));
    fill_distinct(*model);
    const std::vector<std::uint8_t> bytes = save_model(*model, m, {{"note", "kept"}});
    auto loaded = load_model(bytes.data(), bytes.size());
    REQUIRE(loaded.ok());
    CHECK(loaded.value().kind == &kind);
    CHECK(loaded.value().metadata.at("note") == "kept");
    CHECK(loaded.value().parameter_count == model->parameter_count());
    const auto& a = model->tensor_groups();
    const auto& b = loaded.value()->tensor_groups();
    REQUIRE(a.size() == b.size());
    for (std::size_t g = 0; g < a.size(); ++g)
      for (std::size_t i = 0; i < a[g].set->size(); ++i) REQUIRE(a[g].set->values()[i] == b[g].set->values()[i]);

    // generate_only leaves out the groups a sampler does not need; the file still loads and
    // decodes the same pixels, and those groups count no parameters.
    const std::vector<std::uint8_t> small = save_model(*model, m, {}, DType::F32, /*generate_only=*/true);
    auto sampler = load_model(small.data(), small.size());
    REQUIRE(sampler.ok());
    CHECK(sampler.value().parameter_count == values_needed_to_generate(*model));
    GenerativeModel& full = *loaded.value();
    std::vector<float> z(static_cast<std::size_t>(3 * full.latent_dim()));
    sample_latents(9, z.data(), z.size());
    std::vector<float> p1(static_cast<std::size_t>(3 * full.image_size())), p2(p1.size());
    std::vector<int> labels(3);
    if (full.conditional()) cycle_labels(full.classes(), 3, labels.data());
    const int* y = full.conditional() ? labels.data() : nullptr;
    full.decode(z.data(), y, 3, p1.data());
    sampler.value()->decode(z.data(), y, 3, p2.data());
    CHECK(p1 == p2);
    for (float p : p1) REQUIRE((p >= 0.0f && p <= 1.0f));
  }
}

TEST_CASE("a file of one role is refused by the other role's loader with a message naming both", "[registry]") {
  const std::vector<Metadata> configs = small_configs();
  const Metadata& classifier_meta = configs[2];
  std::unique_ptr<Model> classifier(find_model_kind("classifier")->build(classifier_meta));
  const std::vector<std::uint8_t> bytes = save_model(*classifier, classifier_meta, {});
  auto as_generator = load_model(bytes.data(), bytes.size());
  REQUIRE_FALSE(as_generator.ok());
  CHECK(as_generator.error().find("\"classifier\"") != std::string::npos);
  CHECK(as_generator.error().find("not a generative model") != std::string::npos);
  CHECK(as_generator.error().find(generative_kind_names()) != std::string::npos);
  CHECK(load_classifier(bytes.data(), bytes.size()).ok());

  std::unique_ptr<Model> vae(find_model_kind("vae")->build(configs[0]));
  const std::vector<std::uint8_t> vae_bytes = save_model(*vae, configs[0], {});
  auto as_classifier = load_classifier(vae_bytes.data(), vae_bytes.size());
  REQUIRE_FALSE(as_classifier.ok());
  CHECK(as_classifier.error().find("not a classifier") != std::string::npos);
}

TEST_CASE("pixel ranges map [0, 1] to the model's range and back", "[registry]") {
  for (PixelRange range : {PixelRange::ZeroOne, PixelRange::MinusOneOne}) {
    const PixelMap map = pixel_map(range);
    std::vector<float> p = {0.0f, 0.25f, 0.5f, 1.0f};
    std::vector<float> x(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) x[i] = map.scale * p[i] + map.shift;
    CHECK(x.front() == (range == PixelRange::ZeroOne ? 0.0f : -1.0f));
    CHECK(x.back() == 1.0f);
    pixels_to_unit(range, x.data(), x.size());
    CHECK(x == p);  // exact: every step is a power-of-two scale or an exact sum here
  }
  CHECK(std::string(pixel_range_name(PixelRange::ZeroOne)) == "0,1");
  CHECK(std::string(pixel_range_name(PixelRange::MinusOneOne)) == "-1,1");
}
