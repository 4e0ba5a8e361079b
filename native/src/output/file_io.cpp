#include "output/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace latentlab::native {

std::string os_error(int err) { return std::strerror(err); }

namespace {

// Closes a file descriptor when it goes out of scope (error paths included).
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  // Closes now and returns close()'s result; the guard no longer owns the descriptor.
  int close_now() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

}  // namespace

std::string quoted(const std::string& path) { return "'" + path + "'"; }

std::string parent_directory(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<uint8_t> read_file(const std::string& path, size_t max_bytes) {
  FdGuard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    if (err == ENOENT) throw DataError("cannot read " + quoted(path) + ": file not found");
    throw DataError("cannot open " + quoted(path) + ": " + os_error(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw DataError("cannot stat " + quoted(path) + ": " + os_error(errno));
  if (S_ISDIR(st.st_mode)) throw DataError("cannot read " + quoted(path) + ": it is a directory, not a file");
  if (!S_ISREG(st.st_mode)) throw DataError("cannot read " + quoted(path) + ": not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    throw DataError(quoted(path) + " is " + std::to_string(size) + " bytes, more than the limit of " +
                    std::to_string(max_bytes) + " bytes");
  }

  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t got = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw DataError("error reading " + quoted(path) + ": " + os_error(errno));
    }
    if (got == 0) throw DataError(quoted(path) + " shrank while it was being read");
    done += static_cast<size_t>(got);
  }
  // A file that grew since fstat would be silently cut: say so instead.
  uint8_t extra = 0;
  ssize_t more;
  do {
    more = ::read(fd.get(), &extra, 1);
  } while (more < 0 && errno == EINTR);
  if (more > 0) throw DataError(quoted(path) + " grew while it was being read");
  return bytes;
}

void write_file_atomically(const std::string& path, const void* data, size_t n) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  FdGuard fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    throw DataError("cannot write " + quoted(path) + " (creating temporary file " + quoted(tmp) +
                    "): " + os_error(errno));
  }
  // Any failure from here on: remove the temporary file, leave `path` alone, report.
  auto fail = [&](const std::string& what, int err) {
    if (fd.get() >= 0) fd.close_now();
    ::unlink(tmp.c_str());
    throw DataError("cannot write " + quoted(path) + ": " + what + ": " + os_error(err));
  };

  const auto* bytes = static_cast<const uint8_t*>(data);
  size_t done = 0;
  while (done < n) {
    ssize_t put = ::write(fd.get(), bytes + done, n - done);
    if (put < 0) {
      if (errno == EINTR) continue;
      fail("write failed after " + std::to_string(done) + " of " + std::to_string(n) + " bytes", errno);
    }
    done += static_cast<size_t>(put);  // a short write is retried; the next call reports why
  }
  if (::fsync(fd.get()) != 0) fail("fsync failed", errno);
  if (fd.close_now() != 0) fail("close failed", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename from " + quoted(tmp) + " failed", errno);

  // Make the rename durable. Some file systems cannot fsync a directory (EINVAL): then there
  // is nothing more we can do, and the data itself is already safe.
  const std::string dir = parent_directory(path);
  FdGuard dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0) throw DataError("wrote " + quoted(path) + " but cannot open its directory to fsync: " + os_error(errno));
  if (::fsync(dfd.get()) != 0 && errno != EINVAL) {
    throw DataError("wrote " + quoted(path) + " but fsync of directory " + quoted(dir) + " failed: " + os_error(errno));
  }
}

void ensure_directory(const std::string& path) {
  if (path.empty()) throw DataError("ensure_directory: empty path");
  // Create each prefix in turn: "a", "a/b", "a/b/c" (mkdir -p).
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (prefix.empty() || prefix == "/") continue;
    if (::mkdir(prefix.c_str(), 0755) == 0) continue;
    const int err = errno;
    struct stat st {};
    if (::stat(prefix.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) continue;
      throw DataError("cannot create directory " + quoted(path) + ": " + quoted(prefix) +
                      " exists and is not a directory");
    }
    throw DataError("cannot create directory " + quoted(path) + " (at " + quoted(prefix) + "): " + os_error(err));
  }
  if (::access(path.c_str(), W_OK | X_OK) != 0) {
    throw DataError("directory " + quoted(path) + " is not writable: " + os_error(errno));
  }
}

}  // namespace latentlab::native
