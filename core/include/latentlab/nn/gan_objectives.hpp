// The GAN objectives a trainer can choose (`--gan-loss`), on the discriminator's raw scores
// s = D(x) (a logit for bce, a critic score for the others), each loss a mean over its batch of n:
//
//   bce    (Goodfellow et al. 2014, non-saturating G)
//            L_D = mean softplus(−s_real) + mean softplus(s_fake)      L_G = mean softplus(−s_fake)
//   lsgan  (Mao et al. 2017, targets a = 0, b = c = 1)
//            L_D = ½ mean (s_real − 1)² + ½ mean s_fake²               L_G = ½ mean (s_fake − 1)²
//   hinge  (Lim & Ye 2017; Miyato et al. 2018)
//            L_D = mean relu(1 − s_real) + mean relu(1 + s_fake)       L_G = −mean s_fake
//   wgan   (Arjovsky et al. 2017; with the gradient penalty of Gulrajani et al. 2017, added by
//           the trainer: nn/gradient_penalty.hpp)
//            L_D = mean s_fake − mean s_real                            L_G = −mean s_fake
//
// Gradients are written (not accumulated): dL/ds per score, already divided by n.
// relu's kink (s = ±1 for hinge) takes the subgradient 0, as torch.relu's backward does.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace latentlab {

enum class GanObjective { Bce, LeastSquares, Hinge, Wasserstein };

// The CLI/metadata spelling: "bce", "lsgan", "hinge", "wgan-gp".
const char* gan_objective_name(GanObjective objective);
std::optional<GanObjective> parse_gan_objective(const std::string& name);
// "bce|lsgan|hinge|wgan-gp", for help texts and errors.
const char* gan_objective_names();
// True when D's score is a logit whose sigmoid is a probability (bce); a critic's scores
// (the other objectives) are shown as they are.
bool scores_are_probabilities(GanObjective objective);

double discriminator_loss(GanObjective objective, const float* real_scores, const float* fake_scores,
                          std::size_t n, float* grad_real, float* grad_fake);
double generator_loss(GanObjective objective, const float* fake_scores, std::size_t n, float* grad_fake);
// L_D's two terms one at a time, for a model that runs D on its real and its fake batch in two
// passes (each its own BatchNorm batch): discriminator_loss = real term + fake term.
double discriminator_real_loss(GanObjective objective, const float* real_scores, std::size_t n, float* grad_real);
double discriminator_fake_loss(GanObjective objective, const float* fake_scores, std::size_t n, float* grad_fake);

}  // namespace latentlab
