// Recognising the MNIST and Fashion-MNIST test sets by content, so `latentlab eval --data DIR`
// can pick the shipped classifier for a directory that holds one of them under any name.
//
// The fingerprint is the SHA-256 of the test images' pixel bytes (count × 28 × 28, the IDX file
// after its 16-byte header, decompressed): a copy, a gzip or a renamed directory matches; a
// subset, a reordering or any changed pixel does not (its FD floor and class statistics would
// not be the test set's either).
#pragma once

#include <string>

#include "data/datasets.hpp"

namespace latentlab::native {

// Lower-case hex SHA-256 of the test images' pixels.
std::string test_images_sha256(const Dataset& test);

// "mnist" or "fashion" when `test` is that data set's full test set, else "".
std::string recognise_test_set(const Dataset& test);

}  // namespace latentlab::native
