#include "data/idx.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>

namespace latentlab::native {

std::string idx_magic_hex(uint32_t magic) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", magic);
  return text;
}

std::string describe_idx_magic(uint32_t magic) {
  const uint32_t type = (magic >> 8) & 0xFF;
  const uint32_t dims = magic & 0xFF;
  if (magic == kIdxImagesMagic) return "u8 images (3 dimensions)";
  if (magic == kIdxLabelsMagic) return "u8 labels (1 dimension)";
  if ((magic >> 16) != 0) return "not an IDX file (an IDX file starts with two zero bytes)";
  const char* type_name = nullptr;
  switch (type) {
    case 0x08: type_name = "u8"; break;
    case 0x09: type_name = "i8"; break;
    case 0x0B: type_name = "i16"; break;
    case 0x0C: type_name = "i32"; break;
    case 0x0D: type_name = "float32"; break;
    case 0x0E: type_name = "float64"; break;
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(type));
      return std::string("not an IDX file (unknown element type ") + hex + ")";
    }
  }
  return std::string(type_name) + " data with " + std::to_string(dims) + " dimension" + (dims == 1 ? "" : "s");
}

namespace {


uint32_t big_endian_u32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// The bytes of one file, plain or gzip-compressed, read front to back. read() returns fewer
// bytes than asked only at the end of the (decompressed) data; every problem throws DataError.
class IdxByteStream {
 public:
  explicit IdxByteStream(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const int err = errno;
      if (err == ENOENT) throw DataError("cannot read " + quoted(path) + ": file not found");
      throw DataError("cannot open " + quoted(path) + ": " + os_error(err));
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail_os("cannot stat");
    if (S_ISDIR(st.st_mode)) fail("it is a directory, not a file");
    if (!S_ISREG(st.st_mode)) fail("not a regular file");
    file_size_ = static_cast<uint64_t>(st.st_size);

    // gzip magic: 1f 8b (RFC 1952). Peek at it with pread so the plain path starts at 0.
    uint8_t head[2] = {0, 0};
    ssize_t got = ::pread(fd_, head, 2, 0);
    if (got < 0) fail_os("read failed");
    gzip_ = (got == 2 && head[0] == 0x1f && head[1] == 0x8b);
    if (gzip_) {
      // 16 + MAX_WBITS: expect a gzip wrapper (header + CRC-32 + length trailer).
      if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) fail("zlib could not be initialised");
      zs_initialised_ = true;
    }
  }
  ~IdxByteStream() {
    if (zs_initialised_) inflateEnd(&zs_);
    if (fd_ >= 0) ::close(fd_);
  }
  IdxByteStream(const IdxByteStream&) = delete;
  IdxByteStream& operator=(const IdxByteStream&) = delete;

