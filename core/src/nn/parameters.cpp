#include "latentlab/nn/parameters.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include <xsimd/xsimd.hpp>

#include "latentlab/kernels/parallel.hpp"

namespace latentlab {

namespace {
constexpr std::size_t kAlignFloats = 16;  // 64 bytes
std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
}  // namespace

void AlignedBuffer::Free::operator()(float* p) const { std::free(p); }

AlignedBuffer::AlignedBuffer(std::size_t n) { reserve_discard(n); }

void AlignedBuffer::reserve_discard(std::size_t n) {
  if (n <= size_ && data_) return;
  const std::size_t bytes = round_up(n == 0 ? 1 : n, kAlignFloats) * sizeof(float);
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  data_.reset(static_cast<float*>(p));
  size_ = n;
}

void AlignedBuffer::fill(float value) {
  for (std::size_t i = 0; i < size_; ++i) data_[i] = value;
}

std::size_t ParameterSet::declare(const std::string& name, const std::vector<int>& shape) {
  if (values_.size() > 0) throw std::logic_error("ParameterSet::declare after allocate: " + name);
  std::size_t n = 1;
  for (int d : shape) {
    if (d <= 0) throw std::invalid_argument("ParameterSet::declare: non-positive dimension in " + name);
    n *= static_cast<std::size_t>(d);
  }
  TensorInfo info{name, shape, total_, n};
  tensors_.push_back(info);
  // Each tensor starts on a 64-byte boundary so kernels may use aligned loads on rows of it.
  total_ += round_up(n, kAlignFloats);
  return info.offset;
}

void ParameterSet::allocate() {
  values_.reserve_discard(total_);
  grads_.reserve_discard(total_);
}

std::size_t ParameterSet::count() const {
  std::size_t n = 0;
  for (const auto& t : tensors_) n += t.size;
  return n;
}

const TensorInfo* ParameterSet::find(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

void ParameterSet::zero_grads() {
  // Split across the kernels' threads for large sets (the GAN's are 1.5M floats each).
  constexpr std::size_t kMinPerThread = 1 << 18;
  parallel::for_ranges(total_, parallel::parts_for(total_, kMinPerThread), 16, [&](std::size_t begin, std::size_t end) {
    std::memset(grads_.data() + begin, 0, (end - begin) * sizeof(float));
  });
}

namespace {
// First i in [begin, end) with !(|g[i]| ≤ limit), or end. Whole SIMD batches are tested with
// one compare each (NaN compares false, so it counts as beyond); only a batch with a hit is
// searched element by element.
std::size_t first_beyond(const float* g, std::size_t begin, std::size_t end, float limit) {
  using batch = xsimd::batch<float>;
  constexpr std::size_t W = batch::size;
  const batch lim(limit);
  std::size_t i = begin;
  for (; i + 4 * W <= end; i += 4 * W) {  // four batches per test: one branch per 64 floats
    const auto ok = (xsimd::abs(batch::load_unaligned(g + i)) <= lim) &
                    (xsimd::abs(batch::load_unaligned(g + i + W)) <= lim) &
                    (xsimd::abs(batch::load_unaligned(g + i + 2 * W)) <= lim) &
                    (xsimd::abs(batch::load_unaligned(g + i + 3 * W)) <= lim);
    if (!xsimd::all(ok)) break;
  }
  for (; i < end; ++i)
    if (!(std::fabs(g[i]) <= limit)) return i;
  return end;
}
}  // namespace

std::size_t ParameterSet::first_gradient_beyond(float limit) const {
  constexpr std::size_t kMinPerThread = 1 << 17;
  constexpr int kMaxParts = 64;  // the parts' answers live on the stack: no allocation per step
  const int parts = std::min(parallel::parts_for(total_, kMinPerThread), kMaxParts);
  if (parts <= 1 || total_ > (std::size_t{1} << 30)) return first_beyond(grads_.data(), 0, total_, limit);
  std::size_t first[kMaxParts];
  parallel::run(parts, [&](int part) {
    const parallel::Range r = parallel::split(static_cast<int>(total_), parts, part, 64);
    const std::size_t hit = first_beyond(grads_.data(), static_cast<std::size_t>(r.begin), static_cast<std::size_t>(r.end), limit);
    first[static_cast<std::size_t>(part)] = hit == static_cast<std::size_t>(r.end) ? total_ : hit;
  });
  return *std::min_element(first, first + parts);
}

}  // namespace latentlab
