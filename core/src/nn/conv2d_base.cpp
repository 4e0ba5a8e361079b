// Shared parts of the conv layers (conv2d_base.hpp).
#include "latentlab/nn/conv2d_base.hpp"

#include <cmath>
#include <stdexcept>

#include "latentlab/kernels/parallel.hpp"
#include "latentlab/rng.hpp"

namespace latentlab {

ConvLayerBase::ConvLayerBase(ParameterSet& params, const char* kind, const std::string& name, ImageShape input,
                             int out_channels, kernels::ConvShape geometry, bool transposed, ActivationSpec activation)
    : params_(&params), name_(name), input_(input), geometry_(geometry), activation_(activation) {
  const kernels::ConvShape& g = geometry_;
  // A transposed layer's geometry was derived from its output size: it must map back to the input.
  const bool round_trip = !transposed || (g.out_height == input.height && g.out_width == input.width);
  if (input.channels <= 0 || input.height <= 0 || input.width <= 0 || out_channels <= 0 || !g.valid() || !round_trip)
    throw std::invalid_argument(std::string(kind) + " " + name + ": input " + std::to_string(input.channels) + "x" +
                                std::to_string(input.height) + "x" + std::to_string(input.width) + ", " +
                                std::to_string(out_channels) + " output channels, kernel " + std::to_string(g.kernel) +
                                ", stride " + std::to_string(g.stride) + ", padding " + std::to_string(g.padding) +
                                " give no valid output");
  output_ = transposed ? ImageShape{out_channels, g.in_height, g.in_width}
                       : ImageShape{out_channels, g.out_height, g.out_width};
  weight_offset_ = params.declare(name + ".weight", {g.out_channels, g.in_channels, g.kernel, g.kernel});
  bias_offset_ = params.declare(name + ".bias", {out_channels});
}

void ConvLayerBase::init(Rng& rng) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(geometry_.in_channels * geometry_.kernel * geometry_.kernel));
  rng.fill_uniform(weight(), static_cast<std::size_t>(geometry_.weight_size()), -bound, bound);
  rng.fill_uniform(bias(), static_cast<std::size_t>(output_.channels), -bound, bound);
}

void ConvLayerBase::bias_activation(float* y, int batch) {
  // Plane by plane (one image's channel, b[c] for all its pixels), each while it is in cache,
  // split across threads in whole planes: the result does not depend on the split.
  const int C = output_.channels;
  const std::size_t P = static_cast<std::size_t>(output_.plane());
  const bool transcendental = activation_.kind == Activation::Sigmoid || activation_.kind == Activation::Tanh;
  const float* b = bias();
  parallel::for_rows(static_cast<std::size_t>(batch) * C, P,
                     transcendental ? parallel::Cost::Transcendental : parallel::Cost::Cheap,
                     [&](std::size_t begin, std::size_t end) {
                       for (std::size_t r = begin; r < end; ++r) {
                         float* plane = y + r * P;
                         const float bc = b[r % C];
                         for (std::size_t p = 0; p < P; ++p) plane[p] += bc;
                         activation_forward(activation_, plane, P);
                       }
                     });
}

void ConvLayerBase::activation_bias_backward(const float* y, float* g, int batch, ParamGrads mode) {
  activation_backward_rows(activation_, y, g, batch, output_.size());
  if (mode != ParamGrads::Skip)
    kernels::channel_sums(g, batch, output_.channels, output_.plane(), bias_grad(), mode == ParamGrads::Accumulate);
}

}  // namespace latentlab
