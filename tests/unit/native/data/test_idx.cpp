// IDX reading (plain and gzip), its validation of untrusted headers, and the data set loaders,
// on tiny files made here by hand and on the real MNIST / Fashion-MNIST when present.
#include <zlib.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "data/datasets.hpp"
#include "data/idx.hpp"
#include "support/values.hpp"

using namespace latentlab::native;
using Catch::Contains;
using Bytes = std::vector<uint8_t>;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/latentlab-idx-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

void put_be32(Bytes& out, uint32_t v) {
  out.push_back(uint8_t(v >> 24));
  out.push_back(uint8_t(v >> 16));
  out.push_back(uint8_t(v >> 8));
  out.push_back(uint8_t(v));
}

Bytes images_file(uint32_t count, uint32_t rows, uint32_t cols, const Bytes& pixels) {
  Bytes out;
  put_be32(out, 0x00000803);
  put_be32(out, count);
  put_be32(out, rows);
  put_be32(out, cols);
  out.insert(out.end(), pixels.begin(), pixels.end());
  return out;
}

Bytes labels_file(const Bytes& labels) {
  Bytes out;
  put_be32(out, 0x00000801);
  put_be32(out, static_cast<uint32_t>(labels.size()));
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

void write_plain(const std::string& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

void write_gzip(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  if (!bytes.empty()) REQUIRE(gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

Bytes read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// 3 images of 2×4: pixel i of the whole payload is (37·i) mod 256, so every byte differs.
const Bytes kPixels = [] {
  Bytes p(3 * 2 * 4);
  for (size_t i = 0; i < p.size(); ++i) p[i] = uint8_t((37 * i) % 256);
  return p;
}();
const Bytes kLabels = {7, 0, 9};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("IDX images and labels round-trip, plain and gzip-compressed", "[data]") {
  TempDir dir;
  const Bytes img = images_file(3, 2, 4, kPixels);
  const Bytes lab = labels_file(kLabels);
  // gzip is recognised by content, not by name: "images.bin" below is compressed.
  write_plain(dir.file("images"), img);
  write_gzip(dir.file("images.gz"), img);
  write_gzip(dir.file("images.bin"), img);
  write_plain(dir.file("labels"), lab);
  write_gzip(dir.file("labels.gz"), lab);
  REQUIRE(read_all(dir.file("images.bin"))[0] == 0x1f);

  for (const char* name : {"images", "images.gz", "images.bin"}) {
    INFO(name);
    const IdxImages im = read_idx_images(dir.file(name));
    CHECK(im.count == 3);
    CHECK(im.rows == 2);
    CHECK(im.cols == 4);
    CHECK(im.pixels == kPixels);
  }
  for (const char* name : {"labels", "labels.gz"}) {
    INFO(name);
    CHECK(read_idx_labels(dir.file(name)).labels == kLabels);
  }

  const LabeledImages both = load_labeled_images(dir.file("images.gz"), dir.file("labels"));
  CHECK(both.images.pixels == kPixels);
  CHECK(both.labels.labels == kLabels);
}

TEST_CASE("IDX: concatenated gzip members are read as one stream, like gunzip does", "[data]") {
  TempDir dir;
  const Bytes img = images_file(3, 2, 4, kPixels);
  write_gzip(dir.file("a.gz"), Bytes(img.begin(), img.begin() + 10));
  write_gzip(dir.file("b.gz"), Bytes(img.begin() + 10, img.end()));
  Bytes joined = read_all(dir.file("a.gz"));
  const Bytes b = read_all(dir.file("b.gz"));
  joined.insert(joined.end(), b.begin(), b.end());
  write_plain(dir.file("joined.gz"), joined);
  CHECK(read_idx_images(dir.file("joined.gz")).pixels == kPixels);
}

TEST_CASE("IDX: every truncation is rejected with the file name", "[data]") {
  TempDir dir;
  const Bytes img = images_file(3, 2, 4, kPixels);
  const Bytes lab = labels_file(kLabels);
  // Every length from 0 to one byte short, plain and gzip-compressed (decompressed data cut).
  for (size_t len = 0; len < img.size(); ++len) {
    INFO("images cut to " << len << " bytes");
    const Bytes cut(img.begin(), img.begin() + long(len));
    write_plain(dir.file("cut"), cut);
    write_gzip(dir.file("cut.gz"), cut);
    REQUIRE_THROWS_WITH(read_idx_images(dir.file("cut")), Contains(dir.file("cut")));
    REQUIRE_THROWS_WITH(read_idx_images(dir.file("cut.gz")), Contains(dir.file("cut.gz")));
    if (len >= 16) {  // the header is whole: the message says what was expected
      REQUIRE_THROWS_WITH(read_idx_images(dir.file("cut")), Contains("truncated") && Contains("40"));
      REQUIRE_THROWS_WITH(read_idx_images(dir.file("cut.gz")), Contains("truncated") && Contains("40"));
    }
  }
  for (size_t len = 0; len < lab.size(); ++len) {
    INFO("labels cut to " << len << " bytes");
    write_plain(dir.file("cut"), Bytes(lab.begin(), lab.begin() + long(len)));
    REQUIRE_THROWS_WITH(read_idx_labels(dir.file("cut")), Contains(dir.file("cut")));
  }
}

TEST_CASE("IDX: a truncated or corrupted gzip stream is rejected", "[data]") {
  TempDir dir;
  // Pixels from a small alphabet in a pseudo-random order: deflate codes them with Huffman
  // tables (random bytes would be "stored" verbatim, and flipping those would only change data).
  Bytes pixels(50 * 8 * 8);
  latentlab::test::Lcg rng(0);
  for (auto& p : pixels) p = uint8_t(40 * (rng.next_u32() >> 29));
  const Bytes img = images_file(50, 8, 8, pixels);
  write_gzip(dir.file("good.gz"), img);
  const Bytes gz = read_all(dir.file("good.gz"));
  REQUIRE(read_idx_images(dir.file("good.gz")).pixels == pixels);

  SECTION("the compressed file is cut short") {
    for (size_t len : {size_t(3), size_t(10), size_t(40), gz.size() / 2, gz.size() - 9, gz.size() - 4, gz.size() - 1}) {
      INFO("gzip cut to " << len << " of " << gz.size() << " bytes");
      write_plain(dir.file("cut.gz"), Bytes(gz.begin(), gz.begin() + long(len)));
      REQUIRE_THROWS_WITH(read_idx_images(dir.file("cut.gz")), Contains(dir.file("cut.gz")));
    }
    // Cut inside the trailer only: all data inflated, but the end marker/CRC is missing.
    write_plain(dir.file("cut.gz"), Bytes(gz.begin(), gz.end() - 4));
    REQUIRE_THROWS_WITH(read_idx_images(dir.file("cut.gz")), Contains("gzip data is truncated"));
  }
  SECTION("bytes flipped in the compressed data") {
    Bytes bad = gz;
    for (size_t i = 20; i < 30; ++i) bad[i] ^= 0x5A;
    write_plain(dir.file("bad.gz"), bad);
    REQUIRE_THROWS_WITH(read_idx_images(dir.file("bad.gz")), Contains(dir.file("bad.gz")) && Contains("gzip data is corrupted"));
  }
  SECTION("a wrong CRC-32 in the trailer") {
    Bytes bad = gz;
    bad[bad.size() - 8] ^= 0xFF;  // trailer = CRC-32 (4 bytes) then length (4 bytes)
    write_plain(dir.file("crc.gz"), bad);
    REQUIRE_THROWS_WITH(read_idx_images(dir.file("crc.gz")), Contains("corrupted") && Contains("check"));
  }
  SECTION("garbage after the gzip member") {
    Bytes bad = gz;
    bad.insert(bad.end(), {'j', 'u', 'n', 'k'});
    write_plain(dir.file("junk.gz"), bad);
    REQUIRE_THROWS_WITH(read_idx_images(dir.file("junk.gz")), Contains(dir.file("junk.gz")) && Contains("corrupted"));
  }
}

TEST_CASE("IDX: trailing bytes after the announced data are rejected", "[data]") {
  TempDir dir;
  Bytes img = images_file(3, 2, 4, kPixels);
  img.push_back(0);
  write_plain(dir.file("long"), img);
  write_gzip(dir.file("long.gz"), img);
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("long")), Contains(dir.file("long")) && Contains("1 unexpected trailing"));
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("long.gz")), Contains(dir.file("long.gz")) && Contains("trailing"));

  Bytes lab = labels_file(kLabels);
  lab.insert(lab.end(), {1, 2});
  write_plain(dir.file("lab"), lab);
  REQUIRE_THROWS_WITH(read_idx_labels(dir.file("lab")), Contains("2 unexpected trailing"));
}

