// What the MPI and the single-process builds of the data-parallel group share (distributed.hpp).
#include "train/distributed.hpp"

namespace latentlab::native::distributed {

Slice slice(int count) {
  const long long n = size(), r = rank(), c = count;
  const long long begin = c * r / n, end = c * (r + 1) / n;
  return {static_cast<std::size_t>(begin), static_cast<int>(end - begin)};
}

namespace {
class RankSum final : public CrossBatchSum {
 public:
  void sum(double* values, std::size_t n) const override { distributed::sum(values, n); }
};
}  // namespace

const CrossBatchSum& batch_group() {
  static const RankSum group;
  return group;
}

}  // namespace latentlab::native::distributed
