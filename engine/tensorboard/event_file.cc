#include "engine/tensorboard/event_file.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "engine/tensorboard/crc32c.h"

namespace profundo {
namespace {

// Protobuf wire types.
constexpr int kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutTag(int field, int wire_type, std::string* out) {
  PutVarint(static_cast<uint64_t>(field) << 3 | wire_type, out);
}

void PutFixed(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i)
    out->push_back(static_cast<char>(v >> (8 * i)));
}

void PutBytes(int field, std::string_view bytes, std::string* out) {
  PutTag(field, kLengthDelimited, out);
  PutVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

void PutDouble(int field, double v, std::string* out) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  PutTag(field, kFixed64, out);
  PutFixed(bits, 8, out);
}

double Now() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A cursor over protobuf bytes; every read fails cleanly past the end.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= s_.size()) return false;
      const auto b = static_cast<unsigned char>(s_[pos_++]);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool Fixed(int bytes, uint64_t* v) {
    if (s_.size() - pos_ < static_cast<size_t>(bytes)) return false;
    *v = 0;
    for (int i = 0; i < bytes; ++i) {
      *v |= static_cast<uint64_t>(static_cast<unsigned char>(s_[pos_ + i]))
            << (8 * i);
    }
    pos_ += bytes;
    return true;
  }
  bool Bytes(std::string_view* out) {
    uint64_t n;
    if (!Varint(&n) || n > s_.size() - pos_) return false;
    *out = s_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  // Reads a field's tag; *field 0 at the end.
  bool Tag(int* field, int* wire_type) {
    uint64_t t;
    if (!Varint(&t)) return false;
    *field = static_cast<int>(t >> 3);
    *wire_type = static_cast<int>(t & 7);
    return true;
  }
  bool Skip(int wire_type) {
    uint64_t v;
    std::string_view b;
    switch (wire_type) {
      case kVarint:
        return Varint(&v);
      case kFixed64:
        return Fixed(8, &v);
      case kLengthDelimited:
        return Bytes(&b);
      case kFixed32:
        return Fixed(4, &v);
      default:
        return false;
    }
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// Value { string tag = 1; float simple_value = 2; }
bool ParseValue(std::string_view bytes, ScalarEvent* e, bool* has_value) {
  Reader r(bytes);
  while (!r.done()) {
    int field, wt;
    if (!r.Tag(&field, &wt)) return false;
    if (field == 1 && wt == kLengthDelimited) {
      std::string_view tag;
      if (!r.Bytes(&tag)) return false;
      e->tag = std::string(tag);
    } else if (field == 2 && wt == kFixed32) {
      uint64_t bits;
      if (!r.Fixed(4, &bits)) return false;
      const auto b32 = static_cast<uint32_t>(bits);
      std::memcpy(&e->value, &b32, sizeof b32);
      *has_value = true;
    } else if (!r.Skip(wt)) {
      return false;
    }
  }
  return true;
}

// Event -> its scalars (one per Summary.Value with a simple_value).
bool ParseEvent(std::string_view bytes, std::vector<ScalarEvent>* out) {
  Reader r(bytes);
  double wall_time = 0;
  int64_t step = 0;
  std::vector<ScalarEvent> values;
  while (!r.done()) {
    int field, wt;
    if (!r.Tag(&field, &wt)) return false;
    if (field == 1 && wt == kFixed64) {
      uint64_t bits;
      if (!r.Fixed(8, &bits)) return false;
      std::memcpy(&wall_time, &bits, sizeof bits);
    } else if (field == 2 && wt == kVarint) {
      uint64_t v;
      if (!r.Varint(&v)) return false;
      step = static_cast<int64_t>(v);
    } else if (field == 5 && wt == kLengthDelimited) {
      std::string_view summary;
      if (!r.Bytes(&summary)) return false;
      Reader s(summary);
      while (!s.done()) {
        int f, w;
        if (!s.Tag(&f, &w)) return false;
        if (f == 1 && w == kLengthDelimited) {
          std::string_view value;
          if (!s.Bytes(&value)) return false;
          ScalarEvent e;
          bool has_value = false;
          if (!ParseValue(value, &e, &has_value)) return false;
          if (has_value) values.push_back(std::move(e));
        } else if (!s.Skip(w)) {
          return false;
        }
      }
    } else if (!r.Skip(wt)) {
      return false;
    }
  }
  for (ScalarEvent& e : values) {
    e.wall_time = wall_time;
    e.step = step;
    out->push_back(std::move(e));
  }
  return true;
}

uint64_t LoadLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

}  // namespace

std::string EncodeFileVersionEvent(double wall_time) {
  std::string e;
  PutDouble(1, wall_time, &e);
  PutBytes(3, "brain.Event:2", &e);
  return e;
}

std::string EncodeScalarEvent(double wall_time, int64_t step,
                              std::string_view tag, float value) {
  std::string v;
  PutBytes(1, tag, &v);
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  PutTag(2, kFixed32, &v);
  PutFixed(bits, 4, &v);
  std::string summary;
  PutBytes(1, v, &summary);
  std::string e;
  PutDouble(1, wall_time, &e);
  PutTag(2, kVarint, &e);
  PutVarint(static_cast<uint64_t>(step), &e);
  PutBytes(5, summary, &e);
  return e;
}

std::string FrameRecord(std::string_view data) {
  std::string out;
  PutFixed(data.size(), 8, &out);
  PutFixed(MaskCrc32c(Crc32c(out.data(), 8)), 4, &out);
  out.append(data.data(), data.size());
  PutFixed(MaskCrc32c(Crc32c(data.data(), data.size())), 4, &out);
  return out;
}

absl::StatusOr<std::unique_ptr<EventFileWriter>> EventFileWriter::Create(
    const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  const double now = Now();
  std::string path =
      absl::StrCat(dir, "/events.out.tfevents.", static_cast<int64_t>(now), ".",
                   host, ".", getpid(), ".profundo");
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create ", path));
  }
  std::unique_ptr<EventFileWriter> w(new EventFileWriter(std::move(path), f));
  absl::Status s = w->WriteRecord(EncodeFileVersionEvent(now));
  if (!s.ok()) return s;
  return w;
}

