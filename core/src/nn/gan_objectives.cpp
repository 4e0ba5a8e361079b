#include "latentlab/nn/gan_objectives.hpp"

#include "latentlab/nn/activations.hpp"
#include "latentlab/nn/losses.hpp"

namespace latentlab {

namespace {

struct Names {
  GanObjective objective;
  const char* name;
};
constexpr Names kNames[] = {{GanObjective::Bce, "bce"},
                            {GanObjective::LeastSquares, "lsgan"},
                            {GanObjective::Hinge, "hinge"},
                            {GanObjective::Wasserstein, "wgan-gp"}};

// The mean of f over n scores, with each score's derivative divided by n into grad (when not null).
template <class F>
double mean_of(const float* s, std::size_t n, float* grad, F f) {
  if (n == 0) return 0.0;
  const double inv_n = 1.0 / static_cast<double>(n);
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    double derivative = 0.0;
    total += f(static_cast<double>(s[i]), derivative);
    if (grad) grad[i] = static_cast<float>(derivative * inv_n);
  }
  return total * inv_n;
}

// ½ (s − target)², derivative s − target.
double half_square(double s, double target, double& d) {
  d = s - target;
  return 0.5 * d * d;
}
// relu(1 + sign·s), derivative sign where positive (0 at and beyond the kink).
double hinge(double s, double sign, double& d) {
  const double margin = 1.0 + sign * s;
  d = margin > 0.0 ? sign : 0.0;
  return margin > 0.0 ? margin : 0.0;
}
// sign·s, derivative sign.
double linear(double s, double sign, double& d) {
  d = sign;
  return sign * s;
}

}  // namespace

const char* gan_objective_name(GanObjective objective) {
  for (const Names& n : kNames)
    if (n.objective == objective) return n.name;
  return "?";
}

std::optional<GanObjective> parse_gan_objective(const std::string& name) {
  for (const Names& n : kNames)
    if (name == n.name) return n.objective;
  return std::nullopt;
}

const char* gan_objective_names() { return "bce|lsgan|hinge|wgan-gp"; }

bool scores_are_probabilities(GanObjective objective) { return objective == GanObjective::Bce; }

double discriminator_loss(GanObjective objective, const float* real, const float* fake, std::size_t n,
                          float* grad_real, float* grad_fake) {
  if (objective == GanObjective::Bce) return gan_discriminator_loss(real, fake, n, grad_real, grad_fake);
  return discriminator_real_loss(objective, real, n, grad_real) + discriminator_fake_loss(objective, fake, n, grad_fake);
}

double discriminator_real_loss(GanObjective objective, const float* real, std::size_t n, float* grad_real) {
  switch (objective) {
    case GanObjective::Bce:  // mean softplus(−r): the same term as the generator's
      return gan_generator_loss(real, n, grad_real);
    case GanObjective::LeastSquares:
      return mean_of(real, n, grad_real, [](double s, double& d) { return half_square(s, 1.0, d); });
    case GanObjective::Hinge:
      return mean_of(real, n, grad_real, [](double s, double& d) { return hinge(s, -1.0, d); });
    case GanObjective::Wasserstein:
      return mean_of(real, n, grad_real, [](double s, double& d) { return linear(s, -1.0, d); });
  }
  return 0.0;
}

double discriminator_fake_loss(GanObjective objective, const float* fake, std::size_t n, float* grad_fake) {
  switch (objective) {
    case GanObjective::Bce: {  // mean softplus(f), dL/df = σ(f)/n: gan_discriminator_loss's fake half
      double total = 0.0;
      const float inv_n = n > 0 ? 1.0f / static_cast<float>(n) : 0.0f;
      for (std::size_t i = 0; i < n; ++i) {
        total += softplus(fake[i]);
        if (grad_fake) grad_fake[i] = stable_sigmoid(fake[i]) * inv_n;
      }
      return n > 0 ? total / static_cast<double>(n) : 0.0;
    }
    case GanObjective::LeastSquares:
      return mean_of(fake, n, grad_fake, [](double s, double& d) { return half_square(s, 0.0, d); });
    case GanObjective::Hinge:
      return mean_of(fake, n, grad_fake, [](double s, double& d) { return hinge(s, 1.0, d); });
    case GanObjective::Wasserstein:
      return mean_of(fake, n, grad_fake, [](double s, double& d) { return linear(s, 1.0, d); });
  }
  return 0.0;
}

double generator_loss(GanObjective objective, const float* fake, std::size_t n, float* grad_fake) {
  switch (objective) {
    case GanObjective::Bce:
      return gan_generator_loss(fake, n, grad_fake);
    case GanObjective::LeastSquares:
      return mean_of(fake, n, grad_fake, [](double s, double& d) { return half_square(s, 1.0, d); });
    case GanObjective::Hinge:
    case GanObjective::Wasserstein:
      return mean_of(fake, n, grad_fake, [](double s, double& d) { return linear(s, -1.0, d); });
  }
  return 0.0;
}

}  // namespace latentlab
