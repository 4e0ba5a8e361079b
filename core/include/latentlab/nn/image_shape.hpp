// The shape of one image (or feature map) in a batch of activations.
//
// Layout: images are stored NCHW, one image per row of a batch × (C·H·W) row-major matrix:
// element (n, c, h, w) is at x[n·C·H·W + (c·H + h)·W + w]. A conv layer's output is therefore
// already the batch × features matrix a Linear layer reads (and the reverse), so flatten and
// reshape between them are views: no copy, no code.
#pragma once

namespace latentlab {

struct ImageShape {
  int channels = 0, height = 0, width = 0;
  int plane() const { return height * width; }
  int size() const { return channels * height * width; }
  bool operator==(const ImageShape& o) const { return channels == o.channels && height == o.height && width == o.width; }
  bool operator!=(const ImageShape& o) const { return !(*this == o); }
};

}  // namespace latentlab