EventFileWriter::~EventFileWriter() { std::fclose(file_); }

absl::Status EventFileWriter::WriteRecord(std::string_view data) {
  const std::string record = FrameRecord(data);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size()) {
    return absl::InternalError(absl::StrCat("cannot write ", path_));
  }
  return absl::OkStatus();
}

absl::Status EventFileWriter::AddScalar(std::string_view tag, int64_t step,
                                        float value, double wall_time) {
  return WriteRecord(
      EncodeScalarEvent(wall_time < 0 ? Now() : wall_time, step, tag, value));
}

absl::Status EventFileWriter::Flush() {
  if (std::fflush(file_) != 0) {
    return absl::InternalError(absl::StrCat("cannot flush ", path_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ScalarEvent>> ReadScalarEvents(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  std::vector<ScalarEvent> out;
  size_t pos = 0;
  int64_t record = 0;
  while (pos < bytes.size()) {
    const auto bad = [&](const char* what) {
      return absl::DataLossError(absl::StrCat(path, ": record ", record,
                                              " at byte ", pos, ": ", what));
    };
    if (bytes.size() - pos < 12) return bad("truncated header");
    const uint64_t len = LoadLe(bytes.data() + pos, 8);
    const auto len_crc =
        static_cast<uint32_t>(LoadLe(bytes.data() + pos + 8, 4));
    if (MaskCrc32c(Crc32c(bytes.data() + pos, 8)) != len_crc) {
      return bad("length CRC mismatch");
    }
    if (len > bytes.size() - pos - 12 || bytes.size() - pos - 12 - len < 4) {
      return bad("truncated data");
    }
    const std::string_view data(bytes.data() + pos + 12, len);
    const auto data_crc =
        static_cast<uint32_t>(LoadLe(bytes.data() + pos + 12 + len, 4));
    if (MaskCrc32c(Crc32c(data.data(), data.size())) != data_crc) {
      return bad("data CRC mismatch");
    }
    if (!ParseEvent(data, &out)) return bad("malformed Event");
    pos += 12 + len + 4;
    ++record;
  }
  return out;
}

}  // namespace profundo
