// The model kinds, each registered once (registry.hpp): configuration codec, parameter count
// for the size check, build. Adding a kind: its codec and counter here, one line in kKinds.
#include "latentlab/models/registry.hpp"

#include <new>

namespace latentlab {

namespace {

constexpr int kMaxWidth = 65536;
constexpr int kMaxHiddenLayers = 16;
constexpr int kMaxLatent = 4096;
constexpr std::uint64_t kMaxParameters = 1ull << 27;  // 512 MB of float32: far above any MNIST model

Result<std::vector<int>> widths(const Metadata& m, const char* key) {
  return metadata_int_list(m, key, kMaxWidth, kMaxHiddenLayers);
}

// Float keys that several kinds read: each one's range and default (the trainer's) stated once.
Result<float> beta_key(const Metadata& m) { return metadata_float(m, "beta", {0.0f, 1e6f, "[0, 1000000]"}, 1.0f); }
Result<float> leaky_slope_key(const Metadata& m) {
  return metadata_float(m, "leaky_slope", {1e-6f, 1.0f, "[9.99999997e-07, 1]"}, 0.2f);
}
Result<float> batchnorm_eps_key(const Metadata& m) {
  return metadata_float(m, "batchnorm_eps", {1e-12f, 10.0f, "[9.99999996e-13, 10]"}, 1e-5f);
}

// The adversarial keys of the gan and dcgan kinds, each written only when it is not the default
// (so that a bce file without spectral norm is unchanged): gan_loss (default bce), spectral_norm.
void put_adversarial(Metadata& m, GanObjective objective, bool spectral_norm) {
  if (objective != GanObjective::Bce) m["gan_loss"] = gan_objective_name(objective);
  if (spectral_norm) m["spectral_norm"] = "1";
}

Result<GanObjective> gan_loss_key(const Metadata& m) {
  auto it = m.find("gan_loss");
  if (it == m.end()) return Result<GanObjective>::success(GanObjective::Bce);
  auto objective = parse_gan_objective(it->second);
  if (!objective)
    return Result<GanObjective>::failure("metadata \"gan_loss\" is \"" + it->second + "\" (expected " +
                                         gan_objective_names() + ")");
  return Result<GanObjective>::success(*objective);
}

Result<bool> spectral_norm_key(const Metadata& m) { return metadata_switch(m, "spectral_norm", "0", "1", false); }

// The metadata every kind writes first: format, kind, image shape and pixel range.
Metadata common_metadata(const char* kind, int image_size, PixelRange range) {
  const auto [h, w] = square_image_shape(image_size);
  return {{"format", "latentlab"},           {"format_version", "1"},
          {"kind", kind},                    {"image_height", std::to_string(h)},
          {"image_width", std::to_string(w)}, {"pixel_range", pixel_range_name(range)}};
}

// Parameters of an MLP with the given widths (weights + biases), in 64-bit so nothing overflows.
std::uint64_t mlp_parameters(const std::vector<int>& widths) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i)
    n += static_cast<std::uint64_t>(widths[i]) * widths[i + 1] + widths[i + 1];
  return n;
}

std::vector<int> chain(int first, const std::vector<int>& middle, int last) {
  std::vector<int> w{first};
  w.insert(w.end(), middle.begin(), middle.end());
  w.push_back(last);
  return w;
}

// "" when a model of `total` parameters may be built, else the refusal.
std::string over_limit(std::uint64_t total, const char* label) {
  if (total <= kMaxParameters) return std::string();
  return "metadata describes a " + std::string(label) + " with " + std::to_string(total) + " parameters (limit " +
         std::to_string(kMaxParameters) + ")";
}

// ---- vae ----

std::uint64_t vae_parameters(const VaeConfig& c) {
  const std::vector<int> reversed(c.hidden.rbegin(), c.hidden.rend());
  std::vector<int> encoder{c.input + c.classes};
  encoder.insert(encoder.end(), c.hidden.begin(), c.hidden.end());
  return mlp_parameters(encoder) + 2 * mlp_parameters({c.hidden.back(), c.latent}) +
         mlp_parameters(chain(c.latent + c.classes, reversed, c.input));
}

