// Finite-difference gradient checks: one harness for every hand-written backward pass (layers,
// activations, losses, the reparameterisation, BatchNorm, Mlp, and whole models).
//
// Quick start for adding a new op (or layer, loss, model): to add a new op
//   1) build the op and its inputs in a TEST_CASE tagged [gradcheck], with values from
//      support/values.hpp (Lcg, uniform, away_from_zero);
//   2) fill a GradCase: `objective` runs the forward and returns a scalar L in double (for a
//      layer, L = Σ r ⊙ y with fixed random r, so dL/dy = r); `analytic` runs the hand-written
//      backward; `wrt` names each tensor to perturb and the buffer its gradient is written to;
//      `kinks` (optional) reports the on/off state of every ReLU-like unit;
//   3) call check_gradients(c); it REQUIREs agreement and returns counts for extra checks.
// A real example (tests/unit/core/nn/test_reparameterize.cpp has it in full):
//
//   std::vector<float> mu = ..., logvar = ..., eps = ..., r = ..., grad_mu(n), grad_logvar(n);
//   GradCase c{"reparameterize"};
//   c.objective = [&] {
//     std::vector<float> z(n);
//     reparameterize_forward(mu.data(), logvar.data(), eps.data(), z.data(), n);
//     return weighted_sum(r.data(), z.data(), n);
//   };
//   c.analytic = [&] { reparameterize_backward(logvar.data(), eps.data(), r.data(), grad_mu.data(), grad_logvar.data(), n); };
//   c.wrt("mu", mu.data(), grad_mu.data(), n).wrt("logvar", logvar.data(), grad_logvar.data(), n);
//   check_gradients(c);
//
// For a model, c.wrt(model.parameters()) adds every named tensor of a ParameterSet (its values
// and its grads); c.kinks = [&](Pattern& p) { mlp_kinks(model.encoder(), x, batch, p); } keeps
// coordinates whose ±h would cross a ReLU kink out of the comparison.
//
// Method. check_gradients(c) calls c.analytic() once and copies every wrt tensor's gradient
// (so an objective that reuses the same gradient buffers, e.g. compute_gradients, is fine),
// evaluates the objective once at the unperturbed point, then for each coordinate θ (every one,
// or c.sample evenly spaced ones per tensor when c.sample > 0) the central difference
//     fd = (L(θ₊) − L(θ₋)) / (θ₊ − θ₋),   θ± = float(θ ± h) (the perturbation actually applied).
// Its error: truncation h²/6·|L'''| (0 on piecewise-linear paths) plus rounding ≈ (float32
// rounding of the outputs in L) / (2h). With h = 1e-2 both are ~1e-5 for the sizes used here.
// A coordinate passes when
//     |fd − analytic| ≤ max(abs, rel · min(|analytic|, |fd|)) + scale · S,
// S = the largest |analytic| of the case (finite-difference noise is set by the objective's
// rounding, not by a coordinate's own gradient, so small coordinates are judged on their case's
// scale). Taking min(|analytic|, |fd|) means a tolerance stated against either value is never
// loosened. A wrong derivative (missing factor, wrong sign, transposed index, lost accumulation)
// is off by O(|analytic|) and fails.
// Kinks: when c.kinks is set, it is called right after each objective evaluation (so it may
// read state that forward left behind) and appends the on/off state of every piecewise unit; a
// coordinate whose pattern at θ + h or θ − h differs from the pattern at θ is skipped, and at most
// c.max_skipped of the coordinates may be skipped.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "latentlab/nn/activations.hpp"
#include "latentlab/nn/linear.hpp"
#include "latentlab/nn/mlp.hpp"
#include "latentlab/nn/parameters.hpp"

namespace latentlab::test {

// The on/off state of piecewise-linear units at one point (1 = active).
using Pattern = std::vector<char>;

// allowed = max(abs, rel · min(|analytic|, |fd|)) + scale · S, S = the case's largest |analytic|.
struct Tolerance {
  double abs = 0.0;
  double rel = 0.0;
  double scale = 0.0;
};

struct GradCase {
  struct Tensor {
    std::string name;
    float* values;      // perturbed in place, restored after each coordinate
    const float* grad;  // where analytic() writes dL/d values
    std::size_t count;
  };

  std::string name;
  std::function<double()> objective;    // forward at the current values → L, in double
  std::function<void()> analytic;       // backward: writes dL/d(each wrt tensor) into its grad buffer
  std::function<void(Pattern&)> kinks;  // optional: appends the on/off state at the current point
  float h = 1e-2f;
  Tolerance tolerance{0.0, 1e-3, 1e-3};
  double max_skipped = 0.1;  // fraction of coordinates that may be skipped at kinks
  std::size_t sample = 0;    // > 0: check this many evenly spaced coordinates per tensor, not all
  std::vector<Tensor> tensors;

