// file_io: whole-file reads with a size cap, atomic replacement, mkdir -p.
#include <signal.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "output/file_io.hpp"

using namespace latentlab::native;
using Catch::Contains;

namespace {

// A fresh directory under /tmp, removed with everything in it at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/latentlab-fileio-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

size_t entries_in(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("read_file returns the bytes and enforces the size cap", "[data]") {
  TempDir dir;
  const std::string path = dir.file("hundred.bin");
  std::string content;
  for (int i = 0; i < 100; ++i) content.push_back(static_cast<char>(i * 7));
  write_text(path, content);

  const std::vector<uint8_t> bytes = read_file(path, 100);
  REQUIRE(bytes.size() == 100);
  CHECK(bytes[0] == 0);
  CHECK(bytes[1] == 7);
  CHECK(bytes[99] == static_cast<uint8_t>(99 * 7));

  REQUIRE_THROWS_AS(read_file(path, 99), DataError);
  REQUIRE_THROWS_WITH(read_file(path, 99), Contains(path) && Contains("100 bytes") && Contains("limit of 99"));

  write_text(dir.file("empty"), "");
  CHECK(read_file(dir.file("empty"), 0).empty());
}

TEST_CASE("read_file names the path when it is missing or a directory", "[data]") {
  TempDir dir;
  REQUIRE_THROWS_WITH(read_file(dir.file("nope.bin"), 10), Contains(dir.file("nope.bin")) && Contains("not found"));
  REQUIRE_THROWS_WITH(read_file(dir.path, 10), Contains(dir.path) && Contains("directory"));
  REQUIRE_THROWS_WITH(read_file("/dev/null", 10), Contains("/dev/null") && Contains("not a regular file"));
}

TEST_CASE("write_file_atomically creates and replaces a file and leaves no temporary behind", "[data]") {
  TempDir dir;
  const std::string path = dir.file("out.txt");
  const std::string first = "first version";
  write_file_atomically(path, first.data(), first.size());
  CHECK(read_text(path) == first);

  const std::string second = "second, longer version of the content";
  write_file_atomically(path, second.data(), second.size());
  CHECK(read_text(path) == second);

  write_file_atomically(path, nullptr, 0);
  CHECK(read_text(path).empty());
  CHECK(entries_in(dir.path) == 1);  // only out.txt: the .tmp.<pid> file was renamed away
}

TEST_CASE("write_file_atomically fails clearly when the directory cannot take the file", "[data]") {
  TempDir dir;
  // Tests run as root, so chmod cannot make a directory unwritable. Two paths that even root
  // cannot create a file in instead:
  // 1. a "directory" that is really a regular file (ENOTDIR);
  write_text(dir.file("plain-file"), "I am a file");
  const std::string under_file = dir.file("plain-file") + "/out.png";
  REQUIRE_THROWS_AS(write_file_atomically(under_file, "x", 1), DataError);
  REQUIRE_THROWS_WITH(write_file_atomically(under_file, "x", 1), Contains(under_file) && Contains("Not a directory"));
  CHECK(read_text(dir.file("plain-file")) == "I am a file");

  // 2. a directory that does not exist;
  const std::string missing = dir.file("no-such-dir") + "/out.png";
  REQUIRE_THROWS_WITH(write_file_atomically(missing, "x", 1), Contains(missing) && Contains("No such file"));

  // 3. /proc/self, where nobody can create files: the existing /proc/self/comm must be untouched
  //    (the failure happens when creating the temporary, long before rename).
  const std::string comm_before = read_text("/proc/self/comm");
  REQUIRE_FALSE(comm_before.empty());
  REQUIRE_THROWS_WITH(write_file_atomically("/proc/self/comm", "hijacked\n", 9), Contains("/proc/self/comm"));
  CHECK(read_text("/proc/self/comm") == comm_before);
}

TEST_CASE("write_file_atomically on a failing write keeps the old file and removes the temporary", "[data]") {
  // Simulate a full disk: with RLIMIT_FSIZE, write() beyond the limit fails with EFBIG (and
  // SIGXFSZ, which we ignore). The limit applies to every file the process writes, so nothing
  // else is written (or asserted, which may print) until it is restored.
  TempDir dir;
  const std::string path = dir.file("model.bin");
  write_text(path, "old content");
  const std::vector<uint8_t> big(64 * 1024, 0xAB);

  struct rlimit saved {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string error;
  bool threw = false;
  try {
    write_file_atomically(path, big.data(), big.size());
  } catch (const DataError& e) {
    threw = true;
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ::signal(SIGXFSZ, old_handler);

  CHECK(threw);
  CHECK_THAT(error, Contains(path) && Contains("File too large"));
  CHECK(read_text(path) == "old content");
  CHECK(entries_in(dir.path) == 1);  // the temporary file was removed
}

TEST_CASE("ensure_directory makes nested directories and reports a file in the way", "[data]") {
  TempDir dir;
  const std::string nested = dir.file("a/b/c");
  ensure_directory(nested);
  CHECK(is_directory(nested));
  ensure_directory(nested);  // idempotent
  ensure_directory(nested + "/");
  CHECK(is_directory(nested));

  write_text(dir.file("blocker"), "file");
  const std::string blocked = dir.file("blocker/sub");
  REQUIRE_THROWS_WITH(ensure_directory(blocked), Contains(dir.file("blocker")) && Contains("not a directory"));
  CHECK_FALSE(is_directory(blocked));
}
