#include "train/training_log.hpp"

#include <cstdlib>
#include <stdexcept>

#include "output/file_io.hpp"

namespace latentlab::native {

TrainingLog::TrainingLog(std::string path, std::vector<std::string> columns)
    : path_(std::move(path)), columns_(std::move(columns)) {}

std::string TrainingLog::header() const {
  std::string h;
  for (std::size_t i = 0; i < columns_.size(); ++i) h += (i ? "," : "") + columns_[i];
  return h;
}

bool TrainingLog::load_existing(int last_epoch) {
  rows_.clear();
  if (!is_regular_file(path_)) return false;
  std::vector<std::uint8_t> bytes;
  try {
    bytes = read_file(path_, 64u << 20);
  } catch (const DataError&) {
    return false;
  }
  const std::string text(bytes.begin(), bytes.end());
  std::size_t start = 0;
  bool first = true;
  std::vector<std::string> kept;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (first) {
      if (line != header()) return false;
      first = false;
      continue;
    }
    if (line.empty()) continue;
    // The first column is the epoch number.
    const int epoch = std::atoi(line.substr(0, line.find(',')).c_str());
    if (epoch >= 1 && epoch <= last_epoch) kept.push_back(line);
  }
  if (first) return false;
  rows_ = std::move(kept);
  return true;
}

namespace {
std::vector<std::string> split_row(const std::string& row) {
  std::vector<std::string> values;
  std::size_t start = 0;
  for (std::size_t comma; (comma = row.find(',', start)) != std::string::npos; start = comma + 1)
    values.push_back(row.substr(start, comma - start));
  values.push_back(row.substr(start));
  return values;
}
}  // namespace

bool TrainingLog::carry_over(const std::string& path, int last_epoch) {
  TrainingLog previous(path, columns_);
  if (!previous.load_existing(last_epoch)) return false;
  for (const auto& row : previous.rows()) {
    const std::vector<std::string> values = split_row(row);
    if (values.size() == columns_.size()) add_row(values);
  }
  return true;
}

void TrainingLog::add_row(const std::vector<std::string>& values) {
  if (values.size() != columns_.size())
    throw std::logic_error("log row has " + std::to_string(values.size()) + " values for " +
                           std::to_string(columns_.size()) + " columns");
  std::string row;
  for (std::size_t i = 0; i < values.size(); ++i) row += (i ? "," : "") + values[i];
  rows_.push_back(row);
}

void TrainingLog::save() const {
  std::string text = header() + "\n";
  for (const auto& row : rows_) text += row + "\n";
  write_file_atomically(path_, text.data(), text.size());
}

}  // namespace latentlab::native