Result<std::uint64_t> check_vae(const Metadata& m) {
  auto c = vae_config_from_metadata(m);
  if (!c) return Result<std::uint64_t>::failure(c.error());
  return Result<std::uint64_t>::success(vae_parameters(c.value()));
}

Model* build_vae(const Metadata& m) { return new (std::nothrow) Vae(vae_config_from_metadata(m).value()); }

// ---- gan ----

std::uint64_t gan_generator_parameters(const GanConfig& c) {
  std::uint64_t batchnorm = 0;  // γ and β after every hidden Linear but the first (gan.hpp)
  for (std::size_t i = 1; c.generator_batchnorm && i < c.generator_hidden.size(); ++i)
    batchnorm += 2 * static_cast<std::uint64_t>(c.generator_hidden[i]);
  return mlp_parameters(chain(c.latent + c.classes, c.generator_hidden, c.image)) + batchnorm;
}

std::uint64_t gan_discriminator_parameters(const GanConfig& c) {
  return mlp_parameters(chain(c.image + c.classes, c.discriminator_hidden, 1));
}

Result<std::uint64_t> check_gan(const Metadata& m) {
  auto c = gan_config_from_metadata(m);
  if (!c) return Result<std::uint64_t>::failure(c.error());
  return Result<std::uint64_t>::success(gan_generator_parameters(c.value()));  // a file may hold G alone
}

Model* build_gan(const Metadata& m) { return new (std::nothrow) Gan(gan_config_from_metadata(m).value()); }

// ---- classifier ----

std::uint64_t classifier_parameters(const ClassifierConfig& c) {
  return mlp_parameters(chain(c.input, c.hidden, c.classes));
}

Result<std::uint64_t> check_classifier(const Metadata& m) {
  auto c = classifier_config_from_metadata(m);
  if (!c) return Result<std::uint64_t>::failure(c.error());
  return Result<std::uint64_t>::success(classifier_parameters(c.value()));
}

Model* build_classifier(const Metadata& m) {
  return new (std::nothrow) Classifier(classifier_config_from_metadata(m).value());
}

// The optional "classes" key of a conditional model: absent (0, unconditional) or 2…256.
Result<int> conditional_classes(const Metadata& m) {
  if (m.find("classes") == m.end()) return Result<int>::success(0);
  return metadata_int(m, "classes", 2, 256);  // labels are bytes
}

// Recorded only for a conditional model, so an unconditional model's file is unchanged.
void put_classes(Metadata& m, int classes) {
  if (classes > 0) m["classes"] = std::to_string(classes);
}

// ---- conv kinds (every conv layer k4 s2 p1: conv_parameters counts one of them) ----

constexpr int kMaxConvLayers = 8;  // stride-2 layers: the side must be divisible by 2^layers

std::uint64_t conv_parameters(int in, int out) {
  return static_cast<std::uint64_t>(in) * out * kDcganKernel * kDcganKernel + static_cast<std::uint64_t>(out);
}

// The side of the feature maps after `layers` stride-2 layers (0 when the image is not square).
std::uint64_t base_plane(int image, std::size_t layers) {
  const std::uint64_t side = static_cast<std::uint64_t>(square_side(image)) >> layers;
  return side * side;
}

// ---- dcgan ----

std::uint64_t dcgan_generator_parameters(const DcganConfig& c) {
  const std::vector<int>& g = c.generator_channels;
  const std::uint64_t fc_out = static_cast<std::uint64_t>(g[0]) * base_plane(c.image, g.size());
  std::uint64_t n = static_cast<std::uint64_t>(c.latent + c.classes) * fc_out + fc_out;  // Linear(latent + classes → g₁·b²)
  for (std::size_t i = 0; i < g.size(); ++i)
    n += 2 * static_cast<std::uint64_t>(g[i]) + conv_parameters(g[i], i + 1 < g.size() ? g[i + 1] : 1);
  return n;
}

