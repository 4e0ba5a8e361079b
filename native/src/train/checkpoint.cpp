#include "train/checkpoint.hpp"

#include <cstring>

#include "latentlab/kernels/kernels.hpp"

namespace latentlab::native {

std::string u64_to_decimal(std::uint64_t value) { return std::to_string(value); }

Result<std::uint64_t> u64_from_decimal(const std::string& text) {
  using R = Result<std::uint64_t>;
  if (text.empty() || text.size() > 20) return R::failure("'" + text + "' is not a 64-bit unsigned decimal");
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return R::failure("'" + text + "' is not a 64-bit unsigned decimal");
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (value > (~std::uint64_t{0} - digit) / 10) return R::failure("'" + text + "' does not fit in 64 bits");
    value = value * 10 + digit;
  }
  return R::success(value);
}

std::string double_to_bits_hex(double value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  static const char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, bits >>= 4) s[static_cast<std::size_t>(i)] = digits[bits & 15];
  return s;
}

Result<double> double_from_bits_hex(const std::string& text) {
  using R = Result<double>;
  if (text.size() != 16) return R::failure("'" + text + "' is not 16 hex digits");
  std::uint64_t bits = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return R::failure("'" + text + "' is not 16 hex digits");
    bits = (bits << 4) | static_cast<std::uint64_t>(d);
  }
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return R::success(value);
}

Result<std::string> metadata_value(const Metadata& metadata, const std::string& key) {
  auto it = metadata.find(key);
  if (it == metadata.end()) return Result<std::string>::failure("checkpoint metadata has no \"" + key + "\"");
  return Result<std::string>::success(it->second);
}

Result<std::uint64_t> metadata_u64(const Metadata& metadata, const std::string& key) {
  auto text = metadata_value(metadata, key);
  if (!text) return Result<std::uint64_t>::failure(text.error());
  auto value = u64_from_decimal(text.value());
  if (!value) return Result<std::uint64_t>::failure("checkpoint metadata \"" + key + "\": " + value.error());
  return value;
}

void store_rng(Metadata& metadata, const std::string& name, const Rng& rng) {
  const Rng::State s = rng.state();
  const std::string p = "rng." + name + ".";
  metadata[p + "state"] = u64_to_decimal(s.state);
  metadata[p + "increment"] = u64_to_decimal(s.increment);
  metadata[p + "has_spare"] = s.has_spare_normal ? "1" : "0";
  metadata[p + "spare_bits"] = double_to_bits_hex(s.spare_normal);
}

Result<bool> restore_rng(const Metadata& metadata, const std::string& name, Rng& rng) {
  using R = Result<bool>;
  const std::string p = "rng." + name + ".";
  auto state = metadata_u64(metadata, p + "state");
  if (!state) return R::failure(state.error());
  auto increment = metadata_u64(metadata, p + "increment");
  if (!increment) return R::failure(increment.error());
  // PCG's increment is always odd ((stream << 1) | 1): anything else is not a state we wrote.
  if (increment.value() % 2 == 0) return R::failure("checkpoint metadata \"" + p + "increment\" is even (not a PCG32 state)");
  auto has_spare = metadata_value(metadata, p + "has_spare");
  if (!has_spare) return R::failure(has_spare.error());
  if (has_spare.value() != "0" && has_spare.value() != "1")
    return R::failure("checkpoint metadata \"" + p + "has_spare\" must be 0 or 1");
  auto bits = metadata_value(metadata, p + "spare_bits");
  if (!bits) return R::failure(bits.error());
  auto spare = double_from_bits_hex(bits.value());
  if (!spare) return R::failure("checkpoint metadata \"" + p + "spare_bits\": " + spare.error());
  Rng::State s;
  s.state = state.value();
  s.increment = increment.value();
  s.has_spare_normal = has_spare.value() == "1";
  s.spare_normal = spare.value();
  rng.set_state(s);
  return R::success(true);
}

void store_adam(std::vector<TensorToWrite>& tensors, Metadata& metadata, const std::string& name, const Adam& adam) {
  const std::int64_t n = static_cast<std::int64_t>(adam.size());
  tensors.push_back(TensorToWrite{name + ".m", {n}, adam.first_moment()});
  tensors.push_back(TensorToWrite{name + ".v", {n}, adam.second_moment()});
  metadata[name + ".steps"] = std::to_string(adam.steps());
}

Result<bool> restore_adam(const SafetensorsContents& contents, const std::string& name, Adam& adam) {
  using R = Result<bool>;
  for (const char* which : {".m", ".v"}) {
    const DecodedTensor* t = contents.find(name + which);
    if (!t) return R::failure("checkpoint has no tensor \"" + name + which + "\" (optimiser state)");
    if (t->shape.size() != 1 || t->values.size() != adam.size())
      return R::failure("checkpoint tensor \"" + name + which + "\" has " + std::to_string(t->values.size()) +
                        " values but the optimiser has " + std::to_string(adam.size()));
    if (t->stored_dtype != DType::F32) return R::failure("checkpoint tensor \"" + name + which + "\" is not F32");
    float* dst = which[1] == 'm' ? adam.first_moment() : adam.second_moment();
    std::memcpy(dst, t->values.data(), adam.size() * sizeof(float));
  }
  auto steps = metadata_u64(contents.metadata, name + ".steps");
  if (!steps) return R::failure(steps.error());
  if (steps.value() > (std::uint64_t{1} << 62)) return R::failure("checkpoint \"" + name + ".steps\" is out of range");
  adam.set_steps(static_cast<std::int64_t>(steps.value()));
  return R::success(true);
}

std::vector<std::uint8_t> encode_checkpoint(const Model& model, const NamedStates<const Adam>& optimisers,
                                            const NamedStates<const Rng>& rngs, Metadata metadata, const Metadata& config) {
  std::vector<TensorToWrite> tensors = model_tensors(model);
  for (const auto& [name, adam] : optimisers) store_adam(tensors, metadata, name, *adam);
  for (const auto& [name, rng] : rngs) store_rng(metadata, name, *rng);
  for (const auto& [key, value] : config) metadata[key] = value;
  return encode_safetensors(tensors, metadata, DType::F32);
}

Result<bool> restore_checkpoint(const SafetensorsContents& checkpoint, const Model& model,
                                const NamedStates<Adam>& optimisers, const NamedStates<Rng>& rngs) {
  for (const TensorGroup& group : model.tensor_groups())
    if (auto ok = load_parameters(checkpoint, *group.set); !ok) return ok;
  for (const auto& [name, adam] : optimisers)
    if (auto ok = restore_adam(checkpoint, name, *adam); !ok) return ok;
  for (const auto& [name, rng] : rngs)
    if (auto ok = restore_rng(checkpoint.metadata, name, *rng); !ok) return ok;
  return Result<bool>::success(true);
}

bool parameters_finite(const ParameterSet& params) { return kernels::all_finite(params.values(), params.size()); }

}  // namespace latentlab::native
