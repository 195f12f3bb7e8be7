// IDX reader: the real Fashion-MNIST files, every element type, raw and
// gzip files round trip, and a table of malformed inputs.
#include "engine/datasets/idx.h"


#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gzip_util.h"

namespace profundo {
namespace {

using ::profundo::testing::Gzip;
using ::testing::HasSubstr;

const char kFashionDir[] = "/usr/share/datasets/fashion-mnist/";

// IDX bytes: magic 00 00 type ndim, big-endian dims, then `payload`.
std::string Idx(uint8_t type, const std::vector<uint32_t>& dims,
                const std::string& payload) {
  std::string s = {0, 0, static_cast<char>(type),
                   static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      s.push_back(static_cast<char>((d >> shift) & 0xff));
    }
  }
  return s + payload;
}

// Big-endian bytes of an integer of `n` bytes.
std::string Be(uint64_t v, int n) {
  std::string s(n, '\0');
  for (int i = n - 1; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}
std::string BeFloat(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return Be(bits, 4);
}
std::string BeDouble(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return Be(bits, 8);
}


std::string WriteTemp(const std::string& name, const std::string& bytes) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(IdxTest, FashionMnistTestSet) {
  auto d =
      ReadIdxDataset(std::string(kFashionDir) + "t10k-images-idx3-ubyte.gz",
                     std::string(kFashionDir) + "t10k-labels-idx1-ubyte.gz");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->x.shape(), (Shape{10000, 28, 28}));
  EXPECT_EQ(d->y.shape(), (Shape{10000}));
  EXPECT_EQ(d->size(), 10000);
  // The first test image is an ankle boot (class 9).
  EXPECT_EQ(d->y.data()[0], 9.0f);
  // Ten classes of exactly 1000 images each.
  std::vector<int> per_class(10, 0);
  for (float v : d->y.values()) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 9.0f);
    ASSERT_EQ(v, std::floor(v));
    ++per_class[static_cast<int>(v)];
  }
  for (int c = 0; c < 10; ++c) EXPECT_EQ(per_class[c], 1000) << c;
  float lo = 255, hi = 0;
  for (float v : d->x.values()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 255.0f);
}

TEST(IdxTest, FashionMnistTrainingLabels) {
  auto y = ReadIdxFile(std::string(kFashionDir) + "train-labels-idx1-ubyte.gz");
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->shape(), (Shape{60000}));
  // The first training image is an ankle boot (9), the second a T-shirt (0).
  EXPECT_EQ(y->data()[0], 9.0f);
  EXPECT_EQ(y->data()[1], 0.0f);
}

TEST(IdxTest, EveryElementType) {
  struct Case {
    uint8_t type;
    std::string payload;
    std::vector<float> expected;
  };
  const Case cases[] = {
      {0x08, std::string("\x00\x7f\x80\xff", 4), {0, 127, 128, 255}},
      {0x09, std::string("\x00\x7f\x80\xff", 4), {0, 127, -128, -1}},
      {0x0B,
       Be(1, 2) + Be(0xfffe, 2) + Be(0x7fff, 2) + Be(0x8000, 2),
       {1, -2, 32767, -32768}},
      {0x0C,
       Be(70000, 4) + Be(0xffffffff, 4) + Be(0, 4) + Be(0x80000000, 4),
       {70000, -1, 0, -2147483648.0f}},
      {0x0D,
       BeFloat(1.5f) + BeFloat(-0.25f) + BeFloat(3e38f) + BeFloat(0),
       {1.5f, -0.25f, 3e38f, 0}},
      {0x0E,
       BeDouble(1.5) + BeDouble(-1e-3) + BeDouble(1e10) + BeDouble(0),
       {1.5f, -1e-3f, 1e10f, 0}},
  };
  for (const Case& c : cases) {
    auto t = ParseIdx(
        Idx(c.type, {2, 2}, std::string(c.payload.data(), c.payload.size())));
    ASSERT_TRUE(t.ok()) << int{c.type} << ": " << t.status();
    EXPECT_EQ(t->shape(), (Shape{2, 2}));
    EXPECT_EQ(t->values(), c.expected) << int{c.type};
  }
}