std::uint64_t dcgan_discriminator_parameters(const DcganConfig& c) {
  const std::vector<int>& d = c.discriminator_channels;
  const bool channels = c.classes > 0 && c.discriminator_conditioning == DiscriminatorConditioning::Channels;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < d.size(); ++i)  // conv1 reads the label planes too (channels)
    n += conv_parameters(i > 0 ? d[i - 1] : channels ? 1 + c.classes : 1, d[i]) +
         (i > 0 && c.discriminator_batchnorm ? 2 * d[i] : 0);
  const std::uint64_t features = static_cast<std::uint64_t>(d.back()) * base_plane(c.image, d.size());
  const std::uint64_t embed = channels ? 0 : static_cast<std::uint64_t>(c.classes) * features;  // projection
  return n + features + 1 + embed;  // out, and the class embedding
}

Result<std::uint64_t> check_dcgan(const Metadata& m) {
  auto c = dcgan_config_from_metadata(m);
  if (!c) return Result<std::uint64_t>::failure(c.error());
  return Result<std::uint64_t>::success(dcgan_generator_parameters(c.value()));  // a file may hold G alone
}

Model* build_dcgan(const Metadata& m) { return new (std::nothrow) Dcgan(dcgan_config_from_metadata(m).value()); }

// ---- conv-vae ----

std::uint64_t conv_vae_parameters(const ConvVaeConfig& c) {
  const std::vector<int>& ch = c.channels;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < ch.size(); ++i)
    n += conv_parameters(i == 0 ? 1 : ch[i - 1], ch[i]) + conv_parameters(ch[i], i == 0 ? 1 : ch[i - 1]);
  const int code = static_cast<int>(static_cast<std::uint64_t>(ch.back()) * base_plane(c.input, ch.size()));
  return n + mlp_parameters({code + c.classes, c.fc}) + 2 * mlp_parameters({c.fc, c.latent}) +
         mlp_parameters({c.latent + c.classes, c.fc}) + mlp_parameters({c.fc, code});
}

Result<std::uint64_t> check_conv_vae(const Metadata& m) {
  auto c = conv_vae_config_from_metadata(m);
  if (!c) return Result<std::uint64_t>::failure(c.error());
  return Result<std::uint64_t>::success(conv_vae_parameters(c.value()));
}

Model* build_conv_vae(const Metadata& m) {
  return new (std::nothrow) ConvVae(conv_vae_config_from_metadata(m).value());
}

// ---- the registry ----

const ModelKind kGenerativeKinds[] = {
    {"vae", "VAE", ModelRole::Generative, check_vae, build_vae},
    {"gan", "GAN", ModelRole::Generative, check_gan, build_gan},
    {"dcgan", "DCGAN", ModelRole::Generative, check_dcgan, build_dcgan},
    {"conv-vae", "conv VAE", ModelRole::Generative, check_conv_vae, build_conv_vae},
};

const ModelKind kClassifierKinds[] = {
    {"classifier", "classifier", ModelRole::Classifier, check_classifier, build_classifier},
};

template <std::size_t N>
const ModelKind* find_in(const ModelKind (&kinds)[N], const std::string& name) {
  for (const ModelKind& k : kinds)
    if (name == k.name) return &k;
  return nullptr;
}

template <std::size_t N>
std::string names_of(const ModelKind (&kinds)[N]) {
  std::string s;
  for (std::size_t i = 0; i < N; ++i)
    s += std::string(i == 0 ? "" : i + 1 == N ? " or " : ", ") + "\"" + kinds[i].name + "\"";
  return s;
}

}  // namespace

const ModelKind* find_generative_kind(const std::string& name) { return find_in(kGenerativeKinds, name); }
const ModelKind* find_classifier_kind(const std::string& name) { return find_in(kClassifierKinds, name); }
const ModelKind* find_model_kind(const std::string& name) {
  const ModelKind* kind = find_generative_kind(name);
  return kind ? kind : find_classifier_kind(name);
}
std::string generative_kind_names() { return names_of(kGenerativeKinds); }
std::string classifier_kind_names() { return names_of(kClassifierKinds); }

