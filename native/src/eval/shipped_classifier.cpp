#include "eval/shipped_classifier.hpp"

#include "data/datasets.hpp"

namespace latentlab::native {

std::string shipped_classifier_relative_path(const std::string& data) {
  if (data != "mnist" && data != "fashion") return "";
  return "native/models/classifier-" + data + ".safetensors";
}

std::string find_shipped_classifier(const std::string& data) {
  const std::string relative = shipped_classifier_relative_path(data);
  return relative.empty() ? "" : find_in_checkout(relative);
}

}  // namespace latentlab::native
