// Reader for the IDX format of MNIST-style data sets (http://yann.lecun.com/exdb/mnist/).
//
// An IDX file is a big-endian header followed by raw data:
//   u32 magic = 0x00 0x00 <element type> <number of dimensions>   (type 0x08 = unsigned byte)
//   u32 size of each dimension
//   data, row-major
// We read the two kinds MNIST uses: images, magic 0x00000803 (u8, 3 dims [count, rows, cols]),
// and labels, magic 0x00000801 (u8, 1 dim [count]).
//
// Files may be gzip-compressed (the usual *.gz downloads, Debian's Fashion-MNIST): a file that
// starts with the gzip magic 1f 8b is inflated on the fly, whatever its name.
//
// The header is untrusted: it is validated before anything is allocated (magic, dimensions,
// count, total size, and for plain files the exact file size), and a gzip stream is inflated
// only up to the size the header announces plus one byte, so a small file that claims billions
// of images, or that inflates to gigabytes, is rejected without using that memory.
// Every error is a DataError whose message names the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "output/file_io.hpp"

namespace latentlab::native {

inline constexpr uint32_t kIdxImagesMagic = 0x00000803;  // u8, 3 dimensions
inline constexpr uint32_t kIdxLabelsMagic = 0x00000801;  // u8, 1 dimension

// Limits on what a header may claim. MNIST is 60000 × 28 × 28 (47 MB).
inline constexpr uint32_t kIdxMaxCount = 10'000'000;
inline constexpr uint32_t kIdxMaxSide = 4096;                  // rows and cols each
inline constexpr uint64_t kIdxMaxPayloadBytes = 1ull << 30;    // 1 GiB of pixels in total

struct IdxImages {
  uint32_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count × rows × cols, row-major, 0 = background
};

struct IdxLabels {
  std::vector<uint8_t> labels;
};

IdxImages read_idx_images(const std::string& path);
IdxLabels read_idx_labels(const std::string& path);

struct LabeledImages {
  IdxImages images;
  IdxLabels labels;
};

// Reads both files and checks they belong together: the same count (the error names both
// files) and every label < num_classes (MNIST and Fashion-MNIST have 10 classes; pass up to
// 256 to accept any byte for other IDX data sets).
LabeledImages load_labeled_images(const std::string& images_path, const std::string& labels_path,
                                  int num_classes = 10);

// "0x00000803", and a description of what an IDX magic denotes ("u8 images (3 dimensions)",
// "u8 labels (1 dimension)", "float32 data with 2 dimensions", "not an IDX file", ...),
// used in error messages.
std::string idx_magic_hex(uint32_t magic);
std::string describe_idx_magic(uint32_t magic);

}  // namespace latentlab::native
