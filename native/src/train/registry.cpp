// The native side of each model kind (registry.hpp). Adding a kind: its trainer and one entry in
// kKinds, with the functions it points to in its own section below.
#include "train/registry.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "program.hpp"
#include "output/format.hpp"
#include "train/classifier_trainer.hpp"
#include "train/vae_trainer.hpp"
#include "train/dcgan_trainer.hpp"
#include "train/gan_trainer.hpp"

namespace latentlab::native {

namespace {

std::vector<int> reversed(std::vector<int> v) { return {v.rbegin(), v.rend()}; }

// A kind's configuration from a checkpoint's metadata, through its codec (core registry).
template <class Config, Result<Config> (*parse)(const Metadata&)>
Result<std::any> config_from_checkpoint(const Metadata& m) {
  auto c = parse(m);
  if (!c) return Result<std::any>::failure(c.error());
  return Result<std::any>::success(c.value());
}

// A conditional model's classes: the data set's (a fresh run), or the stored count, which must be
// the data set's (a resumed run).
int classes_for(int configured, const DataShape& data) {
  if (configured == kClassesOfData) return data.classes;
  if (configured > 0 && configured != data.classes)
    throw DataError("the checkpoint's model is conditional on " + std::to_string(configured) +
                    " classes, but the data set has " + std::to_string(data.classes));
  return configured;
}

// --discriminator-conditioning applies to the conditional DCGAN only.
void refuse_conditioning_flag(const ModelFlags& f) {
  if (f.discriminator_conditioning.given)
    throw UsageError("--discriminator-conditioning: only a conditional DCGAN (--model dcgan --conditional) chooses how "
                     "its discriminator reads the label");
}

// --gan-loss and --spectral-norm apply to the adversarial kinds only (and the conditioning flag
// to the conditional DCGAN).
void refuse_adversarial_flags(const ModelFlags& f, const char* kind) {
  if (f.gan_loss.given) throw UsageError(std::string("--gan-loss: only a GAN has an adversarial objective, ") + kind);
  if (f.spectral_norm) throw UsageError(std::string("--spectral-norm: only a GAN has a discriminator, ") + kind);
  refuse_conditioning_flag(f);
}

// The objective of a new run: --gan-loss, or the kind's default (ModelFlags carries it).
GanObjective objective_flag(const ModelFlags& f) {
  auto objective = parse_gan_objective(f.gan_loss.value);
  if (!objective)
    throw UsageError("--gan-loss: unknown objective '" + f.gan_loss.value + "' (expected " + gan_objective_names() + ")");
  return *objective;
}

void adversarial_resume_flags(GanObjective objective, bool spectral_norm, const ModelFlags& f, const Conflict& conflict) {
  if (f.gan_loss.given) conflict("--gan-loss", f.gan_loss.value, gan_objective_name(objective));
  if (f.spectral_norm) conflict("--spectral-norm", "on", spectral_norm ? "on" : "off");
}

void conditional_resume_flag(int classes, const ModelFlags& f, const Conflict& conflict) {
  if (f.conditional) conflict("--conditional", "a conditional model", classes > 0 ? "a conditional model" : "an unconditional model");
}

std::string conditional_text(const Metadata& m) {
  auto it = m.find("classes");
  return it == m.end() ? std::string() : ", conditional on " + it->second + " classes";
}

// ---- vae ----

Metrics vae_metrics(GenerativeModel& model, const Dataset& test, std::size_t n) {
  return vae_test_metrics(static_cast<Vae&>(model), test, n);
}

std::any vae_fresh(const ModelFlags& f) {
  if (f.disc_hidden.given) throw UsageError("--disc-hidden: only a GAN has a discriminator (--model gan)");
  refuse_adversarial_flags(f, "not a VAE (--model gan or dcgan)");
  VaeConfig c;
  c.latent = f.latent.value;
  c.beta = f.beta.value;
  if (f.hidden.given) c.hidden = f.hidden.value;
  if (f.conditional) c.classes = kClassesOfData;
  return c;
}

void vae_resume_flags(const std::any& config, const ModelFlags& f, const Conflict& conflict) {
  const VaeConfig& c = std::any_cast<const VaeConfig&>(config);
  if (f.disc_hidden.given) throw UsageError("--disc-hidden: only a GAN has a discriminator, the checkpoint holds a VAE");
  refuse_adversarial_flags(f, "the checkpoint holds a VAE");
  if (f.latent.given) conflict("--latent", std::to_string(f.latent.value), std::to_string(c.latent));
  if (f.hidden.given) conflict("--hidden", join_ints(f.hidden.value), join_ints(c.hidden));
  if (f.beta.given) conflict("--beta", shortest_float(f.beta.value), shortest_float(c.beta));
  conditional_resume_flag(c.classes, f, conflict);
}

std::unique_ptr<Trainer> vae_trainer(const std::any& config, const TrainingOptions& options, const DataShape& data) {
  VaeConfig c = std::any_cast<const VaeConfig&>(config);
  c.input = data.image_size;
  c.classes = classes_for(c.classes, data);
  return std::make_unique<VaeTrainer>(c, options);
}

std::string vae_describe(const Metadata& m) {
  return "VAE " + m.at("input") + "-[" + m.at("hidden") + "]-" + m.at("latent") + ", beta " + m.at("beta") +
         conditional_text(m);
}

// ---- gan ----

std::any gan_fresh(const ModelFlags& f) {
  if (f.beta.given) throw UsageError("--beta: only a VAE has a KL weight (--model vae)");
  if (f.kl_warmup.given) throw UsageError("--kl-warmup: only a VAE has a KL term (--model vae)");
  refuse_conditioning_flag(f);
  GanConfig c;
  c.latent = f.latent.value;
  if (f.hidden.given) {
    c.generator_hidden = f.hidden.value;
    c.discriminator_hidden = reversed(c.generator_hidden);
  }
  if (f.disc_hidden.given) c.discriminator_hidden = f.disc_hidden.value;
  c.objective = objective_flag(f);
  c.spectral_norm = f.spectral_norm;
  // "stable": LeakyReLU + BatchNorm(eps 0.8) in G (the PyTorch-GAN recipe); "plain": ReLU, no
  // normalisation — which mode-collapses on MNIST here and in PyTorch (docs/training.md).
  if (f.generator == "stable") {
    c.generator_leaky = true;
    c.generator_batchnorm = true;
    c.batchnorm_eps = 0.8f;
  }
  if (f.conditional) c.classes = kClassesOfData;
  return c;
}

void gan_resume_flags(const std::any& config, const ModelFlags& f, const Conflict& conflict) {
  const GanConfig& c = std::any_cast<const GanConfig&>(config);
  if (f.beta.given) throw UsageError("--beta: only a VAE has a KL weight, the checkpoint holds a GAN");
  if (f.kl_warmup.given) throw UsageError("--kl-warmup: only a VAE has a KL term, the checkpoint holds a GAN");
  refuse_conditioning_flag(f);
  if (f.latent.given) conflict("--latent", std::to_string(f.latent.value), std::to_string(c.latent));
  if (f.hidden.given) conflict("--hidden", join_ints(f.hidden.value), join_ints(c.generator_hidden));
  if (f.disc_hidden.given)
    conflict("--disc-hidden", join_ints(f.disc_hidden.value), join_ints(c.discriminator_hidden));
  conditional_resume_flag(c.classes, f, conflict);
  adversarial_resume_flags(c.objective, c.spectral_norm, f, conflict);
}

std::unique_ptr<Trainer> gan_trainer(const std::any& config, const TrainingOptions& options, const DataShape& data) {
  GanConfig c = std::any_cast<const GanConfig&>(config);
  c.image = data.image_size;
  c.classes = classes_for(c.classes, data);
  return std::make_unique<GanTrainer>(c, options);
}

// ", hinge loss, spectral norm": the objective (a file without the key is bce) and D's
// normalisation when on.
std::string adversarial_text(const Metadata& m) {
  auto it = m.find("gan_loss");
  std::string s = ", " + (it == m.end() ? std::string("bce") : it->second) + " loss";
  if (auto sn = m.find("spectral_norm"); sn != m.end() && sn->second == "1") s += ", spectral norm";
  return s;
}

std::string gan_describe(const Metadata& m) {
  return "GAN latent " + m.at("latent") + ", G [" + m.at("generator_hidden") + "], D [" + m.at("discriminator_hidden") + "]" +
         conditional_text(m) + adversarial_text(m);
}

// ---- classifier ----

std::any classifier_fresh(const ModelFlags& f) {
  if (f.beta.given) throw UsageError("--beta: only a VAE has a KL weight (--model vae)");
  if (f.kl_warmup.given) throw UsageError("--kl-warmup: only a VAE has a KL term (--model vae)");
  if (f.disc_hidden.given) throw UsageError("--disc-hidden: only a GAN has a discriminator (--model gan)");
  refuse_adversarial_flags(f, "not a classifier");
  if (f.latent.given) throw UsageError("--latent: a classifier has no latent space");
  if (f.conditional) throw UsageError("--conditional: a classifier predicts the class, it is not given one");
  ClassifierConfig c;
  if (f.hidden.given) c.hidden = f.hidden.value;
  return c;
}

void classifier_resume_flags(const std::any& config, const ModelFlags& f, const Conflict& conflict) {
  const ClassifierConfig& c = std::any_cast<const ClassifierConfig&>(config);
  if (f.disc_hidden.given || f.beta.given || f.latent.given || f.kl_warmup.given || f.conditional)
    throw UsageError("--disc-hidden, --beta, --kl-warmup, --latent and --conditional do not apply to the classifier the checkpoint holds");
  refuse_adversarial_flags(f, "the checkpoint holds a classifier");
  if (f.hidden.given) conflict("--hidden", join_ints(f.hidden.value), join_ints(c.hidden));
}

std::unique_ptr<Trainer> classifier_trainer(const std::any& config, const TrainingOptions& options,
                                            const DataShape& data) {
  ClassifierConfig c = std::any_cast<const ClassifierConfig&>(config);
  c.input = data.image_size;
  c.classes = data.classes;
  return std::make_unique<ClassifierTrainer>(c, options);
}

std::string classifier_describe(const Metadata& m) {
  return "classifier " + m.at("input") + "-[" + m.at("hidden") + "]-" + m.at("classes") + " (ReLU)";
}

// ---- dcgan ----

std::any dcgan_fresh(const ModelFlags& f) {
  if (f.beta.given) throw UsageError("--beta: only a VAE has a KL weight (--model vae or conv-vae)");
  DcganConfig c;
  c.latent = f.latent.value;
  if (f.hidden.given) {
    c.generator_channels = f.hidden.value;
    c.discriminator_channels = reversed(c.generator_channels);
  }
  if (f.disc_hidden.given) c.discriminator_channels = f.disc_hidden.value;
  c.objective = objective_flag(f);
  c.spectral_norm = f.spectral_norm;
  // The WGAN-GP paper's critic has no BatchNorm (a batch statistic would make the penalty's
  // per-image gradient depend on the other images).
  if (c.objective == GanObjective::Wasserstein) c.discriminator_batchnorm = false;
  if (f.conditional) c.classes = kClassesOfData;
  if (f.discriminator_conditioning.given) {
    if (!f.conditional)
      throw UsageError("--discriminator-conditioning: only a conditional DCGAN reads a label (add --conditional)");
    auto how = parse_discriminator_conditioning(f.discriminator_conditioning.value);
    if (!how)
      throw UsageError("--discriminator-conditioning: unknown way '" + f.discriminator_conditioning.value +
                       "' (expected projection or channels)");
    c.discriminator_conditioning = *how;
  }
  return c;
}

void dcgan_resume_flags(const std::any& config, const ModelFlags& f, const Conflict& conflict) {
  const DcganConfig& c = std::any_cast<const DcganConfig&>(config);
  if (f.beta.given) throw UsageError("--beta: only a VAE has a KL weight, the checkpoint holds a DCGAN");
  if (f.latent.given) conflict("--latent", std::to_string(f.latent.value), std::to_string(c.latent));
  if (f.hidden.given) conflict("--hidden", join_ints(f.hidden.value), join_ints(c.generator_channels));
  if (f.disc_hidden.given)
    conflict("--disc-hidden", join_ints(f.disc_hidden.value), join_ints(c.discriminator_channels));
  adversarial_resume_flags(c.objective, c.spectral_norm, f, conflict);
  conditional_resume_flag(c.classes, f, conflict);
  if (f.discriminator_conditioning.given) {
    if (c.classes == 0)
      throw UsageError("--discriminator-conditioning: only a conditional DCGAN reads a label, the checkpoint's is "
                       "unconditional");
    conflict("--discriminator-conditioning", f.discriminator_conditioning.value,
             discriminator_conditioning_name(c.discriminator_conditioning));
  }
}

std::unique_ptr<Trainer> dcgan_trainer(const std::any& config, const TrainingOptions& options, const DataShape& data) {
  DcganConfig c = std::any_cast<const DcganConfig&>(config);
  c.image = data.image_size;
  c.classes = classes_for(c.classes, data);
  // The data decide the image side: refuse one the stride-2 stacks cannot have before building.
  for (const auto* layers : {&c.generator_channels, &c.discriminator_channels})
    if (auto problem = stride2_stack_problem(c.image, static_cast<int>(layers->size())); !problem.empty())
      throw UsageError("--hidden/--disc-hidden: " + problem);
  return std::make_unique<DcganTrainer>(c, options);
}

std::string dcgan_describe(const Metadata& m) {
  return "DCGAN latent " + m.at("latent") + ", G channels [" + m.at("generator_channels") + "], D channels [" +
         m.at("discriminator_channels") + "] (k4 s2 p1" +
         (m.count("discriminator_batchnorm") && m.at("discriminator_batchnorm") == "0" ? ", no BatchNorm in D" : ", BatchNorm") +
         ")" + adversarial_text(m) + conditional_text(m) +
         (m.count("discriminator_conditioning") ? ", D by " + m.at("discriminator_conditioning") : "");
}

// ---- conv-vae ----

Metrics conv_vae_metrics(GenerativeModel& model, const Dataset& test, std::size_t n) {
  return vae_test_metrics(static_cast<ConvVae&>(model), test, n);
}

std::any conv_vae_fresh(const ModelFlags& f) {
  if (f.disc_hidden.given) throw UsageError("--disc-hidden: only a GAN has a discriminator (--model gan or dcgan)");
  refuse_adversarial_flags(f, "not a conv VAE (--model gan or dcgan)");
  ConvVaeConfig c;
  c.latent = f.latent.value;
  c.beta = f.beta.value;
  if (f.hidden.given) c.channels = f.hidden.value;
  if (f.conditional) c.classes = kClassesOfData;
  return c;
}

void conv_vae_resume_flags(const std::any& config, const ModelFlags& f, const Conflict& conflict) {
  const ConvVaeConfig& c = std::any_cast<const ConvVaeConfig&>(config);
  if (f.disc_hidden.given)
    throw UsageError("--disc-hidden: only a GAN has a discriminator, the checkpoint holds a conv VAE");
  refuse_adversarial_flags(f, "the checkpoint holds a conv VAE");
  if (f.latent.given) conflict("--latent", std::to_string(f.latent.value), std::to_string(c.latent));
  if (f.hidden.given) conflict("--hidden", join_ints(f.hidden.value), join_ints(c.channels));
  if (f.beta.given) conflict("--beta", shortest_float(f.beta.value), shortest_float(c.beta));
  conditional_resume_flag(c.classes, f, conflict);
}

std::unique_ptr<Trainer> conv_vae_trainer(const std::any& config, const TrainingOptions& options,
                                          const DataShape& data) {
  ConvVaeConfig c = std::any_cast<const ConvVaeConfig&>(config);
  c.input = data.image_size;
  c.classes = classes_for(c.classes, data);
  if (auto problem = stride2_stack_problem(c.input, static_cast<int>(c.channels.size())); !problem.empty())
    throw UsageError("--hidden: " + problem);
  return std::make_unique<ConvVaeTrainer>(c, options);
}

std::string conv_vae_describe(const Metadata& m) {
  return "conv VAE " + m.at("input") + " channels [" + m.at("channels") + "] (k4 s2 p1)-" + m.at("fc") + "-" +
         m.at("latent") + ", beta " + m.at("beta") + conditional_text(m);
}

// Defaults: PyTorch's examples/vae and the usual MLP GAN recipe, with wgan-gp as the unconditional
// MLP GAN's objective; the conditional one and the DCGAN (PyTorch's DCGAN recipe) keep bce.
// docs/objectives.md says why.
const NativeKind kKinds[] = {
    {find_model_kind("vae"), "input hidden latent beta classes", vae_metrics,
     {10, 128, "1e-3", 20, "400", "", "", 4, 20,
      "--epochs 10  --batch 128  --lr 1e-3 (Adam 0.9, 0.999)  --latent 20   --hidden 400  --beta 1;\n"
      "       with --conditional --beta 4 --epochs 20 (at β 1 its samples were the class asked for 64 % of the\n"
      "       time: docs/evaluation.md); pixels in [0,1]; an epoch includes the last partial batch"},
     false, vae_fresh, config_from_checkpoint<VaeConfig, vae_config_from_metadata>, vae_resume_flags, vae_trainer,
     vae_describe},
    // The GAN's test metric needs the discriminator, which a file may leave out.
    {find_model_kind("gan"),
     "image latent generator_hidden discriminator_hidden leaky_slope generator_activation generator_batchnorm "
     "batchnorm_eps classes gan_loss=bce spectral_norm",
     nullptr,
     {30, 64, "2e-4", 100, "128,256,512,1024", "wgan-gp", "bce", 0, 0,
      "--epochs 30  --batch 64   --latent 100  --hidden 128,256,512,1024 (G)  --disc-hidden 1024,512,256 (D)\n"
      "       --gan-loss wgan-gp: --n-critic 5  --gp-lambda 10  --lr 1e-4 (Adam 0, 0.9);\n"
      "       with --conditional --gan-loss bce (with wgan-gp it learned little of the label: docs/objectives.md);\n"
      "       bce, lsgan, hinge: --lr 2e-4 (Adam 0.5, 0.999 for G and D);\n"
      "       pixels in [-1,1]; an epoch drops the last partial batch"},
     false, gan_fresh, config_from_checkpoint<GanConfig, gan_config_from_metadata>, gan_resume_flags, gan_trainer,
     gan_describe},
    // The DCGAN's test metric needs the discriminator, which a file may leave out.
    {find_model_kind("dcgan"),
     "image latent generator_channels discriminator_channels leaky_slope batchnorm_eps discriminator_batchnorm gan_loss=bce "
     "spectral_norm classes discriminator_conditioning",
     nullptr,
     {20, 64, "2e-4", 100, "128,64", "bce", "bce", 0, 5,
      "--epochs 20  --batch 64   --gan-loss bce  --lr 2e-4 (Adam 0.5, 0.999 for G and D)  --latent 100;\n"
      "       with --conditional --epochs 5 (FD 23.4 after 20 epochs, the conditional one 7.4 after 5; 3 seeds\n"
      "       each: docs/evaluation.md)\n"
      "       --hidden 128,64 (G channels)  --disc-hidden 64,128 (D channels); k4 s2 p1 convolutions,\n"
      "       BatchNorm, DCGAN N(0, 0.02) init; pixels in [-1,1]; an epoch drops the last partial batch"},
     false, dcgan_fresh, config_from_checkpoint<DcganConfig, dcgan_config_from_metadata>, dcgan_resume_flags,
     dcgan_trainer, dcgan_describe},
    {find_model_kind("conv-vae"), "input channels fc latent beta classes", conv_vae_metrics,
     {10, 128, "1e-3", 20, "32,64", "", "", 4, 0,
      "--epochs 10  --batch 128  --lr 1e-3 (Adam 0.9, 0.999)  --latent 20   --hidden 32,64 (conv channels)\n"
      "       --beta 1; with --conditional --beta 4 (docs/evaluation.md); k4 s2 p1 convolutions, Linear width\n"
      "       256; pixels in [0,1]; the last partial batch is kept"},
     false, conv_vae_fresh, config_from_checkpoint<ConvVaeConfig, conv_vae_config_from_metadata>,
     conv_vae_resume_flags, conv_vae_trainer, conv_vae_describe},
    {find_model_kind("classifier"), "input hidden classes", nullptr,
     {15, 128, "1e-3", 0, "512,256", "", "", 0, 0,
      "--epochs 15  --batch 128  --lr 1e-3 (Adam 0.9, 0.999)  --hidden 512,256\n"
      "       784-512-256-10 ReLU MLP, softmax cross-entropy, training images shifted by up to 2 pixels;\n"
      "       no sample grids (docs/evaluation.md)"},
     true, classifier_fresh, config_from_checkpoint<ClassifierConfig, classifier_config_from_metadata>,
     classifier_resume_flags, classifier_trainer,
     classifier_describe},
};

}  // namespace

const NativeKind& native_kind(const ModelKind& kind) {
  for (const NativeKind& k : kKinds)
    if (k.kind == &kind) return k;
  throw std::logic_error(std::string("model kind \"") + kind.name + "\" has no native registration");
}

const NativeKind* find_native_kind(const std::string& name) {
  for (const NativeKind& k : kKinds)
    if (name == k.kind->name) return &k;
  return nullptr;
}

const std::vector<const NativeKind*>& native_kinds() {
  static const std::vector<const NativeKind*> all = [] {
    std::vector<const NativeKind*> v;
    for (const NativeKind& k : kKinds) v.push_back(&k);
    return v;
  }();
  return all;
}

std::string native_kind_names() {
  std::string s;
  const std::size_t n = std::size(kKinds);
  for (std::size_t i = 0; i < n; ++i) s += (i == 0 ? "" : i + 1 == n ? " or " : ", ") + std::string(kKinds[i].kind->name);
  return s;
}

}  // namespace latentlab::native
