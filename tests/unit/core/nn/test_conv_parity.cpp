// Conv2d, ConvTranspose2d and BatchNorm2d against PyTorch 1.13 (tests/fixtures/conv_reference.json,
// written by tests/reference/make_conv_fixtures.py): forward outputs and every gradient, and
// BatchNorm2d's running statistics and eval mode.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "latentlab/nn/batchnorm2d.hpp"
#include "latentlab/nn/conv2d.hpp"
#include "latentlab/nn/conv_transpose2d.hpp"
#include "support/fixtures.hpp"

using namespace latentlab;
using namespace latentlab::test;

namespace {

ActivationSpec activation_named(const std::string& name) {
  for (Activation a : {Activation::Identity, Activation::ReLU, Activation::LeakyReLU, Activation::Sigmoid, Activation::Tanh})
    if (name == activation_name(a)) return {a, 0.2f};
  FAIL("unknown activation " << name);
  return {};
}

ImageShape shape_of(const json& v) { return {v.at(0).get<int>(), v.at(1).get<int>(), v.at(2).get<int>()}; }

template <class Layer>
void check_conv_case(const json& c, double abs_tol, double rel_tol) {
  ParameterSet params;
  Layer layer(params, "layer", shape_of(c.at("input")), c.at("out_channels").get<int>(), c.at("kernel").get<int>(),
              c.at("stride").get<int>(), c.at("padding").get<int>(), activation_named(c.at("activation").get<std::string>()));
  params.allocate();
  REQUIRE(layer.output_shape() == shape_of(c.at("output")));
  CHECK(params.find("layer.weight")->shape == c.at("weight_shape").get<std::vector<int>>());
  const std::vector<float> w = floats(c.at("weight")), b = floats(c.at("bias")), x = floats(c.at("x")), r = floats(c.at("r"));
  REQUIRE(w.size() == params.find("layer.weight")->size);
  std::copy(w.begin(), w.end(), layer.weight());
  std::copy(b.begin(), b.end(), layer.bias());
  const int batch = c.at("batch").get<int>();
  std::vector<float> y(r.size()), grad_x(x.size());
  REQUIRE(y.size() == static_cast<std::size_t>(batch) * layer.output_shape().size());
  layer.forward(x.data(), batch, y.data());
  check_close("y", y.data(), floats(c.at("y")), abs_tol, rel_tol);
  std::vector<float> grad_y = r;
  layer.backward(x.data(), y.data(), grad_y.data(), batch, grad_x.data(), ParamGrads::Write);
  check_close("grad_x", grad_x.data(), floats(c.at("grad_x")), abs_tol, rel_tol);
  check_close("grad_weight", layer.weight_grad(), floats(c.at("grad_weight")), abs_tol, rel_tol);
  check_close("grad_bias", layer.bias_grad(), floats(c.at("grad_bias")), abs_tol, rel_tol);
}

void check_batchnorm_case(const json& c, double abs_tol, double rel_tol) {
  ParameterSet params, buffers;
  BatchNorm2d bn(params, buffers, "bn", shape_of(c.at("input")), c.at("eps").get<float>(), c.at("momentum").get<float>());
  params.allocate();
  buffers.allocate();
  bn.init();
  const std::vector<float> gamma = floats(c.at("weight")), beta = floats(c.at("bias"));
  std::copy(gamma.begin(), gamma.end(), params.values() + params.find("bn.weight")->offset);
  std::copy(beta.begin(), beta.end(), params.values() + params.find("bn.bias")->offset);
  const int batch = c.at("batch").get<int>();
  const std::vector<float> x = floats(c.at("x")), r = floats(c.at("r")), x_eval = floats(c.at("x_eval"));
  std::vector<float> y(x.size()), grad = r;
  bn.forward(x.data(), batch, y.data(), true);
  check_close("y", y.data(), floats(c.at("y")), abs_tol, rel_tol);
  bn.backward(grad.data(), batch, ParamGrads::Write);
  check_close("grad_x", grad.data(), floats(c.at("grad_x")), abs_tol, rel_tol);
  check_close("grad_weight", params.grads() + params.find("bn.weight")->offset, floats(c.at("grad_weight")), abs_tol, rel_tol);
  check_close("grad_bias", params.grads() + params.find("bn.bias")->offset, floats(c.at("grad_bias")), abs_tol, rel_tol);
  check_close("running_mean", bn.running_mean(), floats(c.at("running_mean")), abs_tol, rel_tol);
  check_close("running_var", bn.running_var(), floats(c.at("running_var")), abs_tol, rel_tol);
  bn.forward(x_eval.data(), batch, y.data(), false);
  check_close("y_eval", y.data(), floats(c.at("y_eval")), abs_tol, rel_tol);
}

}  // namespace

TEST_CASE("Conv2d, ConvTranspose2d and BatchNorm2d match PyTorch 1.13", "[conv][batchnorm][pytorch]") {
  const json doc = load_fixture("conv_reference.json");
  const double abs_tol = doc.at("tolerances").at("value").at(0).get<double>();
  const double rel_tol = doc.at("tolerances").at("value").at(1).get<double>();
  int index = 0;
  for (const json& c : doc.at("cases")) {
    const std::string layer = c.at("layer").get<std::string>();
    DYNAMIC_SECTION("case " << index << ": " << layer) {
      if (layer == "conv2d") {
        check_conv_case<Conv2d>(c, abs_tol, rel_tol);
      } else if (layer == "conv_transpose2d") {
        check_conv_case<ConvTranspose2d>(c, abs_tol, rel_tol);
      } else {
        REQUIRE(layer == "batchnorm2d");
        check_batchnorm_case(c, abs_tol, rel_tol);
      }
    }
    ++index;
  }
  CHECK(index == 8);
}