// ---- configuration codecs ----

Metadata config_metadata(const VaeConfig& c) {
  Metadata m = common_metadata("vae", c.input, PixelRange::ZeroOne);
  m["input"] = std::to_string(c.input);
  m["hidden"] = join_ints(c.hidden);
  m["latent"] = std::to_string(c.latent);
  m["beta"] = format_float(c.beta);
  put_classes(m, c.classes);
  return m;
}

Metadata config_metadata(const GanConfig& c) {
  Metadata m = common_metadata("gan", c.image, PixelRange::MinusOneOne);
  m["image"] = std::to_string(c.image);
  m["latent"] = std::to_string(c.latent);
  m["generator_hidden"] = join_ints(c.generator_hidden);
  m["discriminator_hidden"] = join_ints(c.discriminator_hidden);
  m["leaky_slope"] = format_float(c.leaky_slope);
  m["generator_activation"] = c.generator_leaky ? "leaky_relu" : "relu";
  m["generator_batchnorm"] = c.generator_batchnorm ? "1" : "0";
  m["batchnorm_eps"] = format_float(c.batchnorm_eps);
  put_classes(m, c.classes);
  put_adversarial(m, c.objective, c.spectral_norm);
  return m;
}

Metadata config_metadata(const ClassifierConfig& c) {
  Metadata m = common_metadata("classifier", c.input, PixelRange::ZeroOne);
  m["input"] = std::to_string(c.input);
  m["hidden"] = join_ints(c.hidden);
  m["classes"] = std::to_string(c.classes);
  return m;
}

Metadata config_metadata(const DcganConfig& c) {
  Metadata m = common_metadata("dcgan", c.image, PixelRange::MinusOneOne);
  m["image"] = std::to_string(c.image);
  m["latent"] = std::to_string(c.latent);
  m["generator_channels"] = join_ints(c.generator_channels);
  m["discriminator_channels"] = join_ints(c.discriminator_channels);
  m["leaky_slope"] = format_float(c.leaky_slope);
  m["batchnorm_eps"] = format_float(c.batchnorm_eps);
  put_adversarial(m, c.objective, c.spectral_norm);
  if (!c.discriminator_batchnorm) m["discriminator_batchnorm"] = "0";
  put_classes(m, c.classes);
  if (c.classes > 0) m["discriminator_conditioning"] = discriminator_conditioning_name(c.discriminator_conditioning);
  return m;
}

Metadata config_metadata(const ConvVaeConfig& c) {
  Metadata m = common_metadata("conv-vae", c.input, PixelRange::ZeroOne);
  m["input"] = std::to_string(c.input);
  m["channels"] = join_ints(c.channels);
  m["fc"] = std::to_string(c.fc);
  m["latent"] = std::to_string(c.latent);
  m["beta"] = format_float(c.beta);
  put_classes(m, c.classes);
  return m;
}

Result<VaeConfig> vae_config_from_metadata(const Metadata& m) {
  using R = Result<VaeConfig>;
  VaeConfig c;
  auto input = metadata_int(m, "input", 1, kMaxWidth);
  if (!input) return R::failure(input.error());
  auto hidden = widths(m, "hidden");
  if (!hidden) return R::failure(hidden.error());
  auto latent = metadata_int(m, "latent", 1, kMaxLatent);
  if (!latent) return R::failure(latent.error());
  auto beta = beta_key(m);
  if (!beta) return R::failure(beta.error());
  auto classes = conditional_classes(m);
  if (!classes) return R::failure(classes.error());
  c.classes = classes.value();
  c.input = input.value();
  c.hidden = hidden.value();
  c.latent = latent.value();
  c.beta = beta.value();
  if (auto refused = over_limit(vae_parameters(c), "VAE"); !refused.empty()) return R::failure(refused);
  return R::success(c);
}

