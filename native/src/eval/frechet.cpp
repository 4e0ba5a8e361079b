#include "eval/frechet.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace latentlab::native {

namespace {
using Matrix = Eigen::MatrixXd;
using MatrixMap = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

// S^{1/2} of a symmetric PSD matrix: V diag(√max(λ, 0)) Vᵀ.
Matrix symmetric_sqrt(const Matrix& s) {
  Eigen::SelfAdjointEigenSolver<Matrix> eig(s);
  const Eigen::VectorXd roots = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return eig.eigenvectors() * roots.asDiagonal() * eig.eigenvectors().transpose();
}
}  // namespace

GaussianStats gaussian_stats(const float* rows, std::size_t n, int dim) {
  if (n < 2 || dim < 1) throw std::invalid_argument("gaussian_stats needs at least 2 vectors");
  GaussianStats g;
  g.dim = dim;
  g.count = n;
  const std::size_t d = static_cast<std::size_t>(dim);
  g.mean.assign(d, 0.0);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t i = 0; i < d; ++i) g.mean[i] += rows[r * d + i];
  for (double& m : g.mean) m /= static_cast<double>(n);
  // Σ = (1 / (n − 1)) Σ_r (x_r − μ)(x_r − μ)ᵀ: centred first (no E[x²] − μ² cancellation),
  // as one double GEMM Xcᵀ Xc.
  Matrix centred(static_cast<Eigen::Index>(n), dim);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t i = 0; i < d; ++i)
      centred(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(i)) = rows[r * d + i] - g.mean[i];
  Matrix cov = Matrix::Zero(dim, dim);
  cov.selfadjointView<Eigen::Lower>().rankUpdate(centred.transpose(), 1.0 / static_cast<double>(n - 1));
  cov = cov.selfadjointView<Eigen::Lower>();
  g.covariance.resize(d * d);
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < d; ++j) g.covariance[i * d + j] = cov(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
  return g;
}

double frechet_distance(const GaussianStats& a, const GaussianStats& b) {
  if (a.dim != b.dim || a.dim < 1) throw std::invalid_argument("frechet_distance: dimensions differ");
  const Eigen::Index d = a.dim;
  double mean_term = 0.0;  // ‖μ₁ − μ₂‖²
  for (Eigen::Index i = 0; i < d; ++i) {
    const double diff = a.mean[static_cast<std::size_t>(i)] - b.mean[static_cast<std::size_t>(i)];
    mean_term += diff * diff;
  }
  const Matrix s1 = MatrixMap(a.covariance.data(), d, d);
  const Matrix s2 = MatrixMap(b.covariance.data(), d, d);
  // Tr (Σ₁Σ₂)^{1/2} = Σ √λ_i of M = Σ₁^{1/2} Σ₂ Σ₁^{1/2} (symmetrised against rounding).
  const Matrix root1 = symmetric_sqrt(s1);
  Matrix m = root1 * s2 * root1;
  m = 0.5 * (m + m.transpose());
  Eigen::SelfAdjointEigenSolver<Matrix> eig(m, Eigen::EigenvaluesOnly);
  const double trace_sqrt = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  const double fd = mean_term + s1.trace() + s2.trace() - 2.0 * trace_sqrt;
  return std::max(fd, 0.0);  // rounding can leave −1e-12 for identical sets
}

}  // namespace latentlab::native
