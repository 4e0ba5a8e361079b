// A small persistent thread pool for the kernels (GEMM column/row blocks, Adam ranges).
//
// The number of threads is process-wide: `latentlab train --threads N` sets it once, and every
// kernel that splits its work asks for it. Work is always split into disjoint outputs (each
// part writes its own rows/columns/range and nothing else, no shared reductions), so a run
// is deterministic for a fixed thread count; the kernels also split so that each output
// element is computed by the same sequence of float operations whatever the split, which
// makes results identical across thread counts (tests/unit/core/kernels/test_parallel.cpp checks both).
//
// This pool is, with the GEMM packing scratch, the one deliberate piece of global mutable
// state in core: it holds no model values, only idle worker threads.
//
// WebAssembly without pthreads (the web build) has no threads: set_thread_count clamps to 1
// and run() executes every part on the calling thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>

namespace latentlab::parallel {

// Threads the kernels may use from now on (≥ 1; 1 = everything on the calling thread).
// Starts or stops workers; call it between kernel calls, not from inside a task.
void set_thread_count(int n);
int thread_count();

// Runs task(part) for part = 0 … parts−1 and returns when all have finished: thread t of T
// (the calling thread is t = 0, the workers 1 … T−1) runs parts t, t+T, t+2T, …, except that
// the calling thread, once done with its own, also runs those of a worker that has not picked
// the task up yet (so a descheduled worker costs no wait). Parts must not depend on which
// thread runs them.
// Tasks must not throw. A call from inside a task runs its parts sequentially on that thread.
void run(int parts, const std::function<void(int part)>& task);

// [begin, end) of part `part` when `total` items are split into `parts` near-equal ranges
// whose boundaries are multiples of `granule` (the last range takes the remainder).
struct Range {
  int begin, end;
};
Range split(int total, int parts, int part, int granule);

// How many parts a pass over `work` items is worth: one per thread, but no more than
// work / min_per_part (below that, waking a worker costs more than the part saves); at least 1.
int parts_for(std::size_t work, std::size_t min_per_part);

// Runs body(begin, end) for the `parts` ranges split(total, parts, ·, granule) of [0, total),
// on the pool; as body(0, total) on the calling thread when parts ≤ 1 or total is too large
// for split's int. With granule a multiple of the SIMD width, every element takes the same
// SIMD-or-scalar path as in one pass, so an elementwise body gives the same result for any split.
// A template so that the single-part path calls body directly (no std::function in between).
template <class Body>
void for_ranges(std::size_t total, int parts, int granule, Body&& body) {
  if (parts <= 1 || total > (std::size_t{1} << 30)) {
    body(std::size_t{0}, total);
    return;
  }
  run(parts, [&](int part) {
    const Range r = split(static_cast<int>(total), parts, part, granule);
    body(static_cast<std::size_t>(r.begin), static_cast<std::size_t>(r.end));
  });
}

// What one element of an elementwise pass costs, which sets how much work a part must have
// to be worth waking a worker (a pool join costs a few µs):
//   Cheap           a compare, select or FMA per element (ReLU, derivatives written from y, axpy,
//                   Adam's update): ≥ 2^15 elements per part;
//   Transcendental  an exp or tanh per element (sigmoid, tanh forward), about 10× a ReLU:
//                   ≥ 2^12 elements per part.
enum class Cost { Cheap, Transcendental };
constexpr std::size_t min_elements_per_part(Cost cost) {
  return cost == Cost::Transcendental ? std::size_t{1} << 12 : std::size_t{1} << 15;
}

// body(begin, end) over [0, n) for an elementwise pass: parts_for(n, min_elements_per_part(cost))
// ranges whose boundaries are multiples of 64 floats (a whole number of SIMD batches at every
// width), so the result is the same as body(0, n) for any thread count.
template <class Body>
void for_elements(std::size_t n, Cost cost, Body&& body) {
  for_ranges(n, parts_for(n, min_elements_per_part(cost)), 64, body);
}

// body(begin_row, end_row) over the rows of a rows×cols pass that works row by row: the same
// number of parts as for_elements over rows·cols elements, at most one per row, in whole rows.
template <class Body>
void for_rows(std::size_t rows, std::size_t cols, Cost cost, Body&& body) {
  const int parts = static_cast<int>(std::min<std::size_t>(rows, static_cast<std::size_t>(
                                                                     parts_for(rows * cols, min_elements_per_part(cost)))));
  for_ranges(rows, parts, 1, body);
}

// first() and second(), two tasks that write disjoint outputs, as the two parts of one pool task
// (side by side when there are threads; in order, first() first, when there is one).
template <class First, class Second>
void both(First&& first, Second&& second) {
  run(2, [&](int part) { part == 0 ? first() : second(); });
}

}  // namespace latentlab::parallel
