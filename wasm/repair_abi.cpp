// Repairing a drawing in the page (model.repair in web/latentlab.js): gradient steps on the latent
// z of a loaded VAE against the observed pixels only (core/include/latentlab/infer/latent_repair.hpp),
// from the encoder's guess μ(x), with Adam on z. Linked only into the training build: the decoder's
// backward pass and Adam are what the page's default module leaves out, so the page loads that
// build when a visitor first repairs (as when it first trains).

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "latentlab/infer/latent_repair.hpp"
#include "latentlab/nn/adam.hpp"
#include "latentlab/nn/label_input.hpp"
#include "abi.hpp"

namespace {

using latentlab::wasm::kMaxBatch;
using latentlab::wasm::LlModel;
using latentlab::wasm::loaded;

struct LlRepair {
  std::unique_ptr<latentlab::LatentRepair> repair;
  std::unique_ptr<latentlab::Adam> adam;
  std::vector<float> z, grad_z, logvar, x, mask;
  std::vector<int> labels;
  int n = 0;
  float prior = 1.0f;
  std::string error;  // empty when the repair was set up
};

}  // namespace

extern "C" {

// A repair of n damaged images x (n × image, in [0, 1]) with pixel weights mask (n × image: 1
// observed, 0 missing), labels (n classes for a conditional model, else null), prior weight λ ≥ 0
// and Adam's learning rate on z. The model must have an encoder and an MLP decoder of logits (the
// MLP VAE, conditional or not); else ll_repair_error says why. z starts at the encoder's μ(x).
// The model must outlive the repair.
EMSCRIPTEN_KEEPALIVE LlRepair* ll_repair_create(LlModel* m, const float* x, const float* mask, const int* labels,
                                                int n, float prior, float lr) {
  LlRepair* r = new (std::nothrow) LlRepair();
  if (!r) return nullptr;
  if (!loaded(m)) {
    r->error = "no model";
    return r;
  }
  latentlab::GenerativeModel& model = *m->model;
  latentlab::VariationalModel* encoder = model.variational();
  const latentlab::GenerativeModel::MlpDecoder decoder = model.mlp_decoder();
  if (!encoder || !decoder.mlp || !decoder.sigmoid_output) {
    r->error = std::string("repair needs a VAE with an MLP decoder; this ") + m->model.kind->label + " has none";
    return r;
  }
  if (n < 1 || n > kMaxBatch || !x || !mask) {
    r->error = "repair: bad image count or missing pixels";
    return r;
  }
  const int classes = model.classes();
  if (classes > 0 && (!labels || !latentlab::labels_in_range(labels, n, classes))) {
    r->error = "repair: this conditional model needs a class in [0, " + std::to_string(classes - 1) + "] per image";
    return r;
  }
  if (!(prior >= 0.0f && prior <= 1e3f) || !(lr > 0.0f && lr <= 10.0f)) {
    r->error = "repair: prior must be in [0, 1000] and the learning rate in (0, 10]";
    return r;
  }
  const int latent = model.latent_dim();
  const std::size_t pixels = static_cast<std::size_t>(n) * static_cast<std::size_t>(model.image_size());
  r->n = n;
  r->prior = prior;
  r->x.assign(x, x + pixels);
  r->mask.assign(mask, mask + pixels);
  if (classes > 0) r->labels.assign(labels, labels + n);
  r->z.resize(static_cast<std::size_t>(n) * static_cast<std::size_t>(latent));
  r->grad_z.resize(r->z.size());
  r->logvar.resize(r->z.size());
  encoder->encode(r->x.data(), classes > 0 ? r->labels.data() : nullptr, n, r->z.data(), r->logvar.data());
  // mlp_decoder() is a read-only view for the packed inference path; the model is this handle's
  // own, and LatentRepair's forward/backward write only the MLP's activation buffers (decode
  // through the packed decoder does not read them).
  r->repair.reset(new (std::nothrow) latentlab::LatentRepair(const_cast<latentlab::Mlp&>(*decoder.mlp), latent, classes));
  latentlab::AdamConfig adam;
  adam.lr = lr;
  if (r->repair) r->adam.reset(new (std::nothrow) latentlab::Adam(r->z.size(), adam));
  if (!r->repair || !r->adam) r->error = "out of memory setting up the repair";
  return r;
}

EMSCRIPTEN_KEEPALIVE void ll_repair_free(LlRepair* r) { delete r; }

EMSCRIPTEN_KEEPALIVE const char* ll_repair_error(const LlRepair* r) { return r ? r->error.c_str() : "out of memory"; }

// `steps` Adam steps on z. losses: 2 doubles, the reconstruction and prior terms of L before the
// last step (summed over the images). 0, or -1 (no repair), -2 (bad steps).
EMSCRIPTEN_KEEPALIVE int ll_repair_step(LlRepair* r, int steps, double* losses) {
  if (!r || !r->repair || !r->error.empty()) return -1;
  if (steps < 1 || steps > 100000 || !losses) return -2;
  latentlab::RepairLoss loss;
  for (int s = 0; s < steps; ++s) {
    loss = r->repair->gradient(r->z.data(), r->labels.empty() ? nullptr : r->labels.data(), r->n, r->x.data(),
                               r->mask.data(), r->prior, r->grad_z.data());
    r->adam->step(r->z.data(), r->grad_z.data());
  }
  losses[0] = loss.reconstruction;
  losses[1] = loss.prior;
  return 0;
}

// The current latents (n × latent), valid until the next step or free.
EMSCRIPTEN_KEEPALIVE const float* ll_repair_latents(const LlRepair* r) {
  return r && r->repair ? r->z.data() : nullptr;
}

}  // extern "C"
