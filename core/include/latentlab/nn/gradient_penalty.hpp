// WGAN-GP's gradient penalty (Gulrajani et al. 2017, eq. 3), on random interpolates between
// real and generated images:
//   x̂_i = ε_i x_i + (1 − ε_i) x̃_i,   ε_i ~ U[0, 1)
//   P   = λ · mean_i (‖g_i‖₂ − 1)²,   g_i = ∇ₓ D(x̂_i)
//   ∂P/∂g_i = (2λ/n) (‖g_i‖ − 1) g_i / ‖g_i‖          (0 when g_i = 0, as torch's norm backward)
// ∂P/∂θ_D needs the derivative of an input gradient with respect to the parameters (a double
// backward): the critic provides it (Mlp::input_gradient / input_gradient_backward); this file
// holds the penalty itself and its glue.
#pragma once

#include "latentlab/nn/mlp.hpp"
#include "latentlab/nn/parameters.hpp"

namespace latentlab {

class Rng;

// The paper's λ and number of critic steps per generator step.
inline constexpr float kGradientPenaltyWeight = 10.0f;
inline constexpr int kCriticSteps = 5;
// The paper's Adam learning rate (its betas are 0 and 0.9).
inline constexpr float kWganGpLearningRate = 1e-4f;

// x̂ (n×dim) from real and fake (n×dim each), one ε per row drawn from rng in row order.
void interpolate_images(const float* real, const float* fake, int n, int dim, Rng& rng, float* out);

// The same with the ε of each row given (n values in [0, 1]).
void interpolate_images(const float* real, const float* fake, const float* eps, int n, int dim, float* out);

// P for input gradients g (n×dim); writes ∂P/∂g into grad_g when not null.
double gradient_penalty(const float* g, int n, int dim, float lambda, float* grad_g);
// P on the first `columns` of each row of g (n × width): a conditional critic's input is
// [image | onehot(y)], and the penalty is on the image's gradient. ∂P/∂g is 0 in the other columns.
double gradient_penalty(const float* g, int n, int width, int columns, float lambda, float* grad_g);

// What a model's critic step needs for the penalty: λ and one ε ∈ [0, 1) per row of the batch.
struct GradientPenaltyDraw {
  float lambda = kGradientPenaltyWeight;
  const float* eps = nullptr;
};

// The penalty on an MLP critic at x̂ (n × critic.input_size()): runs the critic forward and
// backward on x̂, adds ∂P/∂θ to the critic's parameter gradients (accumulate: call it after the
// critic loss's backward) and returns P. The critic's last forward is then the one on x̂.
class CriticGradientPenalty {
 public:
  double add(Mlp& critic, const float* interpolates, int n, float lambda);
  // ‖g_i‖ of the last add, mean over its rows (the log's "grad norm").
  double mean_gradient_norm() const { return mean_norm_; }

 private:
  AlignedBuffer g_, grad_g_;
  double mean_norm_ = 0.0;
};

}  // namespace latentlab
