// Deep convolutional GAN (Radford et al. 2016) as in PyTorch's DCGAN example, for one-channel
// square images of side S (MNIST: 28) with the non-saturating generator loss. With generator
// channels g₁…g_n and discriminator channels d₁…d_m (defaults 128,64 and 64,128), every
// (transposed) convolution is k4 s2 p1, which doubles (halves) the side:
//   generator      z (latent) → Linear → g₁ × S/2ⁿ × S/2ⁿ → BN → ReLU
//                  → [ConvT(gᵢ → gᵢ₊₁) → BN → ReLU] for i < n → ConvT(g_n → 1) → tanh (pixels in [−1, 1])
//   discriminator  image → Conv(1 → d₁) → LeakyReLU(slope) → [Conv(dᵢ → dᵢ₊₁) → BN → LeakyReLU] for i < m
//                  → Linear(d_m · (S/2ᵐ)² → 1 logit)
// Activations are NCHW rows (nn/image_shape.hpp): a Linear reads a conv layer's output as is.
// Initialisation as the example's weights_init: conv and linear weights ~ N(0, 0.02), BatchNorm
// γ ~ N(1, 0.02), β = 0; biases as PyTorch's layer defaults (U(±1/√fan_in)), except that a conv
// bias a BatchNorm follows is 0 and stays 0 (its gradient is exactly 0; the example has bias=False).
// One training iteration, as the example (each D pass is its own BatchNorm batch):
//   1. sample_fakes: z ~ N(0, I), fakes = G(z)  (BN on batch statistics)
//   2. discriminator_gradients(real): ∇_D [BCE(D(real), 1) + BCE(D(fakes), 0)] (means over the
//      batch), D run once on the real and once on the detached fake batch
//   3. (caller) Adam step on D
//   4. generator_gradients(): ∇_G BCE(D(fakes), 1) = mean softplus(−D(G(z))) through the updated D
//   5. (caller) Adam step on G
// decode and discriminate use the BatchNorm running statistics (eval mode).
// Other objectives (config.objective, nn/gan_objectives.hpp) replace the losses of steps 2 and 4;
// D's output is then a critic score. With discriminator_batchnorm false, D has no BatchNorm (each
// conv's LeakyReLU is fused, its bias trains). With spectral_norm, every D weight (convs and
// the output Linear) is used as W/σ(W) (nn/spectral_norm_set.hpp): one power iteration per
// discriminator_gradients; u and v are saved in "discriminator.buffers" after the BatchNorm
// statistics. wgan-gp (whose critic must have no BatchNorm, which the constructor checks) adds the
// gradient penalty to step 2 through the critic's double backward (input_gradient below).
// Conditional (classes > 0): every image has a class y. G reads [z | onehot(y)] (LabelInput, as
// the MLP cGAN); D reads y one of two ways (config.discriminator_conditioning):
//   projection (Miyato & Koyama 2018, nn/class_projection.hpp):
//     logit = ψ(h) + ⟨E[y], h⟩,   h = the flattened features discriminator.out reads,
//     E = "discriminator.embed.weight" [classes × features];
//   channels: D's input is the image and `classes` constant S×S planes, plane y all ones and the
//     others zero (LabelInput with plane S², nn/label_input.hpp), so conv1 is Conv(1 + classes → d₁)
//     and nothing else changes; dL/dimage is the image channel of conv1's input gradient.
// In training the fakes are asked for the real batch's labels, so D sees each class equally often
// real and fake.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "latentlab/models/gan.hpp"
#include "latentlab/models/model.hpp"
#include "latentlab/nn/activations.hpp"
#include "latentlab/nn/batchnorm2d.hpp"
#include "latentlab/nn/class_projection.hpp"
#include "latentlab/nn/conv2d.hpp"
#include "latentlab/nn/conv_transpose2d.hpp"
#include "latentlab/nn/gradient_penalty.hpp"
#include "latentlab/nn/label_input.hpp"
#include "latentlab/nn/linear.hpp"
#include "latentlab/nn/spectral_norm_set.hpp"

