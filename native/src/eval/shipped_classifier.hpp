// Which classifier judges a data set's images: the shipped native/models/classifier-<data>.safetensors
// for the named data sets mnist and fashion (found above the working directory or the executable,
// find_in_checkout). Used by `latentlab eval` and by the evaluation during `latentlab train`.
#pragma once

#include <string>

namespace latentlab::native {

// "native/models/classifier-<data>.safetensors" for mnist and fashion, "" for any other data set.
std::string shipped_classifier_relative_path(const std::string& data);
// The path of that file, or "" when the data set has none or the file is not found.
std::string find_shipped_classifier(const std::string& data);

}  // namespace latentlab::native
