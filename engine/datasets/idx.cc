#include "engine/datasets/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/datasets/dataset.h"
#include "engine/status_macros.h"

namespace profundo {
namespace {

// Decompressed data larger than this is refused (a gzip bomb guard; the
// Fashion-MNIST training images are 47 MB).
constexpr uint64_t kMaxGunzipBytes = uint64_t{2} << 30;

struct IdxType {
  uint8_t code;
  const char* name;
  int size;
};
constexpr IdxType kIdxTypes[] = {{0x08, "ubyte", 1}, {0x09, "byte", 1},
                                 {0x0B, "short", 2}, {0x0C, "int", 4},
                                 {0x0D, "float", 4}, {0x0E, "double", 8}};

// Big-endian unsigned integer of `n` bytes at p.
uint64_t BigEndian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

float DecodeIdxValue(const unsigned char* p, uint8_t code) {
  switch (code) {
    case 0x08:
      return p[0];
    case 0x09:
      return static_cast<int8_t>(p[0]);
    case 0x0B:
      return static_cast<int16_t>(static_cast<uint16_t>(BigEndian(p, 2)));
    case 0x0C:
      return static_cast<float>(
          static_cast<int32_t>(static_cast<uint32_t>(BigEndian(p, 4))));
    case 0x0D: {
      const uint32_t bits = static_cast<uint32_t>(BigEndian(p, 4));
      float f;
      std::memcpy(&f, &bits, sizeof f);
      return f;
    }
    default: {  // 0x0E
      const uint64_t bits = BigEndian(p, 8);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return static_cast<float>(d);
    }
  }
}

// Prefixes a status's message with `prefix: `, keeping its code.
absl::Status Annotate(const absl::Status& s, const std::string& prefix) {
  return absl::Status(s.code(), absl::StrCat(prefix, ": ", s.message()));
}

// What Gunzip does when the data decompresses to more than `max_out` bytes.
enum class OverLimit {
  kError,     // INVALID_ARGUMENT "decompresses to more than <max_out> bytes"
  kTruncate,  // stop there and return the first max_out bytes
};

// Decompresses gzip data (one or more concatenated members), never holding
// more than max_out (+ one chunk while inflating) bytes.
absl::StatusOr<std::string> Gunzip(std::string_view bytes, uint64_t max_out,
                                   OverLimit over_limit) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  // 16 + MAX_WBITS: a gzip wrapper (header and CRC-32 trailer) is required.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("gzip: inflateInit2 failed");
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  std::string out;
  // Once out holds more than max_out bytes: its first max_out, or the error.
  auto past_limit = [&]() -> absl::StatusOr<std::string> {
    if (over_limit == OverLimit::kTruncate) {
      out.resize(max_out);
      return std::move(out);
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "gzip: data decompresses to more than ", max_out, " bytes"));
  };
  size_t in_pos = 0;
  // Inflating one byte past the limit tells "exactly max_out" from "more".
  const uint64_t max_chunk = uint64_t{1} << 20;
  while (true) {
    if (zs.avail_in == 0 && in_pos < bytes.size()) {
      const size_t n = std::min<size_t>(bytes.size() - in_pos, size_t{1} << 30);
      zs.next_in =
          reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + in_pos));
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    const size_t old_size = out.size();
    if (old_size > max_out) return past_limit();
    const size_t chunk =
        static_cast<size_t>(std::min(max_chunk, max_out + 1 - old_size));
    out.resize(old_size + chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
    zs.avail_out = static_cast<uInt>(chunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(old_size + chunk - zs.avail_out);
    if (rc == Z_STREAM_END) {
      const size_t left = zs.avail_in + (bytes.size() - in_pos);
      if (left == 0) break;
      // Concatenated gzip members decompress to the concatenation.
      const std::string_view rest = bytes.substr(bytes.size() - left);
      if (!IsGzip(rest)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "gzip: ", left, " trailing bytes after the compressed data"));
      }
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_pos == bytes.size()) {
      return absl::InvalidArgumentError(
          "gzip: truncated data (the stream ends before its end marker)");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return absl::InvalidArgumentError(
          absl::StrCat("gzip: corrupt data (",
                       zs.msg != nullptr ? zs.msg : "zlib error", ")"));
    }
  }
  if (out.size() > max_out) return past_limit();
  return out;
}

// The longest IDX header: the magic and 255 dimensions.
constexpr uint64_t kMaxIdxHeaderBytes = 4 + 4 * 255;

// Parses the header at the start of decompressed IDX bytes.
absl::StatusOr<IdxHeader> ParseIdxHeader(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "IDX: ", bytes.size(), " bytes is too short for the 4-byte magic"));
  }
  if (p[0] != 0 || p[1] != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "IDX: bad magic %02x %02x %02x %02x: expected 00 00 <type> <ndim>",
        p[0], p[1], p[2], p[3]));
  }
  const IdxType* type = nullptr;
  for (const IdxType& t : kIdxTypes) {
    if (t.code == p[2]) type = &t;
  }
  if (type == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "IDX: unknown element type 0x%02X (expected 0x08 ubyte, 0x09 byte, "
        "0x0B short, 0x0C int, 0x0D float or 0x0E double)",
        p[2]));
  }
  const int ndim = p[3];
  if (ndim == 0) {
    return absl::InvalidArgumentError("IDX: the header declares 0 dimensions");
  }
  IdxHeader header;
  header.type_code = type->code;
  header.type_name = type->name;
  header.element_bytes = type->size;
  header.header_bytes = 4 + 4 * static_cast<uint64_t>(ndim);
  if (bytes.size() < header.header_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("IDX: truncated header: ", ndim, " dimensions need ",
                     header.header_bytes, " bytes, got ", bytes.size()));
  }
  header.shape.resize(ndim);
  for (int d = 0; d < ndim; ++d) {
    header.shape[d] = static_cast<int64_t>(BigEndian(p + 4 + 4 * d, 4));
  }
  return header;
}

}  // namespace

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