Result<GanConfig> gan_config_from_metadata(const Metadata& m) {
  using R = Result<GanConfig>;
  GanConfig c;
  auto image = metadata_int(m, "image", 1, kMaxWidth);
  if (!image) return R::failure(image.error());
  auto latent = metadata_int(m, "latent", 1, kMaxLatent);
  if (!latent) return R::failure(latent.error());
  auto gen = widths(m, "generator_hidden");
  if (!gen) return R::failure(gen.error());
  auto disc = widths(m, "discriminator_hidden");
  if (!disc) return R::failure(disc.error());
  auto slope = leaky_slope_key(m);
  if (!slope) return R::failure(slope.error());
  // The generator variant keys are required (batchnorm_eps when generator_batchnorm is 1): no
  // fallback is right for every file, as the trainer's default generator (LeakyReLU, BatchNorm eps
  // 0.8), PyTorch's BatchNorm1d (eps 1e-5) and the plain generator all differ.
  for (const char* key : {"generator_activation", "generator_batchnorm"})
    if (!m.count(key)) return R::failure(std::string("metadata has no \"") + key + "\" (required for a GAN)");
  auto leaky = metadata_switch(m, "generator_activation", "relu", "leaky_relu", false);
  if (!leaky) return R::failure(leaky.error());
  auto batchnorm = metadata_switch(m, "generator_batchnorm", "0", "1", false);
  if (!batchnorm) return R::failure(batchnorm.error());
  if (batchnorm.value() && !m.count("batchnorm_eps"))
    return R::failure("metadata has no \"batchnorm_eps\" (required when generator_batchnorm is 1)");
  auto bn_eps = batchnorm_eps_key(m);
  if (!bn_eps) return R::failure(bn_eps.error());
  auto classes = conditional_classes(m);
  if (!classes) return R::failure(classes.error());
  auto objective = gan_loss_key(m);
  if (!objective) return R::failure(objective.error());
  auto sn = spectral_norm_key(m);
  if (!sn) return R::failure(sn.error());
  c.objective = objective.value();
  c.spectral_norm = sn.value();
  c.classes = classes.value();
  c.image = image.value();
  c.latent = latent.value();
  c.generator_hidden = gen.value();
  c.discriminator_hidden = disc.value();
  c.leaky_slope = slope.value();
  c.generator_leaky = leaky.value();
  c.generator_batchnorm = batchnorm.value();
  c.batchnorm_eps = bn_eps.value();
  const std::uint64_t n = gan_generator_parameters(c) + gan_discriminator_parameters(c);
  if (auto refused = over_limit(n, "GAN"); !refused.empty()) return R::failure(refused);
  return R::success(c);
}

Result<ClassifierConfig> classifier_config_from_metadata(const Metadata& m) {
  using R = Result<ClassifierConfig>;
  ClassifierConfig c;
  auto input = metadata_int(m, "input", 1, kMaxWidth);
  if (!input) return R::failure(input.error());
  auto hidden = widths(m, "hidden");
  if (!hidden) return R::failure(hidden.error());
  auto classes = metadata_int(m, "classes", 2, 256);  // labels are bytes
  if (!classes) return R::failure(classes.error());
  c.input = input.value();
  c.hidden = hidden.value();
  c.classes = classes.value();
  if (auto refused = over_limit(classifier_parameters(c), "classifier"); !refused.empty()) return R::failure(refused);
  return R::success(c);
}

