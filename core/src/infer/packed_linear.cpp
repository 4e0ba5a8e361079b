// PackedLinear (packed_linear.hpp): the inference form of Linear (+ eval BatchNorm) with the
// weights packed once.
//
// Layout of packed_: op(B) = Wᵀ (K = in rows, N = out columns) cut into the K blocks of
// kernels::gemm (balanced blocks of at most KC rows) and, inside each block, into slivers of NR
// columns; sliver (pc, jr) holds op(B)(pc + p, jr + j) at [p·NR + j] (columns past N are
// zero) and starts at pc·Npad + jr·kc, Npad = N rounded up to NR. The micro-kernel then streams one
// sliver with unit stride from aligned memory, exactly as after gemm_packed's per-call
// packing, which the inference path no longer pays (it was 8–15% of a browser decode).
//
// The loop nest is gemm_packed's without the packing of B: for each K block, for each block
// of MC rows of x (packed into MR-row slivers), for each column sliver, for each MR-row tile.
// The first K block stores the tile, later ones add to it; after the last one, each column
// sliver of the row block (mc × NR floats, still in L1) gets the epilogue: + b, the BatchNorm's
// affine map and the activation, σ and tanh included, so the output is written once.
#include "latentlab/infer/packed_linear.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>

#include "../kernels/detail/wasm_math.hpp"
#include "../kernels/detail/gemm_blocking.hpp"
#include "../kernels/detail/gemm_internal.hpp"
#include "../kernels/detail/simd_math.hpp"

namespace latentlab {
namespace {

using kernels::detail::balanced_block;
using kernels::detail::batch;
using kernels::detail::KC;
using kernels::detail::MC;
using kernels::detail::MR;
using kernels::detail::NB;
using kernels::detail::NR;
using kernels::detail::round_up;
using kernels::detail::W;

// The layer's function after the product, on one batch of columns j … j+W−1 (all per-column
// vectors are padded to whole batches): + b, the BatchNorm's affine map, the activation.
struct Epilogue {
  const float* bias;
  const float* gamma;  // null: no BatchNorm
  const float* mean;
  const float* inv_std;
  const float* beta;
  ActivationSpec activation;

  batch apply(batch v, int j) const {
    v = v + batch::load_aligned(bias + j);
    if (gamma) {
      // γ·(v − mean)·inv_std + β, in the order of BatchNorm::forward(eval).
      v = batch::load_aligned(gamma + j) * (v - batch::load_aligned(mean + j)) * batch::load_aligned(inv_std + j) +
          batch::load_aligned(beta + j);
    }
    const batch zero(0.0f);
    switch (activation.kind) {
      case Activation::Identity: return v;
      case Activation::ReLU: return xsimd::select(v < zero, zero, v);
      case Activation::LeakyReLU: return xsimd::select(v < zero, batch(activation.slope) * v, v);
#if defined(__wasm__)
      // The SIMD128 forms activations.cpp uses in the wasm build (same bits).
      case Activation::Sigmoid: return batch(reinterpret_cast<__m128>(detail::sigmoid_f32x4(reinterpret_cast<v128_t>(__m128(v)))));
      case Activation::Tanh: return batch(reinterpret_cast<__m128>(detail::tanh_f32x4(reinterpret_cast<v128_t>(__m128(v)))));
#else
      case Activation::Sigmoid: return simd::sigmoid(v);
      case Activation::Tanh: return xsimd::tanh(v);
#endif
    }
    return v;
  }
};

// C[0:ROWS, 0:BATCHES·W] (row stride ldc) = Ap · Bp, or C += Ap · Bp when accumulate;
// Ap: kc × ROWS k-major, Bp: kc × BATCHES·W k-major, aligned. Always a whole tile: edge tiles
// are zero-padded (rows in pack_rows, columns in the packed weights) and go through a scratch
// tile (edge_tile). One branch-free kernel keeps the module small (ten edge-size kernels
// added 4 KB gzipped). It stays out of line: inlined into its callers (or with runtime
// row / column bounds in its store), Node 20's V8 (11.3) spilled accumulators inside the k loop
// and decoded 1.2–2× slower; Chromium 156 did not mind either way.
template <int ROWS, int BATCHES>
__attribute__((noinline)) void micro_kernel(int kc, const float* __restrict Ap, const float* __restrict Bp, float* C, int ldc, bool accumulate) {
  batch acc[ROWS][BATCHES];
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; ++i) {
#pragma GCC unroll 4
    for (int b = 0; b < BATCHES; ++b) acc[i][b] = batch(0.0f);
  }
  for (int p = 0; p < kc; ++p) {
    batch bv[BATCHES];
#pragma GCC unroll 4
    for (int b = 0; b < BATCHES; ++b) bv[b] = batch::load_aligned(Bp + b * W);
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; ++i) {
      const batch a(Ap[i]);
#pragma GCC unroll 4
      for (int b = 0; b < BATCHES; ++b) acc[i][b] = kernels::detail::madd(a, bv[b], acc[i][b]);
    }
    Ap += ROWS;
    Bp += BATCHES * W;
  }
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; ++i) {
    float* c = C + static_cast<std::ptrdiff_t>(i) * ldc;
#pragma GCC unroll 4
    for (int b = 0; b < BATCHES; ++b) {
      (accumulate ? batch::load_unaligned(c + b * W) + acc[i][b] : acc[i][b]).store_unaligned(c + b * W);
    }
  }
}

