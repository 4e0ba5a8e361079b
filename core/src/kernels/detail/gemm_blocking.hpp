// The register tile and K/M blocking of the packed GEMM (gemm_packed.cpp), shared with the
// inference path that packs its weights once (packed_linear.cpp): both must block alike so
// that every element of C is summed in the same order, i.e. the two give identical bits.
#pragma once

#include <xsimd/xsimd.hpp>

#include <algorithm>

#if defined(LATENTLAB_RELAXED_SIMD)
#include <wasm_simd128.h>
#endif

namespace latentlab::kernels::detail {

using batch = xsimd::batch<float>;
constexpr int W = static_cast<int>(batch::size);

// acc + a·b, the update of the GEMM micro-kernels (gemm_packed.cpp, packed_linear.cpp).
// Natively xsimd::fma is one fused multiply-add; in the SIMD128 build it is f32x4.mul + f32x4.add
// (two roundings). The relaxed-SIMD page module (LATENTLAB_RELAXED_SIMD: the clang-19 build,
// wasm/CMakeLists.txt) uses f32x4.relaxed_madd instead, which the engine may compute fused or not:
// V8 on an x64 with FMA emits one vfmadd (one rounding, as natively), elsewhere mul + add. The
// choice is fixed per machine, so results are deterministic on one machine but may differ from
// the SIMD128 build in the last bits.
inline batch madd(batch a, batch b, batch acc) {
#if defined(LATENTLAB_RELAXED_SIMD)
  const v128_t r = wasm_f32x4_relaxed_madd(reinterpret_cast<v128_t>(__m128(a)), reinterpret_cast<v128_t>(__m128(b)),
                                           reinterpret_cast<v128_t>(__m128(acc)));
  return batch(reinterpret_cast<__m128>(r));
#else
  return xsimd::fma(a, b, acc);
#endif
}

// Register tile. With 32 vector registers (AVX-512) an 8×3 block of accumulators plus 3 B
// batches and 1 broadcast uses 28 registers; with 16 registers (AVX2, SSE, wasm) 6×2
// accumulators + 2 + 1 use 15. Each k step then has 24 (resp. 12) independent FMAs, more
// than the FMA latency × throughput product (4 cycles × 2 pipes = 8). On the training shapes
// no other tile is faster (docs/benchmarks.md lists the ones tried).
#if defined(__wasm__)
// Wasm SIMD128 has no FMA: xsimd::fma becomes f32x4.mul + f32x4.add, which needs one more live
// vector (the product) per update, and V8 keeps one of x64's 16 vector registers as scratch.
// 6×2 (12 accumulators + 2 B + broadcast + product = 16) then spills; 5×2 (15 live) is the
// fastest tile in Node on the decoders and the VAE step (scripts/bench-web shapes).
constexpr int MR = 5;
constexpr int NB = 2;
#else
constexpr int MR = (W >= 16) ? 8 : 6;
constexpr int NB = (W >= 16) ? 3 : 2;
#endif
constexpr int NR = NB * W;

// Cache blocks. An A block (MC × KC = 144 × 384 floats = 216 KiB) stays in L2 while every
// B sliver of the column block is swept past it; a B sliver (KC × NR = 72 KiB) is packed
// just before its first use and then re-read from L1/L2 by every A sliver; a B block
// (KC × NC) fits L2/L3. Blocks are balanced (K = 784 is split 262+262+260, not 384+384+16)
// so the last block is not a tiny one. KC = 384 is the fastest K block on the training shapes:
// longer runs per source row make a transposed B's packing cheaper, and fewer K blocks mean
// fewer passes over C.
constexpr int KC = 384;
constexpr int MC = (144 / MR) * MR;
constexpr int NC = (3072 / NR) * NR;

constexpr int round_up(int x, int multiple) { return (x + multiple - 1) / multiple * multiple; }
constexpr int ceil_div(int x, int d) { return (x + d - 1) / d; }

// Size of the blocks that split `total` into ceil(total / max_block) near-equal parts,
// rounded up to `granule` (so every block but the last is a whole number of slivers).
inline int balanced_block(int total, int max_block, int granule) {
  const int parts = ceil_div(total, max_block);
  return std::min(max_block, round_up(ceil_div(total, parts), granule));
}

}  // namespace latentlab::kernels::detail