TEST(IdxTest, RawAndGzipFilesRoundTrip) {
  std::string payload;
  for (int i = 0; i < 3 * 4 * 5; ++i)
    payload.push_back(static_cast<char>(i * 4));
  const std::string raw = Idx(0x08, {3, 4, 5}, payload);
  for (const std::string& path :
       {WriteTemp("round_trip.idx", raw),
        WriteTemp("round_trip.idx.gz", Gzip(raw)),
        // The gzip magic decides, not the file name.
        WriteTemp("round_trip_gz_named_raw", Gzip(raw))}) {
    auto t = ReadIdxFile(path);
    ASSERT_TRUE(t.ok()) << path << ": " << t.status();
    EXPECT_EQ(t->shape(), (Shape{3, 4, 5}));
    for (int i = 0; i < 60; ++i) ASSERT_EQ(t->data()[i], (i * 4) % 256);
  }
  // Concatenated gzip members are one stream.
  auto t = ParseIdx(Gzip(raw.substr(0, 10)) + Gzip(raw.substr(10)));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->size(), 60);
}

TEST(IdxTest, MaybeGunzip) {
  EXPECT_EQ(*MaybeGunzip("plain"), "plain");
  EXPECT_EQ(*MaybeGunzip(Gzip("hello, world")), "hello, world");
  EXPECT_EQ(*MaybeGunzip(""), "");
}

TEST(IdxTest, MalformedInputs) {
  const std::string good = Idx(0x08, {2, 3}, "abcdef");
  const std::string gz = Gzip(good);
  struct Case {
    std::string name;
    std::string bytes;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"empty", "", "IDX: 0 bytes is too short for the 4-byte magic"},
      {"short", std::string("\0\0", 2), "too short"},
      {"bad magic", "\x01\x02\x08\x01xxxx",
       "IDX: bad magic 01 02 08 01: expected 00 00 <type> <ndim>"},
      {"text", "hello world", "IDX: bad magic 68 65 6c 6c"},
      {"unknown type", Idx(0x07, {1}, "x"),
       "IDX: unknown element type 0x07 (expected 0x08 ubyte"},
      {"no dims", std::string("\0\0\x08\0", 4),
       "IDX: the header declares 0 dimensions"},
      {"truncated header", Idx(0x08, {2, 3}, "").substr(0, 9),
       "IDX: truncated header: 2 dimensions need 12 bytes, got 9"},
      {"truncated data", good.substr(0, good.size() - 1),
       "IDX: truncated data: dimensions [2, 3] of ubyte need more than the 5 "
       "bytes after the header"},
      {"truncated ints", Idx(0x0C, {2}, Be(1, 4) + "\1\2"),
       "IDX: truncated data: dimensions [2] of int"},
      {"trailing", good + "zz",
       "IDX: 2 trailing bytes after the [2, 3] ubyte data"},
      {"absurd dims", Idx(0x08, {0xffffffff, 0xffffffff, 0xffffffff}, "ab"),
       "IDX: truncated data: dimensions [4294967295, 4294967295, 4294967295]"},
      {"absurd doubles", Idx(0x0E, {0x80000000, 0x80000000}, ""),
       "IDX: truncated data"},
      {"nan float", Idx(0x0D, {2}, BeFloat(1) + BeFloat(NAN)),
       "IDX data has a non-finite value (nan) at [1]"},
      {"double overflows float", Idx(0x0E, {1, 1}, BeDouble(1e300)),
       "IDX data has a non-finite value (inf) at [0, 0]"},
      {"truncated gzip", gz.substr(0, gz.size() / 2), "gzip: truncated data"},
      {"gzip without trailer", gz.substr(0, gz.size() - 4), "gzip: truncated"},
      {"gzip trailing garbage", gz + "junk",
       "gzip: 4 trailing bytes after the compressed data"},
      {"corrupt gzip", gz.substr(0, 10) + std::string(30, '\xff'),
       "gzip: corrupt data"},
  };
  for (const Case& c : cases) {
    auto t = ParseIdx(c.bytes);
    ASSERT_FALSE(t.ok()) << c.name;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr(c.expected))
        << c.name;
  }
}