// The kernel on a tile of which only rows × cols lie inside C: through an MR × NR scratch tile.
void edge_tile(int kc, const float* Ap, const float* Bp, float* C, int ldc, int rows, int cols, bool accumulate) {
  alignas(64) float tile[MR * NR] = {};
  if (accumulate) {
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j) tile[i * NR + j] = C[static_cast<std::ptrdiff_t>(i) * ldc + j];
  }
  micro_kernel<MR, NB>(kc, Ap, Bp, tile, NR, accumulate);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) C[static_cast<std::ptrdiff_t>(i) * ldc + j] = tile[i * NR + j];
}

// The epilogue on the rows × nr block at C, just written by the micro-kernels (still in L1).
void apply_epilogue(const Epilogue& e, float* C, int ldc, int rows, int nr) {
  for (int i = 0; i < rows; ++i) {
    float* c = C + static_cast<std::ptrdiff_t>(i) * ldc;
    int j = 0;
    for (; j + W <= nr; j += W) e.apply(batch::load_unaligned(c + j), j).store_unaligned(c + j);
    if (j < nr) {
      alignas(64) float lanes[W] = {};
      for (int q = j; q < nr; ++q) lanes[q - j] = c[q];
      e.apply(batch::load_aligned(lanes), j).store_aligned(lanes);
      for (int q = j; q < nr; ++q) c[q] = lanes[q - j];
    }
  }
}

// Ap ← the mc × kc block of x at x_block (row stride ldx) in MR-row slivers: sliver s holds
// row s·MR + i, column p at [s·MR·kc + p·MR + i]; the last sliver's missing rows are zeros.
void pack_rows(const float* x_block, int ldx, int mc, int kc, float* Ap) {
  for (int i0 = 0; i0 < mc; i0 += MR) {
    const int mr = std::min(MR, mc - i0);
    float* sliver = Ap + static_cast<std::ptrdiff_t>(i0) * kc;
    for (int i = 0; i < mr; ++i) {
      const float* row = x_block + static_cast<std::ptrdiff_t>(i0 + i) * ldx;
      for (int p = 0; p < kc; ++p) sliver[p * MR + i] = row[p];
    }
    for (int i = mr; i < MR; ++i)
      for (int p = 0; p < kc; ++p) sliver[p * MR + i] = 0.0f;
  }
}

void padded_copy(AlignedBuffer& dst, const float* src, int n, int padded) {
  dst.reserve_discard(static_cast<std::size_t>(padded));
  dst.fill(0.0f);
  std::copy(src, src + n, dst.data());
}

}  // namespace