namespace latentlab {

// How a conditional DCGAN's discriminator reads the label (metadata "discriminator_conditioning").
enum class DiscriminatorConditioning { Projection, Channels };
const char* discriminator_conditioning_name(DiscriminatorConditioning how);  // "projection", "channels"
std::optional<DiscriminatorConditioning> parse_discriminator_conditioning(const std::string& name);

struct DcganConfig {
  int image = 784;  // pixels of a square one-channel image; the side must be divisible by 2ⁿ and 2ᵐ
  int latent = 100;
  std::vector<int> generator_channels = {128, 64};
  std::vector<int> discriminator_channels = {64, 128};
  float leaky_slope = 0.2f;
  float batchnorm_eps = 1e-5f;
  // As GanConfig's: the objective, and spectral normalisation of every D weight.
  GanObjective objective = GanObjective::Bce;
  bool spectral_norm = false;
  // false: D has no BatchNorm (its conv biases then train): the WGAN-GP critic, whose gradient
  // penalty is per image, which a batch statistic would break.
  bool discriminator_batchnorm = true;
  // 0: unconditional; else the number of classes G and D are conditioned on.
  int classes = 0;
  // How a conditional D reads the label (ignored when classes is 0).
  DiscriminatorConditioning discriminator_conditioning = DiscriminatorConditioning::Projection;
};

// The conv stacks' fixed geometry: kernel 4, stride 2, padding 1 (side ×2 or ÷2).
constexpr int kDcganKernel = 4, kDcganStride = 2, kDcganPadding = 1;

// The side of a square image of `image` pixels, or 0 when it is not a square.
int square_side(int image);
// "" when a stack of `layers` stride-2 layers fits a square image of `image` pixels (its side is
// divisible by 2^layers), else why not.
std::string stride2_stack_problem(int image, int layers);

class Dcgan : public GenerativeModel {
 public:
  // Throws std::invalid_argument for sizes the stacks cannot have (checked by the codec first).
  explicit Dcgan(const DcganConfig& config);

  const DcganConfig& config() const { return config_; }
  ParameterSet& generator_parameters() { return generator_params_; }
  ParameterSet& discriminator_parameters() { return discriminator_params_; }
  // BatchNorm running statistics (saved with the model, not trained).
  ParameterSet& generator_buffers() { return generator_buffers_; }
  ParameterSet& discriminator_buffers() { return discriminator_buffers_; }
  void init(Rng& rng);

  // GenerativeModel: pixels (G(z) + 1) / 2.
  int latent_dim() const override { return config_.latent; }
  int image_size() const override { return config_.image; }
  PixelRange pixel_range() const override { return PixelRange::MinusOneOne; }
  int classes() const override { return config_.classes; }
  void decode(const float* z, const int* labels, int n, float* pixels) override;

  // Step 1: z (batch × latent) drawn from rng, or given; fakes = G(z) in training mode.
  // labels: the fakes' classes (batch values, copied; the real batch's in training) for a
  // conditional DCGAN, else nullptr. Steps 2 and 4 use them for the real and the fake images alike.
  void sample_fakes(int batch, Rng& rng, const int* labels = nullptr);
  void set_fakes_from(const float* z, int batch, const int* labels = nullptr);
  const float* fakes() const;
  const float* latents() const { return z_.data(); }
  // Step 2: writes every gradient of D. real is batch × image in [−1, 1]. Also returns L_G of
  // the fakes under this D before its update, as `generator`.
  // wgan-gp needs `penalty` (λ and ε per image).
  GanLosses discriminator_gradients(const float* real, const GradientPenaltyDraw* penalty = nullptr);

  // Second order, for a penalty P(g) on the critic's input gradient g = ∂D/∂x (WGAN-GP; D without
  // BatchNorm, so a chain of convs and a Linear with piecewise-linear activations), as
  // Mlp::input_gradient: with a_l the backward's pre-activation adjoints for ∂D/∂out = 1 and
  // u = ∂P/∂g, t₀ = u, t_l = f_l′ ⊙ A_l(t_{l−1}) (Conv2d/Linear::tangent_forward) and
  // dP/dW_l = the weight gradient of A_l for input t_{l−1} and output gradient a_l; dP/db = 0.
  // input_gradient: forward(x) and that backward; writes g (batch × image).
  void input_gradient(const float* x, int batch, float* g);
  // Adds dP/dW_l to D's weight gradients, after input_gradient on the same batch.
  void input_gradient_backward(const float* u, int batch);
  // Step 4: writes every gradient of G (D's parameter gradients are not touched). Returns L_G.
  double generator_gradients();

