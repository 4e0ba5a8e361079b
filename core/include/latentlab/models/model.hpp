// What every model kind is to the code that does not care which kind it is: the CLI, the
// evaluator, export, the weights loader, the wasm ABI and (through it) the page. They read a
// model's capabilities (has_encoder, pixel_range, classes) and never compare its kind's name;
// the kinds themselves are listed once, in models/registry.cpp.
//
//   Model            tensor groups (what is saved, trained and needed to generate)
//   GenerativeModel  latent → pixels in [0, 1]; latent size, image shape, pixel range, classes
//   VariationalModel a generative model with an encoder q(z|x) = N(μ, diag exp(logvar)) and a
//                    Bernoulli decoder p(x|z) = Bernoulli(σ(logits)) (the VAE)
//
// Only what the page needs is virtual: every virtual function is linked into the page's wasm
// module, used or not. Training-side functions (init, losses) stay on the concrete classes, which
// the trainers know.
//
// Pixel ranges: a model sees its images in its own range and shows them in [0, 1]:
//   ZeroOne      model pixel = p                 (sigmoid outputs: the VAE, the classifier)
//   MinusOneOne  model pixel = 2p − 1, p = (x + 1) / 2   (tanh outputs: the GAN)
#pragma once

#include <cstddef>
#include <vector>

#include "latentlab/nn/parameters.hpp"

namespace latentlab {

class Rng;
class Mlp;

enum class PixelRange { ZeroOne, MinusOneOne };

// The affine map from a pixel p ∈ [0, 1] to the model's range: scale · p + shift.
struct PixelMap {
  float scale, shift;
};
PixelMap pixel_map(PixelRange range);
// The metadata spelling: "0,1" or "-1,1".
const char* pixel_range_name(PixelRange range);
// In place: model-range pixels → [0, 1] (identity for ZeroOne; (x + 1) / 2 for MinusOneOne).
void pixels_to_unit(PixelRange range, float* pixels, std::size_t count);

// One ParameterSet of a model with its role. A model's groups, in save order, are all a file,
// a checkpoint and an optimiser need to know about it.
struct TensorGroup {
  const char* name;         // "generator", "discriminator", "generator.buffers", or "" for a one-set model
  ParameterSet* set;
  bool trained;             // has gradients and an optimiser (BatchNorm running statistics: false)
  bool needed_to_generate;  // a file for sampling must hold it; false: optional on load, all or nothing
};

class Model {
 public:
  Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  virtual ~Model() = default;

  // The groups, in save order (a model has at most kMaxGroups).
  struct Groups {
    const TensorGroup* first;
    std::size_t count;
    const TensorGroup* begin() const { return first; }
    const TensorGroup* end() const { return first + count; }
    std::size_t size() const { return count; }
    const TensorGroup& operator[](std::size_t i) const { return first[i]; }
  };
  Groups tensor_groups() const { return {groups_, count_}; }
  // Parameters of the trained groups (real values, no alignment padding).
  std::size_t parameter_count() const;

 protected:
  // Called by each model's constructor, in save order, after its sets are allocated.
  void add_group(const char* name, ParameterSet& set, bool trained, bool needed_to_generate);

 private:
  static constexpr std::size_t kMaxGroups = 4;
  TensorGroup groups_[kMaxGroups] = {};
  std::size_t count_ = 0;
};

class VariationalModel;

class GenerativeModel : public Model {
 public:
  virtual int latent_dim() const = 0;
  virtual int image_size() const = 0;  // pixels per image
  virtual PixelRange pixel_range() const = 0;
  // 0 for an unconditional model; else the number of classes a sample can be asked for.
  virtual int classes() const { return 0; }
  // The encoder side, or nullptr when the model has none (a GAN).
  virtual VariationalModel* variational() { return nullptr; }
  bool has_encoder() { return variational() != nullptr; }
  bool conditional() const { return classes() > 0; }

  // Pixels in [0, 1] (n × image_size) for latents z (n × latent_dim). labels: the n class indices
  // in [0, classes()) the images are asked for; nullptr for an unconditional model (which ignores it).
  virtual void decode(const float* z, const int* labels, int n, float* pixels) = 0;

  // The decoder as one MLP, for ImageDecoder's packed inference path (infer/generation.hpp):
  // `mlp` maps z to the last layer's output; sigmoid_output says that output is logits to be
  // passed through σ (else it is already in pixel_range()). mlp is null when the decoder is not
  // a plain MLP: ImageDecoder then calls decode().
  struct MlpDecoder {
    const Mlp* mlp = nullptr;
    bool sigmoid_output = false;
  };
  virtual MlpDecoder mlp_decoder() const { return {}; }
};

class VariationalModel {
 public:
  virtual ~VariationalModel() = default;
  // μ and logvar (n × latent each) of images x (n × image, pixels in [0, 1]).
  // labels as in GenerativeModel::decode (the images' classes; nullptr when unconditional).
  virtual void encode(const float* x, const int* labels, int n, float* mu, float* logvar) = 0;
  // The decoder's Bernoulli logits (n × image) for z; owned by the model, valid until its next pass.
  virtual const float* decode_logits(const float* z, const int* labels, int n) = 0;
};

}  // namespace latentlab