PackedLinear::PackedLinear(const float* weight, const float* bias, int in, int out, ActivationSpec activation)
    : in_(in), out_(out), activation_(activation) {
  const int n_pad = round_up(out, NR);
  packed_.reserve_discard(static_cast<std::size_t>(in) * n_pad);
  packed_.fill(0.0f);
  const int kc_block = balanced_block(in, KC, 1);
  for (int pc = 0; pc < in; pc += kc_block) {
    const int kc = std::min(kc_block, in - pc);
    for (int jr = 0; jr < out; jr += NR) {
      const int nr = std::min(NR, out - jr);
      float* sliver = packed_.data() + static_cast<std::size_t>(pc) * n_pad + static_cast<std::size_t>(jr) * kc;
      for (int p = 0; p < kc; ++p)
        for (int j = 0; j < nr; ++j) sliver[p * NR + j] = weight[static_cast<std::size_t>(jr + j) * in + pc + p];
    }
  }
  padded_copy(bias_, bias, out, n_pad);
}

void PackedLinear::set_batchnorm(const float* gamma, const float* beta, const float* running_mean,
                                 const float* running_var, float eps) {
  const int n_pad = round_up(out_, NR);
  padded_copy(gamma_, gamma, out_, n_pad);
  padded_copy(beta_, beta, out_, n_pad);
  padded_copy(mean_, running_mean, out_, n_pad);
  inv_std_.reserve_discard(static_cast<std::size_t>(n_pad));
  inv_std_.fill(0.0f);
  // As BatchNorm::forward(eval): 1/√(var + ε) in float.
  for (int j = 0; j < out_; ++j) inv_std_[j] = 1.0f / std::sqrt(running_var[j] + eps);
  batchnorm_ = true;
}

void PackedLinear::forward(const float* x, int batch_rows, float* y, int ldy) const {
  if (batch_rows <= 0) return;
  const int K = in_, N = out_;
  const int n_pad = round_up(N, NR);
  const int kc_block = balanced_block(K, KC, 1);
  const int mc_block = balanced_block(batch_rows, MC, MR);
  float* Ap = kernels::detail::scratch_floats(static_cast<std::size_t>(round_up(mc_block, MR)) * kc_block);

  for (int pc = 0; pc < K; pc += kc_block) {
    const int kc = std::min(kc_block, K - pc);
    const bool accumulate = pc > 0;
    const bool last = pc + kc >= K;
    for (int ic = 0; ic < batch_rows; ic += mc_block) {
      const int mc = std::min(mc_block, batch_rows - ic);
      pack_rows(x + static_cast<std::ptrdiff_t>(ic) * K + pc, K, mc, kc, Ap);
      for (int jr = 0; jr < N; jr += NR) {
        const int nr = std::min(NR, N - jr);
        const float* sliver = packed_.data() + static_cast<std::size_t>(pc) * n_pad + static_cast<std::size_t>(jr) * kc;
        float* c_block = y + static_cast<std::ptrdiff_t>(ic) * ldy + jr;
        for (int ir = 0; ir < mc; ir += MR) {
          const int mr = std::min(MR, mc - ir);
          const float* a_sliver = Ap + static_cast<std::ptrdiff_t>(ir) * kc;
          float* c_tile = c_block + static_cast<std::ptrdiff_t>(ir) * ldy;
          if (mr == MR && nr == NR) {
            micro_kernel<MR, NB>(kc, a_sliver, sliver, c_tile, ldy, accumulate);
          } else {
            edge_tile(kc, a_sliver, sliver, c_tile, ldy, mr, nr, accumulate);
          }
        }
        if (last) {
          const Epilogue e{bias_.data() + jr,
                           batchnorm_ ? gamma_.data() + jr : nullptr,
                           batchnorm_ ? mean_.data() + jr : nullptr,
                           batchnorm_ ? inv_std_.data() + jr : nullptr,
                           batchnorm_ ? beta_.data() + jr : nullptr,
                           activation_};
          apply_epilogue(e, c_block, ldy, mc, nr);
        }
      }
    }
  }
}

}  // namespace latentlab
