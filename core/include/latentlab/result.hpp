// A value or a human-readable error. Parsers of untrusted input return this
// instead of throwing, so the same code works in WebAssembly builds without
// exception support.
#pragma once

#include <string>
#include <utility>

namespace latentlab {

template <class T>
class Result {
 public:
  static Result success(T value) {
    Result r;
    r.value_ = std::move(value);
    r.ok_ = true;
    return r;
  }
  static Result failure(std::string error) {
    Result r;
    r.error_ = std::move(error);
    return r;
  }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const std::string& error() const { return error_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T take() { return std::move(value_); }

 private:
  Result() = default;
  T value_{};
  std::string error_;
  bool ok_ = false;
};

}  // namespace latentlab
