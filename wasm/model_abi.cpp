// The C ABI that web/latentlab.js calls: marshalling between JS typed arrays in the wasm heap and
// the core. No model logic lives here: sampling, interpolation and the pixel mapping are
// core/include/latentlab/infer/generation.hpp, which the native CLI calls too.
//
// The sampling contract (seed → latents → pixels in [0, 1]) is core's, in
// core/include/latentlab/infer/generation.hpp; the native CLI (`latentlab sample --seed S --n N`)
// calls the same functions, so the same seed gives the same digits natively and in the browser.
// The ABI names no model kind: it reports the kind's name and its capabilities (has an encoder,
// number of classes), and the page reads those.
//
// Conventions of this ABI:
//   * A model is an opaque handle (LlModel*). ll_model_load never returns null for bad bytes:
//     it returns a handle whose ll_model_error() is non-empty, so the message survives without
//     any global state. The caller frees every handle with ll_model_free.
//   * The safetensors header arrives parsed: web/latentlab.js reads it with the browser's
//     JSON.parse and passes a table (format at read_header_table below) plus the data section, so
//     this module carries no JSON parser. The core's decode_parsed_safetensors then checks it with
//     the same code as the native decoder, and load_model(contents) assembles the model.
//   * 64-bit seeds and streams travel as two uint32 halves (lo, hi): Emscripten 3.1.6 without
//     WASM_BIGINT cannot pass i64 to JS cleanly.
//   * Class labels (a conditional model, ll_model_classes > 0): decode and encode take an int32
//     array of n labels, or null for "none" (decode: the classes in turn, label k = k mod classes,
//     generation.hpp; encode: refused, -4); sample takes one class, or -1 for none. An
//     unconditional model refuses any label (-4); a label outside [0, classes) is -4 too.
//   * Functions returning int return 0 on success and a negative code on misuse; JS checks
//     every argument first, so these codes are a second line of defence, never the message.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "latentlab/infer/generation.hpp"
#include "latentlab/kernels/kernels.hpp"
#include "latentlab/nn/label_input.hpp"
#include "latentlab/io/model_io.hpp"
#include "latentlab/rng.hpp"
#include "latentlab/io/safetensors.hpp"
#include "abi.hpp"

namespace {

using latentlab::wasm::join64;
using latentlab::wasm::kMaxBatch;

using latentlab::wasm::LlModel;
using latentlab::wasm::loaded;

// Reads the header table web/latentlab.js writes (little-endian uint32 words; strings are a byte
// length then UTF-8 bytes; 64-bit numbers are two words, low first):
//   metadata count, then per entry: key, value
//   tensor count, then per tensor: name, dtype, rank, rank × dimension (64-bit), begin, end (64-bit)
// Every read is bounds-checked: a short table gives false, never a read past its end.
class HeaderTable {
 public:
  HeaderTable(const std::uint8_t* p, std::uint32_t size) : p_(p), end_(p + size) {}
  bool ok() const { return ok_; }

