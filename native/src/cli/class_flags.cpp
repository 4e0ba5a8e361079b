#include "cli/class_flags.hpp"

#include <cerrno>
#include <cstdlib>

namespace latentlab::native {

namespace {

// A decimal class index in [0, classes), or UsageError naming the flag.
int parse_class(const std::string& text, int classes, const char* flag) {
  const bool digits = !text.empty() && text.size() <= 3 && text.find_first_not_of("0123456789") == std::string::npos;
  const int value = digits ? std::atoi(text.c_str()) : -1;
  if (value < 0 || value >= classes)
    throw UsageError(std::string(flag) + ": '" + text + "' is not a class of this model (0 to " +
                     std::to_string(classes - 1) + ")");
  return value;
}

}  // namespace

void add_class_flags(CLI::App* app, ClassFlags& f, const std::string& what) {
  f.o_class = app->add_option("--class", f.one, "Conditional models: the class of every image" + what);
  f.o_classes = app->add_option("--classes", f.range,
                                "Conditional models: a range of classes A-B (e.g. 0-9), one row per class" + what);
  f.o_class->excludes(f.o_classes);
}

std::vector<int> requested_classes(const ClassFlags& f, const GenerativeModel& model) {
  const bool one = f.o_class && f.o_class->count() > 0;
  const bool range = f.o_classes && f.o_classes->count() > 0;
  if (!one && !range) return {};
  const char* flag = one ? "--class" : "--classes";
  if (!model.conditional())
    throw UsageError(std::string(flag) + ": this model is not conditional (it was trained without --conditional), "
                     "so it cannot be asked for a class");
  if (one) return {parse_class(f.one, model.classes(), "--class")};
  const std::size_t dash = f.range.find('-');
  const int first = parse_class(dash == std::string::npos ? f.range : f.range.substr(0, dash), model.classes(), "--classes");
  const int last = dash == std::string::npos ? first : parse_class(f.range.substr(dash + 1), model.classes(), "--classes");
  if (last < first)
    throw UsageError("--classes: '" + f.range + "' is an empty range (write the lower class first, e.g. 0-9)");
  std::vector<int> classes;
  for (int c = first; c <= last; ++c) classes.push_back(c);
  return classes;
}

ClassRows rows_per_class(const std::vector<float>& z, int n, const std::vector<int>& classes) {
  ClassRows rows;
  for (int c : classes) {
    rows.z.insert(rows.z.end(), z.begin(), z.end());
    rows.labels.insert(rows.labels.end(), static_cast<std::size_t>(n), c);
  }
  return rows;
}

}  // namespace latentlab::native
