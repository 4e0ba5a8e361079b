// MLP generative adversarial network (Goodfellow et al. 2014), trained with the objective of its
// configuration (nn/gan_objectives.hpp; bce, the non-saturating loss, by default; the formulas
// below are bce's).
//   generator      z ~ N(0, I) (latent) → hidden… (ReLU) → image (Tanh, pixels in [−1, 1])
//   discriminator  image → hidden… (LeakyReLU slope) → 1 logit
// One training iteration (as in PyTorch's DCGAN example):
//   1. sample_fakes: z ~ N(0,I), fakes = G(z)
//   2. discriminator_gradients(real): ∇_D [mean softplus(−D(real)) + mean softplus(D(fakes))]
//   3. (caller) Adam step on D
//   4. generator_gradients(): ∇_G mean softplus(−D(fakes)), backpropagated through the updated D
//   5. (caller) Adam step on G
// Other objectives replace the losses of steps 2 and 4 (D's output is then a critic score);
// wgan-gp adds the gradient penalty to step 2 (nn/gradient_penalty.hpp: λ and ε come from the
// trainer), which needs D without BatchNorm (it has none). With spectral_norm, every D weight is
// used as W/σ(W) (nn/spectral_norm_set.hpp): one power iteration per discriminator_gradients,
// u and v saved as the group "discriminator.buffers".
// Conditional (classes > 0; Mirza & Osindero 2014): every image has a class y; the generator
// reads [z | onehot(y)] and the discriminator [x | onehot(y)] (LabelInput, nn/label_input.hpp).
// In training the fakes are asked for the real batch's labels, so D sees each class equally
// often real and fake.
#pragma once

#include <vector>

#include "latentlab/models/model.hpp"
#include "latentlab/nn/gan_objectives.hpp"
#include "latentlab/nn/gradient_penalty.hpp"
#include "latentlab/nn/label_input.hpp"
#include "latentlab/nn/mlp.hpp"
#include "latentlab/nn/spectral_norm_set.hpp"

namespace latentlab {

struct GanConfig {
  int image = 784;
  int latent = 100;
  std::vector<int> generator_hidden = {128, 256, 512, 1024};
  std::vector<int> discriminator_hidden = {1024, 512, 256};
  float leaky_slope = 0.2f;
  // Generator variants. The plain recipe above (ReLU, no normalisation) mode-collapses on MNIST
  // in our trainer and in PyTorch alike (docs/training.md); the widely used PyTorch-GAN recipe
  // adds BatchNorm1d(eps 0.8) after every generator hidden Linear but the first and uses
  // LeakyReLU(leaky_slope) in the generator.
  bool generator_leaky = false;
  bool generator_batchnorm = false;
  float batchnorm_eps = 1e-5f;
  // 0: unconditional; else the number of classes G and D are conditioned on.
  int classes = 0;
  // The adversarial objective (nn/gan_objectives.hpp): it decides what D's output is, a logit
  // (bce) or a critic score (the others).
  GanObjective objective = GanObjective::Bce;
  // Spectral normalisation of every D weight (nn/spectral_norm.hpp, adversarial_spectral_norm.hpp).
  bool spectral_norm = false;
};

struct GanLosses {
  double discriminator = 0;  // L_D (mean over the batch), the gradient penalty included
  double generator = 0;      // L_G (mean over the batch)
  double real_score = 0;     // mean σ(D(real)) for bce; a critic's mean D(real) otherwise
  double fake_score = 0;     // the same of D(fake)
  double penalty = 0;        // the gradient penalty's part of L_D (wgan-gp; 0 otherwise)
};

// The score a log shows of D's raw outputs: σ(s) when they are logits (bce), s for a critic.
double shown_score(GanObjective objective, float s);

class Gan : public GenerativeModel {
 public:
  explicit Gan(const GanConfig& config);

