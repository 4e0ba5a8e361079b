#include "cli/common.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "output/file_io.hpp"

namespace latentlab::native {

const char* latentlab_version() {
#ifdef LATENTLAB_VERSION
  return LATENTLAB_VERSION;
#else
  return "0.1.0";
#endif
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Strict decimal integer: optional '-', then 1…19 digits, nothing else (no spaces, no '+',
// no hex or octal prefixes). Sets `negative` and the magnitude.
bool parse_decimal(const std::string& s, bool& negative, unsigned long long& magnitude) {
  std::size_t i = 0;
  negative = !s.empty() && s[0] == '-';
  if (negative) i = 1;
  if (i >= s.size() || s.size() - i > 20) return false;
  magnitude = 0;
  for (; i < s.size(); ++i) {
    if (!is_digit(s[i])) return false;
    const unsigned long long digit = static_cast<unsigned long long>(s[i] - '0');
    if (magnitude > (~0ull - digit) / 10) return false;  // would overflow 64 bits
    magnitude = magnitude * 10 + digit;
  }
  return true;
}

}  // namespace

CLI::Validator integer_in(long long lo, long long hi) {
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& s) -> std::string {
        bool negative = false;
        unsigned long long magnitude = 0;
        if (!parse_decimal(s, negative, magnitude)) return "'" + s + "' is not a whole number in " + range;
        if (magnitude > (1ull << 62)) return s + " is not in " + range;
        const long long value = negative ? -static_cast<long long>(magnitude) : static_cast<long long>(magnitude);
        if (value < lo || value > hi) return s + " is not in " + range;
        s = std::to_string(value);
        return "";
      },
      range);
}

CLI::Validator unsigned_64() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        bool negative = false;
        unsigned long long magnitude = 0;
        if (!parse_decimal(s, negative, magnitude) || negative)
          return "'" + s + "' is not a whole number in [0, 18446744073709551615]";
        s = std::to_string(magnitude);
        return "";
      },
      "[0, 2^64-1]");
}

CLI::Validator finite_number(double lo, double hi, bool lo_exclusive) {
  const std::string range = (lo_exclusive ? "(" : "[") + format_float(lo) + ", " + format_float(hi) + "]";
  return CLI::Validator(
      [lo, hi, lo_exclusive, range](std::string& s) -> std::string {
        errno = 0;
        char* end = nullptr;
        const double v = s.empty() ? 0.0 : std::strtod(s.c_str(), &end);
        if (s.empty() || end != s.c_str() + s.size() || std::isspace(static_cast<unsigned char>(s[0])))
          return "'" + s + "' is not a number";
        if (!std::isfinite(v) || errno == ERANGE) return "'" + s + "' is not a finite number in " + range;
        if (v > hi || v < lo || (lo_exclusive && v == lo)) return s + " is not in " + range;
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", v);
        s = buf;
        return "";
      },
      range);
}

CLI::Validator width_list() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        try {
          parse_width_list(s, "");
        } catch (const UsageError& e) {
          return e.what();
        }
        return "";
      },
      "W1[,W2,...]");
}

std::vector<int> parse_width_list(const std::string& text, const std::string& flag) {
  const std::string prefix = flag.empty() ? "" : flag + ": ";
  std::vector<int> widths;
  std::string item;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != ',') {
      item += text[i];
      continue;
    }
    bool negative = false;
    unsigned long long v = 0;
    if (!parse_decimal(item, negative, v) || negative || v < 1 || v > 65536)
      throw UsageError(prefix + "'" + text + "' must be a comma-separated list of layer widths in [1, 65536], e.g. 400 or 512,256");
    widths.push_back(static_cast<int>(v));
    item.clear();
  }
  if (widths.size() > 16) throw UsageError(prefix + "'" + text + "' has more than 16 layers");
  return widths;
}

namespace {
LoadOptions load_options;  // set by the parsed command's --allow-extra-tensors
}  // namespace

void add_load_flags(CLI::App* app) {
  app->add_flag("--allow-extra-tensors", load_options.allow_extra_tensors,
                "Accept a weights file holding tensors the model does not use (from another tool): they are "
                "ignored with a note (by default such a file is refused, naming the tensor)");
}

const LoadOptions& cli_load_options() { return load_options; }

void print_load_notes(const std::string& path, const std::vector<std::string>& notes) {
  for (const std::string& note : notes) std::fprintf(stderr, "note: %s: %s\n", path.c_str(), note.c_str());
}

LoadedModel load_weights_file(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file(path, kMaxWeightsFileBytes);
  Result<LoadedModel> model = load_model(bytes.data(), bytes.size(), load_options);
  if (!model) throw DataError("cannot load weights from '" + path + "': " + model.error());
  print_load_notes(path, model.value().notes);
  return model.take();
}

LoadedClassifier load_classifier_file(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file(path, kMaxWeightsFileBytes);
  Result<LoadedClassifier> c = load_classifier(bytes.data(), bytes.size(), load_options);
  if (!c) throw DataError("cannot load the classifier from '" + path + "': " + c.error());
  print_load_notes(path, c.value().notes);
  return c.take();
}

bool holds_classifier(const std::string& path) {
  try {
    const std::vector<std::uint8_t> bytes = read_file(path, kMaxWeightsFileBytes);
    auto decoded = decode_safetensors(bytes.data(), bytes.size());
    if (!decoded) return false;
    auto name = decoded.value().metadata.find("kind");
    if (name == decoded.value().metadata.end()) return false;
    return find_classifier_kind(name->second) != nullptr;
  } catch (const DataError&) {
    return false;
  }
}

void write_text_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  write_file_atomically(path, text.data(), text.size());
}

std::string join_command_line(int argc, const char* const* argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    bool plain = !arg.empty();
    for (char c : arg)
      plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || std::string("-_./,:=+@%").find(c) != std::string::npos);
    if (i) line += ' ';
    if (plain) {
      line += arg;
    } else {
      line += '\'';
      for (char c : arg) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
      line += '\'';
    }
  }
  return line;
}

}  // namespace latentlab::native
