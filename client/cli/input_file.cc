#include "client/cli/input_file.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/status_macros.h"
#include "zlib.h"

namespace profundo::cli {
namespace {

absl::StatusOr<std::string> Gunzip(absl::string_view bytes) {
  z_stream z;
  std::memset(&z, 0, sizeof(z));
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("inflateInit2 failed");
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  std::string out;
  char buffer[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof(buffer);
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // truncated
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return absl::InvalidArgumentError("bad gzip data");
  return out;
}

// Rows [first, first + count) of `total`; INVALID_ARGUMENT when out of range.
absl::Status Select(const InputSelection& s, int64_t total, int64_t* first,
                    int64_t* count) {
  if (s.first < 0 || s.count < 0 || s.first >= total) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--index ", s.first, " is out of range: the file has ", total, " rows"));
  }
  *first = s.first;
  *count = s.count == 0 ? total - s.first : std::min(s.count, total - s.first);
  return absl::OkStatus();
}

uint64_t BigEndian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

uint64_t LittleEndian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// One element of kind 'u' (unsigned), 'i' (signed) or 'f' (float) of `size`
// bytes, already assembled into `bits`.
float Decode(char kind, int size, uint64_t bits) {
  if (kind == 'f') {
    if (size == 4) {
      uint32_t b = static_cast<uint32_t>(bits);
      float f;
      std::memcpy(&f, &b, 4);
      return f;
    }
    double d;
    std::memcpy(&d, &bits, 8);
    return static_cast<float>(d);
  }
  if (kind == 'i' && size < 8 && (bits >> (8 * size - 1)) & 1) {
    bits |= ~uint64_t{0} << (8 * size);  // sign-extend
  }
  return kind == 'i' ? static_cast<float>(static_cast<int64_t>(bits))
                     : static_cast<float>(bits);
}

// The selected rows of a dense array of `shape` (row first) whose elements
// of kind `kind` and `size` bytes are `data`, exactly. `what` names the
// format in messages.
absl::StatusOr<InputRows> DecodeDense(absl::string_view data,
                                      const std::vector<int64_t>& shape,
                                      char kind, int size, bool big_endian,
                                      const InputSelection& sel,
                                      const char* what) {
  int64_t per_row = 1;
  for (size_t d = 1; d < shape.size(); ++d) per_row *= shape[d];
  if (data.size() != static_cast<size_t>(shape[0] * per_row * size)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " data size does not match its shape"));
  }
  int64_t first, count;
  PROFUNDO_RETURN_IF_ERROR(Select(sel, shape[0], &first, &count));
  InputRows out;
  out.rows = count;
  out.sample_shape.assign(shape.begin() + 1, shape.end());
  out.values.resize(static_cast<size_t>(count * per_row));
  const auto* p =
      reinterpret_cast<const unsigned char*>(data.data()) + first * per_row * size;
  for (size_t i = 0; i < out.values.size(); ++i, p += size) {
    out.values[i] = Decode(kind, size, big_endian ? BigEndian(p, size)
                                                   : LittleEndian(p, size));
  }
  return out;
}

absl::StatusOr<InputRows> ParseIdx(absl::string_view bytes,
                                   const InputSelection& sel) {
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 4 || u[0] != 0 || u[1] != 0 || u[3] == 0) {
    return absl::InvalidArgumentError("not an IDX file (bad magic)");
  }
  char kind;
  int size;
  switch (u[2]) {
    case 0x08: kind = 'u'; size = 1; break;
    case 0x09: kind = 'i'; size = 1; break;
    case 0x0B: kind = 'i'; size = 2; break;
    case 0x0C: kind = 'i'; size = 4; break;
    case 0x0D: kind = 'f'; size = 4; break;
    case 0x0E: kind = 'f'; size = 8; break;
    default: return absl::InvalidArgumentError("unknown IDX element type");
  }
  const int dims = u[3];
  const size_t header = 4 + 4 * static_cast<size_t>(dims);
  if (bytes.size() < header) return absl::InvalidArgumentError("truncated IDX header");
  std::vector<int64_t> shape;
  for (int d = 0; d < dims; ++d) {
    shape.push_back(static_cast<int64_t>(BigEndian(u + 4 + 4 * d, 4)));
  }
  return DecodeDense(bytes.substr(header), shape, kind, size,
                     /*big_endian=*/true, sel, "IDX");
}