TEST_CASE("IDX: a wrong magic says what the file looks like", "[data]") {
  TempDir dir;
  write_plain(dir.file("labels"), labels_file(kLabels));
  write_gzip(dir.file("labels.gz"), labels_file(kLabels));
  write_plain(dir.file("images"), images_file(3, 2, 4, kPixels));
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("labels")),
                      Contains(dir.file("labels")) && Contains("0x00000801") && Contains("0x00000803") &&
                          Contains("looks like a labels file"));
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("labels.gz")), Contains("looks like a labels file"));
  REQUIRE_THROWS_WITH(read_idx_labels(dir.file("images")), Contains("looks like an images file"));

  write_plain(dir.file("png"), Bytes{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0});
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("png")), Contains("not an IDX file"));

  Bytes floats;
  put_be32(floats, 0x00000D03);  // float32, 3 dims
  for (int i = 0; i < 3; ++i) put_be32(floats, 1);
  write_plain(dir.file("floats"), floats);
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("floats")), Contains("float32"));
}

TEST_CASE("IDX: zero or oversized dimensions are rejected from the header", "[data]") {
  TempDir dir;
  const std::array<std::array<uint32_t, 3>, 3> zero_dims = {{{0, 2, 4}, {3, 0, 4}, {3, 2, 0}}};
  for (const auto& d : zero_dims) {
    write_plain(dir.file("zero"), images_file(d[0], d[1], d[2], {}));
    REQUIRE_THROWS_WITH(read_idx_images(dir.file("zero")), Contains(dir.file("zero")) && Contains("zero dimension"));
  }
  write_plain(dir.file("zero-labels"), labels_file({}));
  REQUIRE_THROWS_WITH(read_idx_labels(dir.file("zero-labels")), Contains("0 labels"));

  write_plain(dir.file("wide"), images_file(1, 28, 5000, {}));
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("wide")), Contains("limit of 4096"));
  // 20 million 1×1 images are only 20 MB, but more images than the count limit allows.
  write_plain(dir.file("many"), images_file(20000000, 1, 1, {}));
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("many")), Contains("20000000 images") && Contains("limit of 10000000"));
  // 1,000,000 × 2048 × 2048 passes each per-field limit but not the total-size limit.
  write_plain(dir.file("huge-total"), images_file(1000000, 2048, 2048, {}));
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("huge-total")), Contains("bytes of pixels"));
}

