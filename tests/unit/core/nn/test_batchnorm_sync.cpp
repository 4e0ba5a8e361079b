// Synchronised BatchNorm (batchnorm2d.hpp's CrossBatchSum; BatchNorm is BatchNorm2d with one
// value per feature): a batch split over two "ranks" (two threads, each with its own BatchNorm,
// summing through a CrossBatchSum that pairs their calls)
// gives the outputs, running statistics and input gradients of one BatchNorm over the whole
// batch, and dγ, dβ that add up to the whole batch's.
#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "latentlab/nn/batchnorm.hpp"
#include "latentlab/rng.hpp"

using namespace latentlab;

namespace {

thread_local int t_rank = 0;

// Sums the two threads' vectors (rank 0's + rank 1's) and hands both the result: what an MPI
// all-reduce over two processes does.
class TwoThreadSum final : public CrossBatchSum {
 public:
  void sum(double* values, std::size_t n) const override {
    std::unique_lock<std::mutex> lock(mutex_);
    const int generation = generation_;
    slots_[t_rank].assign(values, values + n);
    if (++arrived_ == 2) {
      result_.resize(n);
      for (std::size_t i = 0; i < n; ++i) result_[i] = slots_[0][i] + slots_[1][i];
      arrived_ = 0;
      ++generation_;
      ++calls_;
      done_.notify_all();
    } else {
      done_.wait(lock, [&] { return generation_ != generation; });
    }
    std::copy(result_.begin(), result_.end(), values);
  }
  int calls() const { return calls_; }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable done_;
  mutable std::vector<double> slots_[2], result_;
  mutable int arrived_ = 0, generation_ = 0, calls_ = 0;
};

struct Layer {
  ParameterSet params, buffers;
  BatchNorm bn;
  explicit Layer(int features) : bn(params, buffers, "bn", features, 1e-5f, 0.1f) {
    params.allocate();
    buffers.allocate();
    bn.init();
    for (int j = 0; j < features; ++j) {
      params.values()[j] = 0.5f + 0.25f * j;  // γ ≠ 1 (β stays 0)
    }
  }
};

}  // namespace

TEST_CASE("BatchNorm over a batch split across two ranks equals BatchNorm over the whole batch", "[batchnorm][sync]") {
  const int features = 3, rows = 7, rows0 = 4;  // unequal slices: 4 + 3 rows
  Rng rng(11);
  std::vector<float> x(rows * features), upstream(rows * features);
  rng.fill_normal(x.data(), x.size());
  for (float& v : x) v = 2.0f * v + 1.5f;  // mean and variance away from 0 and 1
  rng.fill_normal(upstream.data(), upstream.size());

  // One process, the whole batch.
  Layer whole(features);
  std::vector<float> y(x.size()), dx(upstream);
  whole.bn.forward(x.data(), rows, y.data(), true);
  whole.params.zero_grads();
  whole.bn.backward(dx.data(), rows);

  // Two ranks, rows 0…3 and 4…6.
  TwoThreadSum group;
  Layer part[2] = {Layer(features), Layer(features)};
  std::vector<float> y_split(x.size()), dx_split(upstream);
  auto run = [&](int r) {
    t_rank = r;
    const int first = r == 0 ? 0 : rows0, count = r == 0 ? rows0 : rows - rows0;
    const std::size_t at = static_cast<std::size_t>(first) * features;
    part[r].bn.forward(x.data() + at, count, y_split.data() + at, true);
    part[r].params.zero_grads();
    part[r].bn.backward(dx_split.data() + at, count);
  };
  set_cross_batch_sum(&group);
  std::thread rank1(run, 1);
  run(0);
  rank1.join();
  set_cross_batch_sum(nullptr);

  CHECK(group.calls() == 3);  // Σx with the row count, Σ(x − μ)², then Σg and Σg·x̂
  for (std::size_t k = 0; k < x.size(); ++k) {
    CHECK(y_split[k] == Approx(y[k]).margin(1e-6));
    CHECK(dx_split[k] == Approx(dx[k]).margin(1e-6));
  }
  for (int r = 0; r < 2; ++r)
    for (int j = 0; j < features; ++j) {
      CHECK(part[r].bn.running_mean()[j] == Approx(whole.bn.running_mean()[j]).margin(1e-6));
      CHECK(part[r].bn.running_var()[j] == Approx(whole.bn.running_var()[j]).margin(1e-6));  // unbiased with B = 7
    }
  // dγ, dβ: each rank's share, which the trainer sums across ranks with the other gradients.
  for (std::size_t k = 0; k < whole.params.size(); ++k)
    CHECK(part[0].params.grads()[k] + part[1].params.grads()[k] == Approx(whole.params.grads()[k]).margin(1e-5));
  // And the shares are not already the totals (each rank saw only its rows).
  CHECK(part[0].params.grads()[0] != Approx(whole.params.grads()[0]).margin(1e-3));
}