absl::StatusOr<InputRows> ParseNpy(absl::string_view bytes,
                                   const InputSelection& sel) {
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 10) return absl::InvalidArgumentError("truncated npy header");
  const int major = u[6];
  const size_t len_bytes = major == 1 ? 2 : 4;
  const size_t header_len = LittleEndian(u + 8, static_cast<int>(len_bytes));
  const size_t data_start = 8 + len_bytes + header_len;
  if (bytes.size() < data_start) return absl::InvalidArgumentError("truncated npy header");
  const absl::string_view dict = bytes.substr(8 + len_bytes, header_len);
  auto value_of = [&](absl::string_view key) -> absl::string_view {
    size_t at = dict.find(absl::StrCat("'", std::string(key), "':"));
    if (at == absl::string_view::npos) return "";
    return absl::StripLeadingAsciiWhitespace(dict.substr(at + key.size() + 3));
  };
  absl::string_view descr = value_of("descr");
  if (descr.size() < 5 || descr[0] != '\'') {
    return absl::InvalidArgumentError("npy header has no descr");
  }
  const char order = descr[1];
  const char kind = descr[2];
  int size = descr[3] - '0';
  if ((kind != 'f' && kind != 'i' && kind != 'u') ||
      (size != 1 && size != 2 && size != 4 && size != 8) || descr[4] != '\'' ||
      (kind == 'f' && size < 4) || order == '>') {
    return absl::InvalidArgumentError(absl::StrCat(
        "unsupported npy dtype ", std::string(descr.substr(0, 5))));
  }
  if (absl::StartsWith(value_of("fortran_order"), "True")) {
    return absl::InvalidArgumentError("npy in Fortran order is not supported");
  }
  absl::string_view shape_text = value_of("shape");
  if (!absl::ConsumePrefix(&shape_text, "(")) {
    return absl::InvalidArgumentError("npy header has no shape");
  }
  shape_text = shape_text.substr(0, shape_text.find(')'));
  std::vector<int64_t> shape;
  for (absl::string_view part : absl::StrSplit(shape_text, ',', absl::SkipWhitespace())) {
    int64_t d;
    if (!absl::SimpleAtoi(part, &d) || d < 0) {
      return absl::InvalidArgumentError("bad npy shape");
    }
    shape.push_back(d);
  }
  if (shape.empty()) return absl::InvalidArgumentError("npy array is a scalar");
  return DecodeDense(bytes.substr(data_start), shape, kind, size,
                     /*big_endian=*/false, sel, "npy");
}

absl::StatusOr<InputRows> ParseCsv(absl::string_view bytes,
                                   const InputSelection& sel) {
  std::vector<absl::string_view> lines =
      absl::StrSplit(bytes, absl::ByAnyChar("\r\n"), absl::SkipWhitespace());
  int64_t drop = -1;
  size_t line_no = 0;
  if (sel.csv_header) {
    if (lines.empty()) return absl::InvalidArgumentError("empty CSV");
    std::vector<absl::string_view> names = absl::StrSplit(lines[0], ',');
    for (size_t c = 0; c < names.size(); ++c) {
      if (absl::StripAsciiWhitespace(names[c]) == sel.csv_drop_column) {
        drop = static_cast<int64_t>(c);
      }
    }
    line_no = 1;
  }
  if (!sel.csv_drop_column.empty() && drop < 0 &&
      !absl::SimpleAtoi(sel.csv_drop_column, &drop)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--label_column: no column '", sel.csv_drop_column, "'"));
  }
  const int64_t total = static_cast<int64_t>(lines.size() - line_no);
  int64_t first, count;
  PROFUNDO_RETURN_IF_ERROR(Select(sel, total, &first, &count));
  InputRows out;
  out.rows = count;
  int64_t width = -1;
  for (int64_t r = first; r < first + count; ++r) {
    const size_t at = line_no + static_cast<size_t>(r);
    std::vector<absl::string_view> cells = absl::StrSplit(lines[at], ',');
    int64_t kept = 0;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (static_cast<int64_t>(c) == drop) continue;
      float v;
      if (!absl::SimpleAtof(absl::StripAsciiWhitespace(cells[c]), &v)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "line ", at + 1, " column ", c + 1, ": '", std::string(cells[c]),
            "' is not a number"));
      }
      out.values.push_back(v);
      ++kept;
    }
    if (width >= 0 && kept != width) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", at + 1, " has ", kept, " values, the first row ", width));
    }
    width = kept;
  }
  out.sample_shape = {width};
  return out;
}

}  // namespace

int64_t InputRows::features() const {
  int64_t n = 1;
  for (int64_t d : sample_shape) n *= d;
  return n;
}

absl::StatusOr<InputRows> ParseInputRows(absl::string_view bytes,
                                         const std::string& name,
                                         const InputSelection& selection) {
  std::string inflated;
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
      static_cast<unsigned char>(bytes[1]) == 0x8b) {
    absl::StatusOr<std::string> g = Gunzip(bytes);
    if (!g.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", g.status().message()));
    }
    inflated = *std::move(g);
    bytes = inflated;
  }
  absl::StatusOr<InputRows> rows;
  if (absl::StartsWith(bytes, "\x93NUMPY")) {
    rows = ParseNpy(bytes, selection);
  } else if (bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 0) {
    rows = ParseIdx(bytes, selection);
  } else {
    rows = ParseCsv(bytes, selection);
  }
  if (!rows.ok()) {
    return absl::Status(rows.status().code(),
                        absl::StrCat(name, ": ", rows.status().message()));
  }
  return rows;
}

absl::StatusOr<InputRows> ReadInputRows(const std::string& path,
                                        const InputSelection& selection) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return ParseInputRows(bytes.str(), path, selection);
}

}  // namespace profundo::cli
