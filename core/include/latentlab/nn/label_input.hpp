// The class-label input of a conditional model (Sohn et al. 2015; Mirza & Osindero 2014): the
// features x of each row, then the one-hot code of its label y, each code entry repeated over a
// plane of P values (P = 1: a plain one-hot vector; P = H·W: `classes` constant image planes),
//   forward   out = [x | onehot(y) ⊗ 1_P]    x: batch×features, y ∈ [0, classes), out: batch×(features + classes·P)
//   backward  dL/dx = dL/dout[:, :features]  (the one-hot columns are constants: no gradient)
// P = 1: a Linear reading `out` computes W_x x + W_y[:, y] + b: a learned per-class bias, i.e. an
// embedding table of the label added to the layer's pre-activation. P = H·W with x an NCHW image
// of C channels: `out` is a (C + classes)-channel image whose plane C + y is 1 and the other label
// planes 0, what a conv reads as "the label as input channels" (the DCGAN's label-channel D).
// A label outside [0, classes) is a caller's bug; its row gets an all-zero code (never an
// out-of-bounds write). Callers check labels where they enter (the CLI, the wasm ABI).
#pragma once

namespace latentlab {

class LabelInput {
 public:
  LabelInput(int features, int classes, int plane = 1) : features_(features), classes_(classes), plane_(plane) {}
  int features() const { return features_; }
  int classes() const { return classes_; }
  int plane() const { return plane_; }
  int width() const { return features_ + classes_ * plane_; }  // columns of the output

  // out (batch × width()) = [x | onehot(labels) ⊗ 1_plane].
  void forward(const float* x, const int* labels, int batch, float* out) const;
  // grad_x (batch × features) = the first `features` columns of grad_out (batch × width()).
  void backward(const float* grad_out, int batch, float* grad_x) const;

 private:
  int features_, classes_, plane_;
};

// true when every one of the n labels is in [0, classes).
bool labels_in_range(const int* labels, int n, int classes);

}  // namespace latentlab