TEST(IdxTest, ReadIdxHeaderReadsOnlyTheHeader) {
  const std::string raw = Idx(0x0B, {3, 4}, std::string(24, '\1'));
  for (const std::string& bytes : {raw, Gzip(raw)}) {
    auto header = ReadIdxHeader(bytes);
    ASSERT_TRUE(header.ok()) << header.status();
    EXPECT_EQ(header->type_code, 0x0B);
    EXPECT_STREQ(header->type_name, "short");
    EXPECT_EQ(header->element_bytes, 2);
    EXPECT_EQ(header->header_bytes, 12u);
    EXPECT_EQ(header->shape, (Shape{3, 4}));
    EXPECT_EQ(header->ElementCount(), 12u);
    EXPECT_EQ(header->DataBytes(), 12u + 24u);
  }
  // The header of a gzip file whose data is cut short is still readable:
  // only the first bytes are inflated.
  const std::string gz = Gzip(Idx(0x08, {1000, 1000}, std::string(1000000, 'x')));
  auto header = ReadIdxHeader(gz.substr(0, gz.size() / 2));
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->ElementCount(), 1000000u);
  // Declared sizes saturate instead of overflowing.
  auto absurd =
      ReadIdxHeader(Idx(0x0E, {0xffffffff, 0xffffffff, 0xffffffff}, ""));
  ASSERT_TRUE(absurd.ok()) << absurd.status();
  EXPECT_EQ(absurd->ElementCount(), ~uint64_t{0});
  EXPECT_EQ(absurd->DataBytes(), ~uint64_t{0});
  EXPECT_EQ(ReadIdxHeader("\x01\x02").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(IdxTest, GzipInflatesNoMoreThanTheHeaderDeclares) {
  // A gzip bomb: a 2x2 header followed by 16 MiB of zeros (~16 KiB gzip).
  const std::string bomb =
      Gzip(Idx(0x08, {2, 2}, "abcd") + std::string(16 << 20, '\0'));
  ASSERT_LT(bomb.size(), 32u << 10);
  auto t = ParseIdx(bomb);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message(),
            "IDX: the gzip data decompresses to more than the 16 bytes its "
            "header declares ([2, 2] ubyte)");
  // A header declaring more than gzip data may ever inflate to (2 GiB) is
  // refused before anything beyond the header is inflated.
  auto huge = ParseIdx(Gzip(Idx(0x08, {65536, 65536}, "abcd")));
  ASSERT_FALSE(huge.ok());
  EXPECT_THAT(std::string(huge.status().message()),
              HasSubstr("IDX: the header declares [65536, 65536] ubyte "
                        "(4294967308 bytes), more than the 2147483648 bytes"));
}

TEST(IdxTest, EmptyDimensionIsAnEmptyTensor) {
  auto t = ParseIdx(Idx(0x08, {0, 28, 28}, ""));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape(), (Shape{0, 28, 28}));
  EXPECT_EQ(t->size(), 0);
}

TEST(IdxTest, FileErrors) {
  auto t = ReadIdxFile("/nonexistent/dir/images.idx");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()),
              HasSubstr("cannot open /nonexistent/dir/images.idx"));
  // Parse errors name the file.
  const std::string bad = WriteTemp("bad.idx", "not idx");
  t = ReadIdxFile(bad);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(t.status().message()),
              HasSubstr(bad + ": IDX: bad magic"));
  // A directory opens but cannot be read.
  EXPECT_FALSE(ReadFileBytes(::testing::TempDir()).ok());
}

TEST(IdxTest, DatasetCountsMustAgree) {
  const std::string images =
      WriteTemp("images3.idx", Idx(0x08, {3, 2}, "abcdef"));
  const std::string labels2 = WriteTemp("labels2.idx", Idx(0x08, {2}, "\1\2"));
  const std::string labels3 =
      WriteTemp("labels3.idx", Idx(0x08, {3}, "\1\2\3"));
  const std::string labels_2d =
      WriteTemp("labels_2d.idx", Idx(0x08, {3, 1}, "\1\2\3"));
  auto d = ReadIdxDataset(images, labels3);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->y.values(), (std::vector<float>{1, 2, 3}));
  d = ReadIdxDataset(images, labels2);
  EXPECT_THAT(
      std::string(d.status().message()),
      HasSubstr(images + " has 3 images but " + labels2 + " has 2 labels"));
  d = ReadIdxDataset(images, labels_2d);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("labels must be 1-D [N], got [3, 1]"));
}

}  // namespace
}  // namespace profundo