uint64_t IdxHeader::ElementCount() const {
  constexpr uint64_t kSaturated = ~uint64_t{0};
  uint64_t count = 1;
  for (int64_t dim : shape) {
    const uint64_t d = static_cast<uint64_t>(dim);
    if (d == 0) return 0;
    count = count > kSaturated / d ? kSaturated : count * d;
  }
  return count;
}

uint64_t IdxHeader::DataBytes() const {
  const uint64_t count = ElementCount();
  const uint64_t size = static_cast<uint64_t>(element_bytes);
  return count > (~uint64_t{0} - header_bytes) / size
             ? ~uint64_t{0}
             : header_bytes + count * size;
}

absl::StatusOr<IdxHeader> ReadIdxHeader(std::string_view bytes) {
  if (!IsGzip(bytes)) return ParseIdxHeader(bytes);
  PROFUNDO_ASSIGN_OR_RETURN(
      std::string head, Gunzip(bytes, kMaxIdxHeaderBytes, OverLimit::kTruncate));
  return ParseIdxHeader(head);
}

absl::StatusOr<std::string> MaybeGunzip(std::string_view bytes) {
  if (!IsGzip(bytes)) return std::string(bytes);
  return Gunzip(bytes, kMaxGunzipBytes, OverLimit::kError);
}

absl::StatusOr<Tensor> ParseIdx(std::string_view bytes) {
  PROFUNDO_ASSIGN_OR_RETURN(const IdxHeader header, ReadIdxHeader(bytes));
  std::string inflated;
  if (IsGzip(bytes)) {
    // Never inflate more than the header declares (plus one byte, to report
    // trailing data): memory stays bounded by what the caller could check
    // on the header before calling.
    const uint64_t declared = header.DataBytes();
    if (declared > kMaxGunzipBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "IDX: the header declares ", ShapeToString(header.shape), " ",
          header.type_name, " (", declared, " bytes), more than the ",
          kMaxGunzipBytes, " bytes gzip data may decompress to"));
    }
    PROFUNDO_ASSIGN_OR_RETURN(
        inflated, Gunzip(bytes, declared + 1, OverLimit::kTruncate));
    if (inflated.size() > declared) {
      return absl::InvalidArgumentError(absl::StrCat(
          "IDX: the gzip data decompresses to more than the ", declared,
          " bytes its header declares (", ShapeToString(header.shape), " ",
          header.type_name, ")"));
    }
    bytes = inflated;
  }
  const Shape& shape = header.shape;
  // Element count, bounded by what the data could hold (no overflow: each
  // factor is < 2^32 and the running product stays <= available).
  const uint64_t available = bytes.size() - header.header_bytes;
  const uint64_t max_elements = available / header.element_bytes;
  const uint64_t count = header.ElementCount();
  if (count > max_elements) {
    return absl::InvalidArgumentError(
        absl::StrCat("IDX: truncated data: dimensions ", ShapeToString(shape),
                     " of ", header.type_name, " need more than the ",
                     available, " bytes after the header"));
  }
  const uint64_t needed = count * header.element_bytes;
  if (needed != available) {
    return absl::InvalidArgumentError(absl::StrCat(
        "IDX: ", available - needed, " trailing bytes after the ",
        ShapeToString(shape), " ", header.type_name, " data"));
  }
  Tensor t(shape);
  float* dst = t.data();
  const unsigned char* src =
      reinterpret_cast<const unsigned char*>(bytes.data()) + header.header_bytes;
  if (header.type_code == 0x08) {
    for (uint64_t i = 0; i < count; ++i) dst[i] = src[i];
  } else {
    for (uint64_t i = 0; i < count; ++i) {
      dst[i] = DecodeIdxValue(src + i * header.element_bytes, header.type_code);
    }
  }
  if (header.type_code == 0x0D || header.type_code == 0x0E) {
    PROFUNDO_RETURN_IF_ERROR(CheckFinite(t, "IDX data"));
  }
  return t;
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"),
                                          std::fclose);
  if (f == nullptr) {
    const int err = errno;
    const std::string msg =
        absl::StrCat("cannot open ", path, ": ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg)
                         : absl::PermissionDeniedError(msg);
  }
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) out.append(buf, n);
  if (std::ferror(f.get())) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  return out;
}

absl::StatusOr<Tensor> ReadIdxFile(const std::string& path) {
  PROFUNDO_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path));
  absl::StatusOr<Tensor> t = ParseIdx(bytes);
  if (!t.ok()) return Annotate(t.status(), path);
  return t;
}

absl::StatusOr<Dataset> ReadIdxDataset(const std::string& images_path,
                                       const std::string& labels_path) {
  Dataset d;
  PROFUNDO_ASSIGN_OR_RETURN(d.x, ReadIdxFile(images_path));
  PROFUNDO_ASSIGN_OR_RETURN(d.y, ReadIdxFile(labels_path));
  if (d.y.rank() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(labels_path, ": labels must be 1-D [N], got ",
                     ShapeToString(d.y.shape())));
  }
  if (d.x.dim(0) != d.y.dim(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(images_path, " has ", d.x.dim(0), " images but ",
                     labels_path, " has ", d.y.dim(0), " labels"));
  }
  return d;
}

}  // namespace profundo
