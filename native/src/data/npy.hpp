// A strict reader of NumPy .npy files holding images: what `latentlab eval --images` scores.
//
// The format (numpy.lib.format, versions 1.0, 2.0 and 3.0):
//   6 bytes   magic "\x93NUMPY"
//   2 bytes   major, minor version
//   u16 (v1) or u32 (v2, v3) little-endian header length H
//   H bytes   a Python dict literal, padded with spaces and ending in '\n', e.g.
//             {'descr': '<f4', 'fortran_order': False, 'shape': (64, 28, 28), }
//   data      prod(shape) elements, C order
// Accepted: descr '<f4' (little-endian float32), fortran_order False, a shape of
// (N, P), (N, H, W) or (N, 1, H, W) with N ≥ 1, exactly prod(shape)·4 data bytes, and every value
// finite and in [0, 1]. Anything else is refused with a DataError that names the file and says
// what was found and what is expected (dtype, order, shape, size, the first bad value's index).
// The header is checked before anything is allocated (limits below).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace latentlab::native {

inline constexpr std::size_t kNpyMaxHeaderBytes = 65536;
inline constexpr std::uint64_t kNpyMaxValues = 1ull << 28;  // 1 GiB of float32

struct NpyImages {
  std::size_t count = 0;
  std::size_t rows = 0, cols = 0;  // (N, P) files: rows = 1, cols = P
  std::vector<float> pixels;       // count × rows × cols, row-major, in [0, 1]
  std::size_t image_size() const { return rows * cols; }
};

// true when the bytes start with the .npy magic (so they are parsed as .npy, not as IDX).
bool is_npy(const std::uint8_t* data, std::size_t size);

// Parses a whole .npy file's bytes; `source` names it in error messages.
NpyImages parse_npy_images(const std::uint8_t* data, std::size_t size, const std::string& source);

NpyImages read_npy_images(const std::string& path);

}  // namespace latentlab::native