TEST_CASE("IDX: a 16-byte file claiming 4e9 images is rejected at once, without allocating", "[data]") {
  TempDir dir;
  const Bytes liar = images_file(4000000000u, 28, 28, {});
  REQUIRE(liar.size() == 16);
  write_plain(dir.file("liar"), liar);
  write_gzip(dir.file("liar.gz"), liar);
  Bytes labels_liar;
  put_be32(labels_liar, 0x00000801);
  put_be32(labels_liar, 4000000000u);
  write_gzip(dir.file("labels-liar.gz"), labels_liar);

  const auto start = std::chrono::steady_clock::now();
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("liar")), Contains("4000000000 images") && Contains("limit"));
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("liar.gz")), Contains("4000000000 images"));
  REQUIRE_THROWS_WITH(read_idx_labels(dir.file("labels-liar.gz")), Contains("4000000000 labels"));
  // Allocating (and zero-filling) the 3 TB claimed would fail or take far longer than this.
  CHECK(seconds_since(start) < 0.5);
}

TEST_CASE("IDX: a gzip bomb is inflated only up to the announced size", "[data]") {
  TempDir dir;
  // Header: 1 image of 28×28 (800 bytes in all), followed by 32 MiB of zeros that compress to
  // ~32 KiB. The reader must stop one byte past the announced size and report trailing data.
  Bytes bomb = images_file(1, 28, 28, Bytes(28 * 28, 0));
  bomb.resize(bomb.size() + (32u << 20), 0);
  write_gzip(dir.file("bomb.gz"), bomb);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("bomb.gz")), Contains("trailing data"));
  CHECK(seconds_since(start) < 0.5);  // inflating all 32 MiB is not needed to know

  // A header that claims much more than the stream holds: fails as truncated.
  write_gzip(dir.file("short.gz"), images_file(100000, 28, 28, Bytes(1000, 1)));
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("short.gz")), Contains("truncated") && Contains("78400016"));
}