  // G(z) with pixels in [−1, 1] (n × image), eval mode. Overwrites G's activations: not
  // between sample_fakes and generator_gradients. labels as in decode.
  void generate(const float* z, const int* labels, int n, float* images);
  void generate(const float* z, int n, float* images) { generate(z, nullptr, n, images); }
  // D's logits (n) of images (n × image), eval mode; labels: their classes (conditional).
  // A conditional model throws std::invalid_argument without labels (decode, generate likewise).
  void discriminate(const float* images, const int* labels, int n, float* logits);
  void discriminate(const float* images, int n, float* logits) { discriminate(images, nullptr, n, logits); }

  // Test hook (gradient checks): normalize(false) … restore() runs D as the passes do.
  SpectralNormSet& discriminator_spectral_norm() { return d_sn_; }
  // Test hook (gradient checks): appends [unit > 0] for every ReLU / LeakyReLU output of the
  // last G pass and the last D pass, `batch` images each.
  void unit_states(int batch, std::vector<char>& states) const;

 private:
  void reserve(int batch);
  // Calls f(set, tensor name) for each conv bias that a BatchNorm follows (held at 0: dcgan.cpp).
  void for_each_bias_before_batchnorm(const std::function<void(ParameterSet&, const std::string&)>& f);
  // Throws std::invalid_argument when a conditional model gets no labels.
  void require_labels(const int* labels) const;
  void set_fakes(int batch, const int* labels);  // copies the labels, runs G in training mode on z_
  const float* generator_forward(const float* z, const int* labels, int batch, bool training);
  // dL/dfakes (batch × image) → G's parameter gradients (written).
  void generator_backward(float* grad_out, int batch);
  const float* discriminator_forward(const float* x, const int* labels, int batch, bool training);
  // grad_logits → D's parameter gradients (per mode) and dL/dx when grad_x is not null.
  void discriminator_backward(const float* x, const int* labels, float* grad_logits, int batch, ParamGrads mode,
                              float* grad_x);

  DcganConfig config_;
  ParameterSet generator_params_, discriminator_params_, generator_buffers_, discriminator_buffers_;
  // Generator: fc, then per stage i a BatchNorm and (i + 1 < n) a ConvT, and the output ConvT.
  std::unique_ptr<Linear> g_fc_;
  std::vector<std::unique_ptr<BatchNorm2d>> g_bn_;
  std::vector<std::unique_ptr<ConvTranspose2d>> g_deconv_;  // n of them; the last one outputs the image
  // Discriminator: per stage a Conv (BatchNorm from the second on), then the output Linear.
  std::vector<std::unique_ptr<Conv2d>> d_conv_;
  std::vector<std::unique_ptr<BatchNorm2d>> d_bn_;  // d_bn_[i] follows d_conv_[i + 1]
  std::unique_ptr<Linear> d_out_;
  SpectralNormSet d_sn_;
  AlignedBuffer interpolates_, input_grad_, grad_input_grad_, ones_;  // wgan-gp (ones_: ∂D/∂out = 1)
  std::vector<AlignedBuffer> tangent_;                                 // t_l of input_gradient_backward
  // Conditional only: G's label input, and D's class projection (on d_act_.back()) or its label
  // planes (d_label_.classes() > 0: conv1 reads d_in_ = [x | planes]; d_in_grad_ its gradient).
  LabelInput g_label_{0, 0}, d_label_{0, 0};
  std::unique_ptr<ClassProjection> d_embed_;
  AlignedBuffer d_in_, d_in_grad_;
  ActivationSpec relu_{Activation::ReLU, 0.0f}, leaky_{Activation::LeakyReLU, 0.2f};

  int batch_ = 0, capacity_ = 0;
  AlignedBuffer z_;
  // Generator activations: pre_[i] the output of the layer before BN i, act_[i] after BN + ReLU;
  // out_ the image. Discriminator: d_pre_[i] each conv's output, d_act_[i] after BN + LeakyReLU
  // (d_act_[0] is conv 1's fused output), d_logits_.
  std::vector<AlignedBuffer> g_pre_, g_act_, g_grad_, d_pre_, d_act_, d_grad_;
  AlignedBuffer g_out_, grad_fakes_, d_logits_, grad_logits_;
  std::vector<int> labels_;  // the fakes' labels of the current iteration (conditional)
  AlignedBuffer g_in_;       // [z | onehot] of the last G pass (conditional)
};

}  // namespace latentlab