  bool is_gzip() const { return gzip_; }
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }

  size_t read(uint8_t* dst, size_t n) { return gzip_ ? read_gzip(dst, n) : read_plain(dst, n); }

  [[noreturn]] void fail(const std::string& what) const { throw DataError(quoted(path_) + ": " + what); }
  [[noreturn]] void fail_os(const std::string& what) const { fail(what + ": " + os_error(errno)); }

 private:
  size_t read_plain(uint8_t* dst, size_t n) {
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::read(fd_, dst + done, n - done);
      if (got < 0) {
        if (errno == EINTR) continue;
        fail_os("read failed");
      }
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    return done;
  }

  // Inflates into dst until n bytes are produced or the compressed data ends. Concatenated
  // gzip members are joined, as gunzip does; anything else after a member is corruption.
  size_t read_gzip(uint8_t* dst, size_t n) {
    size_t done = 0;
    while (done < n && !gzip_finished_) {
      if (zs_.avail_in == 0 && !input_eof_) refill();
      if (member_ended_) {
        // The previous member ended: more input means another member follows. No input after
        // the refill above means the end of the file: done.
        if (zs_.avail_in == 0) {
          gzip_finished_ = true;
          break;
        }
        inflateReset(&zs_);
        member_ended_ = false;
      }
      // zlib counts in uInt: hand it at most 1 GiB per call.
      const size_t want = std::min<size_t>(n - done, size_t(1) << 30);
      zs_.next_out = dst + done;
      zs_.avail_out = static_cast<uInt>(want);
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      done += want - zs_.avail_out;
      if (rc == Z_STREAM_END) {
        member_ended_ = true;  // CRC-32 and length of this member were verified by zlib
      } else if (rc == Z_BUF_ERROR) {
        // No progress possible: out of input (output space is never zero here). With more
        // input to come the loop refills; at the end of the file the stream is cut short.
        if (zs_.avail_in == 0 && input_eof_) {
          fail("gzip data is truncated (the compressed stream ends before its end marker)");
        }
      } else if (rc != Z_OK) {
        const std::string detail = zs_.msg ? zs_.msg : ("zlib error " + std::to_string(rc));
        fail("gzip data is corrupted (" + detail + ")");
      }
    }
    return done;
  }

  void refill() {
    ssize_t got;
    do {
      got = ::read(fd_, in_.data(), in_.size());
    } while (got < 0 && errno == EINTR);
    if (got < 0) fail_os("read failed");
    if (got == 0) input_eof_ = true;
    zs_.next_in = in_.data();
    zs_.avail_in = static_cast<uInt>(got);
  }

  std::string path_;
  int fd_ = -1;
  uint64_t file_size_ = 0;
  bool gzip_ = false;
  z_stream zs_{};
  bool zs_initialised_ = false;
  bool input_eof_ = false;
  bool member_ended_ = false;
  bool gzip_finished_ = false;
  std::array<uint8_t, 64 * 1024> in_{};
};

// Reads the 4-byte magic and the dims that follow it, checking the magic first so a wrong
// kind of file is reported as such rather than as a size problem.
std::vector<uint32_t> read_header(IdxByteStream& in, uint32_t expected_magic, size_t ndims) {
  const char* expected_kind = expected_magic == kIdxImagesMagic ? "an IDX images file" : "an IDX labels file";
  uint8_t bytes[4 * 4];
  size_t got = in.read(bytes, 4);
  if (got < 4) {
    in.fail("too short to be " + std::string(expected_kind) + " (" + std::to_string(got) +
            " bytes of data, the header alone needs " + std::to_string(4 * (ndims + 1)) + ")");
  }
  const uint32_t magic = big_endian_u32(bytes);
  if (magic != expected_magic) {
    std::string msg = "expected " + std::string(expected_kind) + " (magic " + idx_magic_hex(expected_magic) + ", " +
                      describe_idx_magic(expected_magic) + ") but found magic " + idx_magic_hex(magic) + ": ";
    if (magic == kIdxLabelsMagic) msg += "this looks like a labels file";
    else if (magic == kIdxImagesMagic) msg += "this looks like an images file";
    else msg += describe_idx_magic(magic);
    in.fail(msg);
  }
  got = in.read(bytes, 4 * ndims);
  if (got < 4 * ndims) {
    in.fail("truncated header: " + std::to_string(4 + got) + " bytes, expected " + std::to_string(4 * (ndims + 1)));
  }
  std::vector<uint32_t> dims(ndims);
  for (size_t i = 0; i < ndims; ++i) dims[i] = big_endian_u32(bytes + 4 * i);
  return dims;
}