TEST_CASE("IDX: missing files and directories are reported by name", "[data]") {
  TempDir dir;
  REQUIRE_THROWS_WITH(read_idx_images(dir.file("absent")), Contains(dir.file("absent")) && Contains("not found"));
  REQUIRE_THROWS_WITH(read_idx_labels(dir.path), Contains(dir.path) && Contains("directory"));
}

TEST_CASE("load_labeled_images checks counts and label range", "[data]") {
  TempDir dir;
  write_plain(dir.file("images"), images_file(3, 2, 4, kPixels));
  write_plain(dir.file("two-labels"), labels_file({1, 2}));
  REQUIRE_THROWS_WITH(load_labeled_images(dir.file("images"), dir.file("two-labels")),
                      Contains(dir.file("images")) && Contains(dir.file("two-labels")) && Contains("3 images") &&
                          Contains("2 labels"));

  write_plain(dir.file("big-label"), labels_file({1, 10, 2}));
  REQUIRE_THROWS_WITH(load_labeled_images(dir.file("images"), dir.file("big-label")),
                      Contains(dir.file("big-label")) && Contains("label 10 at index 1") && Contains("0..9"));
  // With 256 classes any byte is a label.
  CHECK(load_labeled_images(dir.file("images"), dir.file("big-label"), 256).labels.labels == Bytes{1, 10, 2});
}

TEST_CASE("load_dataset reads a directory of IDX files, plain or gzip", "[data]") {
  TempDir dir;
  const std::string ds = dir.file("tiny-set");
  std::filesystem::create_directory(ds);
  write_gzip(ds + "/train-images-idx3-ubyte.gz", images_file(3, 2, 4, kPixels));
  write_plain(ds + "/train-labels-idx1-ubyte", labels_file(kLabels));
  write_plain(ds + "/t10k-images-idx3-ubyte", images_file(1, 2, 4, Bytes(kPixels.begin(), kPixels.begin() + 8)));
  write_gzip(ds + "/t10k-labels-idx1-ubyte.gz", labels_file({12}));

  const DatasetPair pair = load_dataset(ds);
  CHECK(pair.train.name == "tiny-set");
  CHECK(pair.train.rows == 2);
  CHECK(pair.train.cols == 4);
  CHECK(pair.train.count == 3);
  CHECK(pair.test.count == 1);
  CHECK(pair.train.labels == kLabels);
  CHECK(pair.test.labels == Bytes{12});
  CHECK(pair.train.num_classes == 13);  // largest label (12, in test) + 1
  CHECK(pair.test.num_classes == 13);
  REQUIRE(pair.train.pixels.size() == 24);
  const std::vector<float> train = pair.train.to_float(0, 3);
  REQUIRE(train.size() == 24);
  CHECK(train[0] == 0.0f);
  CHECK(train[1] == Approx(37.0 / 255.0));
  CHECK(train[7] == Approx(3 / 255.0));  // 37·7 = 259 → byte 259 mod 256 = 3
  CHECK(pair.train.image(2)[0] == 37 * 16 % 256);
  CHECK(pair.train.to_float(2, 1)[0] == Approx((37 * 16 % 256) / 255.0));
  CHECK_THROWS(pair.train.to_float(2, 2));  // past the last image

  // Test images of a different size than the training images.
  write_plain(ds + "/t10k-images-idx3-ubyte", images_file(1, 4, 2, Bytes(kPixels.begin(), kPixels.begin() + 8)));
  REQUIRE_THROWS_WITH(load_dataset(ds), Contains("2x4") && Contains("4x2"));

  std::filesystem::remove(ds + "/t10k-labels-idx1-ubyte.gz");
  REQUIRE_THROWS_WITH(load_dataset(ds), Contains(ds) && Contains("t10k-labels-idx1-ubyte[.gz]"));
  REQUIRE_THROWS_WITH(load_dataset("no-such-set"), Contains("unknown data set 'no-such-set'") && Contains("mnist"));
}