  GradCase& wrt(std::string tensor, float* values, const float* grad, std::size_t count) {
    tensors.push_back({std::move(tensor), values, grad, count});
    return *this;
  }
  // Every named tensor of a parameter set: its values and its gradients.
  GradCase& wrt(ParameterSet& params) {
    for (const TensorInfo& t : params.tensors()) wrt(t.name, params.values() + t.offset, params.grads() + t.offset, t.size);
    return *this;
  }
};

struct GradReport {
  int total = 0, checked = 0, skipped = 0;
  double scale = 0.0;        // S, the largest |analytic| of the case
  double worst_error = 0.0;  // largest |fd − analytic|
  double worst_ratio = 0.0;  // largest |fd − analytic| / allowed
  std::string worst;         // "tensor[i]: fd …, analytic …" of the element with the worst ratio
};

// Runs the check described at the top of this file. Fails (REQUIRE) on any disagreeing
// coordinate, on too many skipped coordinates, or on an all-zero gradient; `-s` prints the report.
inline GradReport check_gradients(GradCase& c) {
  REQUIRE(c.objective);
  REQUIRE(c.analytic);
  c.analytic();
  std::vector<std::vector<float>> analytic;
  for (const auto& t : c.tensors) analytic.emplace_back(t.grad, t.grad + t.count);

  Pattern base;
  c.objective();
  if (c.kinks) c.kinks(base);

  struct Result {
    double fd, analytic;
    std::size_t tensor, index;
  };
  std::vector<Result> results;
  GradReport report;
  for (std::size_t ti = 0; ti < c.tensors.size(); ++ti) {
    const auto& t = c.tensors[ti];
    const std::size_t picks = c.sample > 0 && c.sample < t.count ? c.sample : t.count;
    for (std::size_t k = 0; k < picks; ++k) {
      const std::size_t i = picks == t.count ? k : k * t.count / picks;
      float* p = t.values + i;
      const float original = *p, up = original + c.h, down = original - c.h;
      Pattern pattern_up, pattern_down;
      *p = up;
      const double f_up = c.objective();
      if (c.kinks) c.kinks(pattern_up);
      *p = down;
      const double f_down = c.objective();
      if (c.kinks) c.kinks(pattern_down);
      *p = original;
      ++report.total;
      if (pattern_up != base || pattern_down != base) {
        ++report.skipped;
        continue;
      }
      results.push_back({(f_up - f_down) / (static_cast<double>(up) - static_cast<double>(down)), analytic[ti][i], ti, i});
    }
  }
  report.checked = report.total - report.skipped;
  for (const auto& r : results) report.scale = std::max(report.scale, std::fabs(r.analytic));

  const Tolerance& tol = c.tolerance;
  auto label = [&](const Result& r) { return c.tensors[r.tensor].name + "[" + std::to_string(r.index) + "]"; };
  int failures = 0;
  for (const auto& r : results) {
    const double err = std::fabs(r.fd - r.analytic);
    const double allowed =
        std::max(tol.abs, tol.rel * std::min(std::fabs(r.analytic), std::fabs(r.fd))) + tol.scale * report.scale;
    const double ratio = err / allowed;
    report.worst_error = std::max(report.worst_error, err);
    if (!(ratio <= report.worst_ratio)) {  // NaN-safe: a NaN ratio becomes the worst
      report.worst_ratio = ratio;
      report.worst = label(r) + ": finite difference " + std::to_string(r.fd) + ", analytic " + std::to_string(r.analytic) +
                     ", allowed " + std::to_string(allowed);
    }
    if (!(ratio <= 1.0) && ++failures <= 8) {
      INFO(c.name << " " << label(r) << ": finite difference " << r.fd << ", analytic " << r.analytic << ", |diff| " << err
                  << ", allowed " << allowed << " (gradient scale " << report.scale << ")");
      FAIL_CHECK("gradient mismatch");
    }
  }
  INFO(c.name << ": " << report.checked << " of " << report.total << " coordinates checked (" << report.skipped
              << " skipped at kinks), gradient scale " << report.scale << ", worst |fd − analytic| " << report.worst_error
              << "; worst element " << report.worst << " = " << report.worst_ratio << " of its tolerance");
  REQUIRE(report.total > 0);
  REQUIRE(report.scale > 0.0);
  REQUIRE(static_cast<double>(report.skipped) <= c.max_skipped * report.total);
  REQUIRE(failures == 0);
  REQUIRE(report.worst_ratio <= 1.0);
  SUCCEED(c.name << ": worst element " << report.worst << " = " << report.worst_ratio << " of its tolerance");
  return report;
}

// ---- building blocks for objectives and kinks ----

// Σ r ⊙ y in double: the objective of a layer check, with dL/dy = r.
inline double weighted_sum(const float* r, const float* y, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(r[i]) * y[i];
  return s;
}

inline bool is_relu_like(Activation a) { return a == Activation::ReLU || a == Activation::LeakyReLU; }

// Appends the on/off state (y > 0) of n ReLU / LeakyReLU outputs.
inline void relu_kinks(const float* y, std::size_t n, Pattern& pattern) {
  for (std::size_t i = 0; i < n; ++i) pattern.push_back(y[i] > 0.0f ? 1 : 0);
}

// Runs the layers of an Mlp one by one (public Linear::forward) and appends the on/off state of
// its ReLU / LeakyReLU outputs. (Layers with BatchNorm are not supported: their kinks are not
// visible from Linear::forward.)
inline void mlp_kinks(const Mlp& mlp, const float* x, int batch, Pattern& pattern) {
  std::vector<float> in(x, x + static_cast<std::size_t>(batch) * mlp.input_size()), out;
  for (const Linear& layer : mlp.layers()) {
    out.assign(static_cast<std::size_t>(batch) * layer.out(), 0.0f);
    layer.forward(in.data(), batch, out.data());
    if (is_relu_like(layer.activation().kind)) relu_kinks(out.data(), out.size(), pattern);
    in.swap(out);
  }
}

// Double-precision references for objectives and forward checks.
inline double softplus_d(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }
inline double sigmoid_d(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace latentlab::test