  std::uint32_t word() {
    std::uint32_t v = 0;
    if (!p_ || end_ - p_ < 4) {
      ok_ = false;
      return 0;
    }
    std::memcpy(&v, p_, 4);  // wasm is little-endian
    p_ += 4;
    return v;
  }
  std::uint64_t wide() {
    const std::uint64_t lo = word();
    return lo | (static_cast<std::uint64_t>(word()) << 32);
  }
  std::string text() {
    const std::uint32_t n = word();
    if (!ok_ || static_cast<std::uint32_t>(end_ - p_) < n) {
      ok_ = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  bool ok_ = true;
};

bool read_header_table(const std::uint8_t* p, std::uint32_t size, latentlab::ParsedSafetensorsHeader* out) {
  HeaderTable table(p, size);
  const std::uint32_t entries = table.word();
  for (std::uint32_t i = 0; i < entries && table.ok(); ++i) {
    std::string key = table.text();
    out->metadata[key] = table.text();
  }
  const std::uint32_t tensors = table.word();
  for (std::uint32_t i = 0; i < tensors && table.ok(); ++i) {
    latentlab::ParsedTensor t;
    t.name = table.text();
    t.dtype = table.text();
    const std::uint32_t rank = table.word();
    for (std::uint32_t k = 0; k < rank && table.ok(); ++k) t.shape.push_back(table.wide());
    t.begin = table.wide();
    t.end = table.wide();
    out->tensors.push_back(std::move(t));
  }
  return table.ok();
}

// Decodes n latents into pixels in [0, 1] (n × image_size): GenerativeModel::decode's contract, through
// the ImageDecoder (generation.hpp) that packs the model's weights once instead of per call.
void decode_to_unit(LlModel* m, const float* z, const int* labels, int n, float* pixels) {
  if (!m->decoder) m->decoder = std::make_unique<latentlab::ImageDecoder>(*m->model);
  m->decoder->decode(z, labels, n, pixels);
}

// The labels of n images for decode (the contract above): given ones checked, none cycled.
// Null with *ok = false when refused; null with *ok = true for an unconditional model.
const int* decode_labels(LlModel* m, const int* given, int n, bool* ok) {
  const int classes = m->model->classes();
  *ok = true;
  if (classes == 0) {
    *ok = given == nullptr;
    return nullptr;
  }
  if (given) {
    *ok = latentlab::labels_in_range(given, n, classes);
    return given;
  }
  m->labels.resize(static_cast<std::size_t>(n));
  latentlab::cycle_labels(classes, n, m->labels.data());
  return m->labels.data();
}

}  // namespace

extern "C" {

// ---- models ----

// table: the parsed header (read_header_table); data: the data section that follows the header.
EMSCRIPTEN_KEEPALIVE LlModel* ll_model_load(const std::uint8_t* table, std::uint32_t table_size,
                                            const std::uint8_t* data, std::uint32_t data_size) {
  LlModel* m = new (std::nothrow) LlModel();
  if (!m) return nullptr;
  latentlab::ParsedSafetensorsHeader header;
  if (!read_header_table(table, table_size, &header)) {
    m->error = "malformed header table (a bug in latentlab.js, not in the file)";
    return m;
  }
  auto decoded = latentlab::decode_parsed_safetensors(header, data, data_size);
  if (!decoded) {
    m->error = decoded.error();
    return m;
  }
  auto result = latentlab::load_model(decoded.value());
  if (!result) {
    m->error = result.error();
    return m;
  }
  m->model = result.take();
  return m;
}

EMSCRIPTEN_KEEPALIVE void ll_model_free(LlModel* m) { delete m; }

// "" when the model loaded, else a human-readable reason.
EMSCRIPTEN_KEEPALIVE const char* ll_model_error(const LlModel* m) {
  if (!m) return "out of memory";
  return m->error.c_str();
}

// The kind's name in the file ("vae", "gan", …) and its label for people ("VAE"); "" when not loaded.
EMSCRIPTEN_KEEPALIVE const char* ll_model_kind(const LlModel* m) { return loaded(m) ? m->model.kind->name : ""; }
EMSCRIPTEN_KEEPALIVE const char* ll_model_label(const LlModel* m) { return loaded(m) ? m->model.kind->label : ""; }
// Capabilities: 1 when the model has an encoder (ll_model_encode works), else 0; the number of
// classes a sample can be asked for (0: unconditional).
EMSCRIPTEN_KEEPALIVE int ll_model_has_encoder(LlModel* m) { return loaded(m) && m->model->has_encoder() ? 1 : 0; }
EMSCRIPTEN_KEEPALIVE int ll_model_classes(const LlModel* m) { return loaded(m) ? m->model->classes() : 0; }

EMSCRIPTEN_KEEPALIVE int ll_model_latent_dim(const LlModel* m) { return loaded(m) ? m->model->latent_dim() : 0; }
EMSCRIPTEN_KEEPALIVE int ll_model_image_size(const LlModel* m) { return loaded(m) ? m->model->image_size() : 0; }
// As a double: exact for any count below 2^53.
EMSCRIPTEN_KEEPALIVE double ll_model_parameter_count(const LlModel* m) {
  return loaded(m) ? static_cast<double>(m->model.parameter_count) : 0.0;
}
// The stored dtype of the tensors: "F32", "F16" or "BF16".
EMSCRIPTEN_KEEPALIVE const char* ll_model_dtype(const LlModel* m) {
  return loaded(m) ? latentlab::dtype_name(m->model.stored_dtype) : "";
}

// z: n × latent → pixels: n × image, in [0, 1]. labels: n classes or null (the conventions above).
EMSCRIPTEN_KEEPALIVE int ll_model_decode(LlModel* m, const float* z, const int* labels, int n, float* pixels) {
  if (!loaded(m)) return -1;
  if (n < 1 || n > kMaxBatch || !z || !pixels) return -2;
  bool ok = false;
  const int* used = decode_labels(m, labels, n, &ok);
  if (!ok) return -4;
  decode_to_unit(m, z, used, n, pixels);
  return 0;
}

// The sampling contract at the top of this file; label: every image's class, or -1 for none.
EMSCRIPTEN_KEEPALIVE int ll_model_sample(LlModel* m, int n, std::uint32_t seed_lo, std::uint32_t seed_hi, int label,
                                         float* pixels) {
  if (!loaded(m)) return -1;
  if (n < 1 || n > kMaxBatch || !pixels) return -2;
  if (label >= 0) {
    if (label >= m->model->classes()) return -4;
    m->labels.assign(static_cast<std::size_t>(n), label);
  } else if (label != -1) {
    return -4;
  }
  bool ok = false;
  const int* used = decode_labels(m, label >= 0 ? m->labels.data() : nullptr, n, &ok);
  if (!ok) return -4;
  const std::size_t count = static_cast<std::size_t>(n) * m->model->latent_dim();
  m->latents.resize(count);
  latentlab::sample_latents(join64(seed_lo, seed_hi), m->latents.data(), count);
  decode_to_unit(m, m->latents.data(), used, n, pixels);
  return 0;
}

// Models with an encoder: images (n × image, in [0, 1]) → μ and logvar (n × latent each). -3 for a
// model without one. labels: the images' n classes (required by a conditional model, -4 without).
EMSCRIPTEN_KEEPALIVE int ll_model_encode(LlModel* m, const float* images, const int* labels, int n, float* mu,
                                         float* logvar) {
  if (!loaded(m)) return -1;
  latentlab::VariationalModel* encoder = m->model->variational();
  if (!encoder) return -3;
  if (n < 1 || n > kMaxBatch || !images || !mu || !logvar) return -2;
  const int classes = m->model->classes();
  if (classes == 0 ? labels != nullptr : !labels || !latentlab::labels_in_range(labels, n, classes)) return -4;
  encoder->encode(images, labels, n, mu, logvar);
  return 0;
}

// steps latents from a (t = 0) to b (t = 1), t_i = i / (steps − 1); steps = 1 gives a.
// mode: 0 = lerp, 1 = slerp. out: steps × dim.
EMSCRIPTEN_KEEPALIVE int ll_interpolate_latents(const float* a, const float* b, int dim, int steps, int mode,
                                                float* out) {
  if (!a || !b || !out || dim < 1 || steps < 1 || steps > kMaxBatch) return -2;
  latentlab::interpolate_latents(a, b, dim, steps, mode == 1 ? latentlab::LatentPath::Slerp : latentlab::LatentPath::Lerp, out);
  return 0;
}

// ---- the RNG, exposed for golden-value tests and for drawing latents in JS ----

EMSCRIPTEN_KEEPALIVE void ll_rng_u32(std::uint32_t seed_lo, std::uint32_t seed_hi, std::uint32_t stream_lo,
                                     std::uint32_t stream_hi, int n, std::uint32_t* out) {
  latentlab::Rng rng(join64(seed_lo, seed_hi), join64(stream_lo, stream_hi));
  for (int i = 0; i < n; ++i) out[i] = rng.next_u32();
}

EMSCRIPTEN_KEEPALIVE void ll_rng_uniform(std::uint32_t seed_lo, std::uint32_t seed_hi, std::uint32_t stream_lo,
                                         std::uint32_t stream_hi, int n, float* out) {
  latentlab::Rng rng(join64(seed_lo, seed_hi), join64(stream_lo, stream_hi));
  for (int i = 0; i < n; ++i) out[i] = rng.uniform();
}

EMSCRIPTEN_KEEPALIVE void ll_rng_normal(std::uint32_t seed_lo, std::uint32_t seed_hi, std::uint32_t stream_lo,
                                        std::uint32_t stream_hi, int n, float* out) {
  latentlab::Rng rng(join64(seed_lo, seed_hi), join64(stream_lo, stream_hi));
  rng.fill_normal(out, static_cast<std::size_t>(n));
}

EMSCRIPTEN_KEEPALIVE void ll_rng_below(std::uint32_t seed_lo, std::uint32_t seed_hi, std::uint32_t stream_lo,
                                       std::uint32_t stream_hi, std::uint32_t bound, int n, std::uint32_t* out) {
  latentlab::Rng rng(join64(seed_lo, seed_hi), join64(stream_lo, stream_hi));
  for (int i = 0; i < n; ++i) out[i] = rng.below(bound);
}

EMSCRIPTEN_KEEPALIVE void ll_rng_fill_uniform(std::uint32_t seed_lo, std::uint32_t seed_hi, std::uint32_t stream_lo,
                                              std::uint32_t stream_hi, float low, float high, int n, float* out) {
  latentlab::Rng rng(join64(seed_lo, seed_hi), join64(stream_lo, stream_hi));
  rng.fill_uniform(out, static_cast<std::size_t>(n), low, high);
}

// Fisher–Yates shuffle of 0, 1, …, n − 1.
EMSCRIPTEN_KEEPALIVE void ll_rng_shuffle(std::uint32_t seed_lo, std::uint32_t seed_hi, std::uint32_t stream_lo,
                                         std::uint32_t stream_hi, int n, std::uint32_t* out) {
  latentlab::Rng rng(join64(seed_lo, seed_hi), join64(stream_lo, stream_hi));
  for (int i = 0; i < n; ++i) out[i] = static_cast<std::uint32_t>(i);
  rng.shuffle(out, static_cast<std::size_t>(n));
}

EMSCRIPTEN_KEEPALIVE double ll_portable_log(double x) { return latentlab::portable_log(x); }

// ---- build facts ----

// 1 when this module was compiled for wasm SIMD128 (it always is: we ship only that build).
EMSCRIPTEN_KEEPALIVE int ll_simd_enabled() {
#ifdef __wasm_simd128__
  return 1;
#else
  return 0;
#endif
}

EMSCRIPTEN_KEEPALIVE const char* ll_simd_arch() { return latentlab::kernels::simd_arch_name(); }

}  // extern "C"