TEST_CASE("load_dataset says how to get MNIST when it is missing", "[data]") {
  TempDir dir;
  REQUIRE_THROWS_WITH(load_dataset("mnist", dir.path),
                      Contains("MNIST not found in " + dir.path + "/mnist") && Contains("scripts/fetch-mnist"));
}

TEST_CASE("find_data_root honours LATENTLAB_DATA", "[data]") {
  const char* old = std::getenv("LATENTLAB_DATA");
  const std::string saved = old ? old : "";
  ::setenv("LATENTLAB_DATA", "/some/where/data", 1);
  const std::string found = find_data_root();
  if (old) ::setenv("LATENTLAB_DATA", saved.c_str(), 1); else ::unsetenv("LATENTLAB_DATA");
  CHECK(found == "/some/where/data");
}

// ---- Real data sets: facts published about them, independent of this code. ----

namespace {
// $LATENTLAB_DATA or a data/mnist above the working directory or the test binary, else the
// checkout's own data/ (where scripts/fetch-mnist puts it).
std::string mnist_root() {
  const std::string found = find_data_root();
#ifdef LATENTLAB_SOURCE_DIR
  if (found.empty()) return std::string(LATENTLAB_SOURCE_DIR) + "/data";
#endif
  return found;
}

std::vector<size_t> histogram(const Bytes& labels) {
  std::vector<size_t> h(10, 0);
  for (uint8_t l : labels) ++h.at(l);
  return h;
}

double mean(const std::vector<float>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()); }
}  // namespace

TEST_CASE("real MNIST: sizes, mean pixel and label histogram", "[data][mnist]") {
  const std::string root = mnist_root();
  if (root.empty() || !std::filesystem::exists(root + "/mnist")) {
    WARN("MNIST not present (run scripts/fetch-mnist): skipping the real-data checks");
    return;
  }
  const DatasetPair mnist = load_dataset("mnist", root);
  REQUIRE(mnist.train.count == 60000);
  REQUIRE(mnist.test.count == 10000);
  CHECK(mnist.train.rows == 28);
  CHECK(mnist.train.cols == 28);
  CHECK(mnist.train.num_classes == 10);
  CHECK(mean(mnist.train.to_float(0, mnist.train.count)) == Approx(0.1307).margin(0.0001));  // the usual Normalize((0.1307,), ...)
  // Published class counts of the MNIST training and test sets; the first digits are 5 and 7.
  CHECK(histogram(mnist.train.labels) == std::vector<size_t>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949});
  CHECK(histogram(mnist.test.labels) == std::vector<size_t>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009});
  CHECK(mnist.train.labels[0] == 5);
  CHECK(mnist.test.labels[0] == 7);
}

TEST_CASE("real Fashion-MNIST (Debian dataset-fashion-mnist): sizes, mean, balanced classes", "[data][fashion]") {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz")) {
    WARN("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipping");
    return;
  }
  const DatasetPair fashion = load_dataset("fashion");
  REQUIRE(fashion.train.count == 60000);
  REQUIRE(fashion.test.count == 10000);
  CHECK(fashion.train.rows == 28);
  CHECK(fashion.train.cols == 28);
  CHECK(mean(fashion.train.to_float(0, fashion.train.count)) == Approx(0.2860).margin(0.0001));  // the usual Normalize((0.2860,), ...)
  CHECK(histogram(fashion.train.labels) == std::vector<size_t>(10, 6000));
  CHECK(histogram(fashion.test.labels) == std::vector<size_t>(10, 1000));
}