// Reads exactly `payload` bytes after the header into a fresh buffer and checks that nothing
// follows. `what` describes the payload for messages ("60000 images of 28×28").
std::vector<uint8_t> read_payload(IdxByteStream& in, size_t header_bytes, uint64_t payload, const std::string& what) {
  const uint64_t expected_total = header_bytes + payload;
  if (!in.is_gzip()) {
    // The file size is known: reject a wrong size before allocating anything.
    if (in.file_size() < expected_total) {
      in.fail("truncated: the file is " + std::to_string(in.file_size()) + " bytes but its header (" + what +
              ") needs " + std::to_string(expected_total));
    }
    if (in.file_size() > expected_total) {
      in.fail(std::to_string(in.file_size() - expected_total) + " unexpected trailing bytes: the file is " +
              std::to_string(in.file_size()) + " bytes, its header (" + what + ") needs " +
              std::to_string(expected_total));
    }
    std::vector<uint8_t> data(static_cast<size_t>(payload));
    if (in.read(data.data(), data.size()) != data.size()) in.fail("the file shrank while it was being read");
    return data;
  }

  // gzip: the decompressed size is only known once inflated. Grow the buffer as data really
  // arrives (doubling, capped at the announced size), so a header that lies about its size
  // costs at most twice the memory of the data actually present.
  std::vector<uint8_t> data;
  size_t filled = 0;
  while (filled < payload) {
    const size_t next = static_cast<size_t>(std::min<uint64_t>(payload, std::max<size_t>(size_t(1) << 20, 2 * filled)));
    data.resize(next);
    const size_t got = in.read(data.data() + filled, next - filled);
    filled += got;
    if (filled < next) {
      in.fail("truncated: the decompressed data is " + std::to_string(header_bytes + filled) +
              " bytes but its header (" + what + ") needs " + std::to_string(expected_total));
    }
  }
  uint8_t extra[1];
  if (in.read(extra, 1) != 0) {
    in.fail("unexpected trailing data after the " + std::to_string(expected_total) +
            " bytes its header (" + what + ") announces");
  }
  return data;
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  IdxByteStream in(path);
  const std::vector<uint32_t> dims = read_header(in, kIdxImagesMagic, 3);
  IdxImages out;
  out.count = dims[0];
  out.rows = dims[1];
  out.cols = dims[2];
  const std::string what = std::to_string(out.count) + " images of " + std::to_string(out.rows) + "x" +
                           std::to_string(out.cols);
  if (out.count == 0 || out.rows == 0 || out.cols == 0) in.fail("header has a zero dimension (" + what + ")");
  if (out.count > kIdxMaxCount) {
    in.fail("header claims " + std::to_string(out.count) + " images, more than the limit of " +
            std::to_string(kIdxMaxCount));
  }
  if (out.rows > kIdxMaxSide || out.cols > kIdxMaxSide) {
    in.fail("header claims images of " + std::to_string(out.rows) + "x" + std::to_string(out.cols) +
            ", larger than the limit of " + std::to_string(kIdxMaxSide) + " per side");
  }
  const uint64_t payload = uint64_t(out.count) * out.rows * out.cols;  // < 2^24 · 2^24 · 2^12: no overflow
  if (payload > kIdxMaxPayloadBytes) {
    in.fail("header claims " + std::to_string(payload) + " bytes of pixels (" + what + "), more than the limit of " +
            std::to_string(kIdxMaxPayloadBytes));
  }
  out.pixels = read_payload(in, 16, payload, what);
  return out;
}

IdxLabels read_idx_labels(const std::string& path) {
  IdxByteStream in(path);
  const std::vector<uint32_t> dims = read_header(in, kIdxLabelsMagic, 1);
  const uint32_t count = dims[0];
  if (count == 0) in.fail("header says it holds 0 labels");
  if (count > kIdxMaxCount) {
    in.fail("header claims " + std::to_string(count) + " labels, more than the limit of " +
            std::to_string(kIdxMaxCount));
  }
  IdxLabels out;
  out.labels = read_payload(in, 8, count, std::to_string(count) + " labels");
  return out;
}

LabeledImages load_labeled_images(const std::string& images_path, const std::string& labels_path, int num_classes) {
  if (num_classes < 1 || num_classes > 256) {
    throw DataError("load_labeled_images: num_classes must be in 1..256, got " + std::to_string(num_classes));
  }
  LabeledImages out;
  out.images = read_idx_images(images_path);
  out.labels = read_idx_labels(labels_path);
  if (out.labels.labels.size() != out.images.count) {
    throw DataError("images and labels do not match: " + quoted(images_path) + " holds " +
                    std::to_string(out.images.count) + " images but " + quoted(labels_path) + " holds " +
                    std::to_string(out.labels.labels.size()) + " labels");
  }
  for (size_t i = 0; i < out.labels.labels.size(); ++i) {
    if (out.labels.labels[i] >= num_classes) {
      throw DataError(quoted(labels_path) + ": label " + std::to_string(out.labels.labels[i]) + " at index " +
                      std::to_string(i) + " is out of range: expected 0.." + std::to_string(num_classes - 1));
    }
  }
  return out;
}

}  // namespace latentlab::native
