// Fréchet distance between two sets of feature vectors, each summarised by a Gaussian
// (Heusel et al. 2017, "FID", here in the penultimate layer of our own classifier):
//
//   FD = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^{1/2})
//
// Tr (Σ₁Σ₂)^{1/2} is computed in the symmetric form Tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}: the product
// Σ₁Σ₂ is not symmetric, but Σ₁^{1/2} Σ₂ Σ₁^{1/2} is symmetric positive semi-definite and has the
// same eigenvalues, so both square roots come from Eigen's SelfAdjointEigenSolver (stable, real
// eigenvalues). Eigenvalues that rounding makes slightly negative are clamped to 0 before the
// square root. Means and covariances are accumulated in double.
#pragma once

#include <cstddef>
#include <vector>

namespace latentlab::native {

// Mean and covariance (unbiased, divided by n − 1) of n vectors of `dim` floats.
struct GaussianStats {
  int dim = 0;
  std::size_t count = 0;
  std::vector<double> mean;        // dim
  std::vector<double> covariance;  // dim × dim, row-major, symmetric
};

// Statistics of n rows (n × dim, row-major). n ≥ 2.
GaussianStats gaussian_stats(const float* rows, std::size_t n, int dim);

// FD of two Gaussians of the same dimension (formula above). Never negative.
double frechet_distance(const GaussianStats& a, const GaussianStats& b);

}  // namespace latentlab::native
