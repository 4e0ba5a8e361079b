// One flat parameter buffer and one flat gradient buffer per model, with named
// tensor views (name, shape, offset) into them — as in llm.c. Adam is then one
// loop over the whole buffer, save/load a loop over the views, and a gradient
// check can perturb any parameter by index.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace latentlab {

// 64-byte-aligned (cache-line-aligned), zero-initialised float storage.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t n);
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  float& operator[](std::size_t i) { return data_[i]; }
  float operator[](std::size_t i) const { return data_[i]; }
  // Grows (never shrinks) the buffer; contents are not preserved when it grows.
  void reserve_discard(std::size_t n);
  void fill(float value);

 private:
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float[], Free> data_;
  std::size_t size_ = 0;
};

// What a backward pass does with a layer's parameter gradients. Write stores the gradient
// without reading the buffer (the first and only contribution of a step: no zeroing pass and
// no read of the old values, which for the GAN's 12 MB of gradients is memory traffic saved);
// Accumulate adds to it; Skip leaves it untouched (e.g. D when only ∂D/∂x is needed).
enum class ParamGrads { Skip, Accumulate, Write };

struct TensorInfo {
  std::string name;
  std::vector<int> shape;
  std::size_t offset = 0;  // in floats, into values() and grads(); multiple of 16 (64 bytes)
  std::size_t size = 0;    // product of shape
};

class ParameterSet {
 public:
  ParameterSet() = default;
  ParameterSet(const ParameterSet&) = delete;
  ParameterSet& operator=(const ParameterSet&) = delete;

  // Declares a tensor; only before allocate(). Returns its offset.
  std::size_t declare(const std::string& name, const std::vector<int>& shape);
  // Allocates values and gradients (both zero).
  void allocate();
  bool allocated() const { return values_.size() > 0 || total_ == 0; }

  float* values() { return values_.data(); }
  const float* values() const { return values_.data(); }
  float* grads() { return grads_.data(); }
  const float* grads() const { return grads_.data(); }
  // Length of the flat buffers (including alignment padding, which stays 0).
  std::size_t size() const { return total_; }
  // Number of real parameters (sum of tensor sizes).
  std::size_t count() const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(const std::string& name) const;
  void zero_grads();
  // Index of the first gradient g with !(|g| ≤ limit) — NaN, ±inf or too large — or size()
  // when there is none. One SIMD pass, split across the kernels' threads for large sets (the
  // parts' first hits are combined by taking the smallest, so the answer is the same for any
  // split). The trainer's per-step divergence check.
  std::size_t first_gradient_beyond(float limit) const;

 private:
  std::vector<TensorInfo> tensors_;
  std::size_t total_ = 0;
  AlignedBuffer values_;
  AlignedBuffer grads_;
};

}  // namespace latentlab