  const GanConfig& config() const { return config_; }
  ParameterSet& generator_parameters() { return generator_params_; }
  ParameterSet& discriminator_parameters() { return discriminator_params_; }
  const ParameterSet& generator_parameters() const { return generator_params_; }
  const ParameterSet& discriminator_parameters() const { return discriminator_params_; }
  // Running statistics of the generator's BatchNorm layers (saved with the model, not trained).
  ParameterSet& generator_buffers() { return generator_buffers_; }
  const ParameterSet& generator_buffers() const { return generator_buffers_; }
  Mlp& generator() { return generator_; }
  Mlp& discriminator() { return discriminator_; }
  // Spectral norm's u and v of every D weight (empty without spectral_norm).
  ParameterSet& discriminator_buffers() { return discriminator_buffers_; }
  // Test hook (gradient checks): normalize(false) … restore() runs D as the passes do.
  SpectralNormSet& discriminator_spectral_norm() { return d_sn_; }
  void init(Rng& rng);

  // GenerativeModel: pixels (G(z) + 1) / 2.
  int latent_dim() const override { return config_.latent; }
  int image_size() const override { return config_.image; }
  PixelRange pixel_range() const override { return PixelRange::MinusOneOne; }
  int classes() const override { return config_.classes; }
  void decode(const float* z, const int* labels, int n, float* pixels) override;
  MlpDecoder mlp_decoder() const override { return {&generator_, false}; }

  // Step 1: draws z (batch×latent) from rng and generates fakes. z may instead be given.
  // labels: the fakes' classes (batch values, copied; the real batch's in training) for a
  // conditional GAN, else nullptr. Steps 2 and 4 use them for the real and the fake images alike.
  void sample_fakes(int batch, Rng& rng, const int* labels = nullptr);
  void set_fakes_from(const float* z, int batch, const int* labels = nullptr);
  const float* fakes() const { return generator_.output(); }
  const float* latents() const { return z_.data(); }
  // Step 2: writes every gradient of D. real is batch×image in [−1, 1]. Returns L_D etc. (and
  // L_G of the fakes under this D before its update, as `generator`). wgan-gp needs `penalty`.
  GanLosses discriminator_gradients(const float* real, const GradientPenaltyDraw* penalty = nullptr);
  // Step 4: writes every gradient of G (D's parameter gradients are not touched). Returns L_G.
  double generator_gradients();

  // Images G(z) with pixels in [−1, 1] (n×image). Overwrites G's activations: do not call
  // between sample_fakes and generator_gradients. labels as in decode.
  void generate(const float* z, const int* labels, int n, float* images);
  void generate(const float* z, int n, float* images) { generate(z, nullptr, n, images); }
  // Discriminator logits of images (n×image) into logits (n); labels: their classes (conditional).
  void discriminate(const float* images, const int* labels, int n, float* logits);
  void discriminate(const float* images, int n, float* logits) { discriminate(images, nullptr, n, logits); }

 private:
  void reserve(int batch);
  // G's input for z (n rows) and labels: z itself, or [z | onehot] in g_input_ (conditional;
  // throws std::invalid_argument without labels). D's likewise for images, in d_scratch_.
  const float* generator_input(const float* z, const int* labels, int n);
  const float* discriminator_input(const float* images, const int* labels, int n);
  void generate_fakes(int batch, const int* labels);
  // Adds the gradient penalty's ∂P/∂θ_D to D's gradients; returns P.
  double add_gradient_penalty(const float* real, const GradientPenaltyDraw& draw);
  GanConfig config_;
  ParameterSet generator_params_, discriminator_params_, generator_buffers_, discriminator_buffers_;
  Mlp generator_, discriminator_;
  SpectralNormSet d_sn_;
  AlignedBuffer interpolates_, input_grad_, grad_input_grad_;  // wgan-gp: x̂, g = ∂D/∂x̂, ∂P/∂g
  int batch_ = 0, capacity_ = 0;
  AlignedBuffer z_;            // batch×latent
  AlignedBuffer d_input_;      // [real; fakes]: 2·batch×image, so D sees both in one pass
  AlignedBuffer grad_logits_;  // 2·batch
  AlignedBuffer grad_fakes_;   // batch×image
  // Conditional only:
  LabelInput g_label_, d_label_;
  std::vector<int> labels_, d_labels_;  // the fakes' labels (batch); [labels; labels] (2·batch)
  AlignedBuffer g_input_;     // [z | onehot] of the last generator pass
  AlignedBuffer d_scratch_;   // [images | onehot] of D's last pass
  AlignedBuffer grad_d_in_;   // dL/d[fakes | onehot] (batch×(image + classes))
  std::size_t g_input_rows_ = 0, d_scratch_rows_ = 0;
};

}  // namespace latentlab
