// Whole-file reading, crash-safe writing and directory creation for the native tools.
//
// Every failure throws DataError with a message meant for the person at the terminal:
// it names the path and says what went wrong (with strerror where the OS said why).
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "program.hpp"

namespace latentlab::native {

// Reads a whole regular file. Throws DataError if it is missing, a directory (or another
// non-regular file), unreadable, or larger than max_bytes; the size is checked with fstat
// before anything is allocated.
std::vector<uint8_t> read_file(const std::string& path, size_t max_bytes);

// Replaces `path` with exactly `n` bytes from `data`, so that after a crash or a power
// loss the file holds either its old content or the new one, never a mix:
//   1. write `path.tmp.<pid>` in the same directory (same file system, so rename is atomic),
//   2. check every write, fsync it, check close (a full disk can surface only at close),
//   3. rename() it over `path`,
//   4. fsync the directory so the rename itself is durable.
// On any failure the temporary file is removed, the old `path` is untouched, and DataError
// names the path and the OS reason.
void write_file_atomically(const std::string& path, const void* data, size_t n);

inline void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file_atomically(path, bytes.data(), bytes.size());
}

// `mkdir -p path`. Throws DataError if a component exists but is not a directory, if a
// directory cannot be created, or if the final directory is not writable.
void ensure_directory(const std::string& path);

// True if `path` names an existing directory / regular file (no exceptions).
bool is_directory(const std::string& path);
bool is_regular_file(const std::string& path);

// "error text" for errno value `err`, e.g. "No such file or directory".
std::string os_error(int err);

// 'path' in single quotes, as messages name files.
std::string quoted(const std::string& path);
// The directory part of `path`: "." when there is none, "/" for a file at the root.
std::string parent_directory(const std::string& path);

}  // namespace latentlab::native
