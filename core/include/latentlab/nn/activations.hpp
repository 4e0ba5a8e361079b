// Elementwise activation layers, each forward next to its backward.
// Backward passes are written in terms of the *output* y = f(x), which is what
// the layers keep, so no pre-activation buffer is needed:
//   ReLU       y = max(x, 0)            dy/dx = [y > 0]
//   LeakyReLU  y = x if x > 0 else s·x  dy/dx = 1 if y > 0 else s        (s > 0)
//   Sigmoid    y = 1 / (1 + e^-x)       dy/dx = y (1 − y)
//   Tanh       y = tanh x               dy/dx = 1 − y²
#pragma once

#include <cstddef>

namespace latentlab {

enum class Activation { Identity, ReLU, LeakyReLU, Sigmoid, Tanh };

struct ActivationSpec {
  Activation kind = Activation::Identity;
  float slope = 0.2f;  // LeakyReLU only
};

const char* activation_name(Activation);

// y = f(x) in place.
void activation_forward(const ActivationSpec& f, float* x, std::size_t n);
// Given y = f(x), turns the upstream gradient dL/dy (in place) into dL/dx.
void activation_backward(const ActivationSpec& f, const float* y, float* grad, std::size_t n);

// The same over a whole layer output of rows×cols, split across the kernels' threads when it is
// large (parallel::for_rows / for_elements: the result does not depend on the split):
//   y = f(y + b)   row by row, each row while it is in cache (b: cols);
//   grad ⊙= f′     from y.
void bias_activation_rows(const ActivationSpec& f, const float* bias, float* y, int rows, int cols);
void activation_backward_rows(const ActivationSpec& f, const float* y, float* grad, int rows, int cols);

void relu_forward(float* x, std::size_t n);
void relu_backward(const float* y, float* grad, std::size_t n);
void leaky_relu_forward(float* x, std::size_t n, float slope);
void leaky_relu_backward(const float* y, float* grad, std::size_t n, float slope);
void sigmoid_forward(float* x, std::size_t n);
void sigmoid_backward(const float* y, float* grad, std::size_t n);
void tanh_forward(float* x, std::size_t n);
void tanh_backward(const float* y, float* grad, std::size_t n);

// Numerically stable helpers.
float softplus(float x);        // log(1 + e^x)
float stable_sigmoid(float x);  // 1 / (1 + e^-x) without overflow

}  // namespace latentlab