Result<DcganConfig> dcgan_config_from_metadata(const Metadata& m) {
  using R = Result<DcganConfig>;
  DcganConfig c;
  auto image = metadata_int(m, "image", 1, kMaxWidth);
  if (!image) return R::failure(image.error());
  auto latent = metadata_int(m, "latent", 1, kMaxLatent);
  if (!latent) return R::failure(latent.error());
  auto gen = metadata_int_list(m, "generator_channels", kMaxWidth, kMaxConvLayers);
  if (!gen) return R::failure(gen.error());
  auto disc = metadata_int_list(m, "discriminator_channels", kMaxWidth, kMaxConvLayers);
  if (!disc) return R::failure(disc.error());
  auto slope = leaky_slope_key(m);
  if (!slope) return R::failure(slope.error());
  auto bn_eps = batchnorm_eps_key(m);
  if (!bn_eps) return R::failure(bn_eps.error());
  auto objective = gan_loss_key(m);
  if (!objective) return R::failure(objective.error());
  auto sn = spectral_norm_key(m);
  if (!sn) return R::failure(sn.error());
  auto d_bn = metadata_switch(m, "discriminator_batchnorm", "0", "1", true);
  if (!d_bn) return R::failure(d_bn.error());
  c.objective = objective.value();
  c.spectral_norm = sn.value();
  c.discriminator_batchnorm = d_bn.value();
  for (const auto* layers : {&gen.value(), &disc.value()})
    if (auto problem = stride2_stack_problem(image.value(), static_cast<int>(layers->size())); !problem.empty())
      return R::failure("metadata describes a DCGAN that cannot be built: " + problem);
  auto classes = conditional_classes(m);
  if (!classes) return R::failure(classes.error());
  // How D reads the label: stated by a conditional file, absent otherwise.
  auto how = m.find("discriminator_conditioning");
  if (classes.value() > 0 && how == m.end())
    return R::failure("metadata has no \"discriminator_conditioning\" (required for a conditional DCGAN)");
  if (how != m.end()) {
    auto parsed = parse_discriminator_conditioning(how->second);
    if (classes.value() == 0 || !parsed)
      return R::failure("metadata \"discriminator_conditioning\" must be \"projection\" or \"channels\" and only "
                        "in a conditional DCGAN (with \"classes\"), not \"" + how->second + "\"");
    c.discriminator_conditioning = *parsed;
  }
  c.classes = classes.value();
  c.image = image.value();
  c.latent = latent.value();
  c.generator_channels = gen.value();
  c.discriminator_channels = disc.value();
  c.leaky_slope = slope.value();
  c.batchnorm_eps = bn_eps.value();
  const std::uint64_t n = dcgan_generator_parameters(c) + dcgan_discriminator_parameters(c);
  if (auto refused = over_limit(n, "DCGAN"); !refused.empty()) return R::failure(refused);
  return R::success(c);
}

Result<ConvVaeConfig> conv_vae_config_from_metadata(const Metadata& m) {
  using R = Result<ConvVaeConfig>;
  ConvVaeConfig c;
  auto input = metadata_int(m, "input", 1, kMaxWidth);
  if (!input) return R::failure(input.error());
  auto channels = metadata_int_list(m, "channels", kMaxWidth, kMaxConvLayers);
  if (!channels) return R::failure(channels.error());
  auto fc = metadata_int(m, "fc", 1, kMaxWidth);
  if (!fc) return R::failure(fc.error());
  auto latent = metadata_int(m, "latent", 1, kMaxLatent);
  if (!latent) return R::failure(latent.error());
  auto beta = beta_key(m);
  if (!beta) return R::failure(beta.error());
  if (auto problem = stride2_stack_problem(input.value(), static_cast<int>(channels.value().size())); !problem.empty())
    return R::failure("metadata describes a conv VAE that cannot be built: " + problem);
  auto classes = conditional_classes(m);
  if (!classes) return R::failure(classes.error());
  c.classes = classes.value();
  c.input = input.value();
  c.channels = channels.value();
  c.fc = fc.value();
  c.latent = latent.value();
  c.beta = beta.value();
  // The flattened code c_n·b² is an int in the layers: bounded before anything is multiplied out.
  if (static_cast<std::uint64_t>(c.channels.back()) * base_plane(c.input, c.channels.size()) > (1u << 30))
    return R::failure("metadata describes a conv VAE whose code layer is too large");
  if (auto refused = over_limit(conv_vae_parameters(c), "conv VAE"); !refused.empty()) return R::failure(refused);
  return R::success(c);
}

}  // namespace latentlab
