// .npy reader: NumPy-written fixtures, every supported dtype and header
// version built in C++, and a table of malformed inputs.
#include "engine/datasets/npy.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/datasets/idx.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;

// tests/data/npy/, from PROFUNDO_SOURCE_DIR (set by CTest) or this file.
std::string FixtureDir() {
  if (const char* root = std::getenv("PROFUNDO_SOURCE_DIR")) {
    return std::string(root) + "/tests/data/npy/";
  }
  std::string here = __FILE__;  // .../tests/unit/datasets/npy_test.cc
  return here.substr(0, here.rfind("/unit/")) + "/data/npy/";
}

// .npy bytes as NumPy writes them: magic, version, header length, the dict
// padded with spaces to a 64-byte boundary and a newline, then `data`.
std::string Npy(const std::string& dict, const std::string& data,
                int major = 1) {
  const size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string s = "\x93NUMPY";
  s.push_back(static_cast<char>(major));
  s.push_back('\0');
  uint32_t len = static_cast<uint32_t>(header.size());
  for (size_t i = 0; i < prefix - 8; ++i, len >>= 8) {
    s.push_back(static_cast<char>(len & 0xff));
  }
  return s + header + data;
}

std::string Dict(const std::string& descr, const std::string& shape,
                 const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran +
         ", 'shape': " + shape + ", }";
}

// Little-endian bytes of the values.
template <typename T>
std::string Le(const std::vector<T>& values) {
  std::string s(values.size() * sizeof(T), '\0');
  std::memcpy(s.data(), values.data(), s.size());  // x86-64 is little-endian
  return s;
}

TEST(NpyTest, NumpyWrittenFixtures) {
  auto bytes = ReadFileBytes(FixtureDir() + "f4_2x3.npy");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto t = ParseNpy(*bytes);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape(), (Shape{2, 3}));
  EXPECT_EQ(t->values(), (std::vector<float>{-1, -0.5f, 0, 0.5f, 1, 1.5f}));

  bytes = ReadFileBytes(FixtureDir() + "u1_2x3_v2.npy");  // version 2.0
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  t = ParseNpy(*bytes);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape(), (Shape{2, 3}));
  EXPECT_EQ(t->values(), (std::vector<float>{0, 1, 255, 7, 8, 9}));

  bytes = ReadFileBytes(FixtureDir() + "i8_3.npy");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  t = ParseNpy(*bytes);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape(), (Shape{3}));
  EXPECT_EQ(t->values(), (std::vector<float>{3, -2, 1099511627776.0f}));
}

TEST(NpyTest, EveryDtypeAndVersion) {
  struct Case {
    std::string descr;
    std::string data;
  };
  const Case cases[] = {
      {"<f4", Le<float>({1.5f, -2, 0.25f, 1e30f})},
      {"<f8", Le<double>({1.5, -2, 0.25, 1e30})},
      {"|u1", std::string("\x01\x02\x03\x04", 4)},
      {"<i4", Le<int32_t>({1, -2, 300000, -2147483647})},
      {"<i8", Le<int64_t>({1, -2, 300000, int64_t{1} << 40})},
  };
  const std::vector<std::vector<float>> expected = {
      {1.5f, -2, 0.25f, 1e30f},
      {1.5f, -2, 0.25f, 1e30f},
      {1, 2, 3, 4},
      {1, -2, 300000, -2147483647.0f},
      {1, -2, 300000, 1099511627776.0f}};
  for (int major : {1, 2, 3}) {
    for (size_t i = 0; i < std::size(cases); ++i) {
      auto t =
          ParseNpy(Npy(Dict(cases[i].descr, "(2, 2)"), cases[i].data, major));
      ASSERT_TRUE(t.ok()) << cases[i].descr << " v" << major << ": "
                          << t.status();
      EXPECT_EQ(t->shape(), (Shape{2, 2}));
      EXPECT_EQ(t->values(), expected[i]) << cases[i].descr;
    }
  }
}

TEST(NpyTest, ShapesAndHeaderVariants) {
  // 1-D "(3,)", a 0-d scalar "()", an empty dimension, keys in any order
  // with double quotes.
  auto t = ParseNpy(Npy(Dict("<f4", "(3,)"), Le<float>({1, 2, 3})));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape(), (Shape{3}));
  t = ParseNpy(Npy(Dict("<f4", "()"), Le<float>({7})));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape(), (Shape{}));
  EXPECT_EQ(t->values(), (std::vector<float>{7}));
  t = ParseNpy(Npy(Dict("|u1", "(0, 5)"), ""));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape(), (Shape{0, 5}));
  t = ParseNpy(
      Npy("{\"shape\": (1, 2), \"fortran_order\": False, \"descr\": \"<i4\"}",
          Le<int32_t>({5, 6})));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->values(), (std::vector<float>{5, 6}));
}

TEST(NpyTest, MalformedInputs) {
  const std::string good = Npy(Dict("<f4", "(2,)"), Le<float>({1, 2}));
  struct Case {
    std::string name;
    std::string bytes;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"empty", "", "npy: bad magic: expected \\x93NUMPY at the start"},
      {"bad magic", std::string("\x93NUMPZ\x01\x00", 8) + good.substr(8),
       "npy: bad magic"},
      {"idx bytes", std::string("\0\0\x08\x01\0\0\0\x01x", 9),
       "npy: bad magic"},
      {"version", std::string("\x93NUMPY\x04\x00", 8) + good.substr(8),
       "npy: unsupported format version 4.0 (expected 1.0, 2.0 or 3.0)"},
      {"truncated length", good.substr(0, 9), "npy: truncated header length"},
      {"truncated header", good.substr(0, 40),
       "npy: truncated header: 118 bytes declared, 30 present"},
      {"fortran", Npy(Dict("<f4", "(2,)", "True"), Le<float>({1, 2})),
       "npy: fortran_order True is not supported"},
      {"big-endian", Npy(Dict(">f4", "(2,)"), Le<float>({1, 2})),
       "npy: dtype '>f4' is not supported (big-endian); expected one of <f4, "
       "<f8, |u1, <i4, <i8"},
      {"unsupported dtype", Npy(Dict("<c8", "(1,)"), Le<float>({1, 2})),
       "npy: dtype '<c8' is not supported; expected one of"},
      {"object dtype", Npy(Dict("|O", "(1,)"), "12345678"),
       "npy: dtype '|O' is not supported"},
      {"truncated data", good.substr(0, good.size() - 1),
       "npy: truncated data: shape [2] of <f4 needs more than the 7 bytes"},
      {"trailing", good + "xyz",
       "npy: 3 trailing bytes after the [2] <f4 data"},
      {"absurd shape",
       Npy(Dict("<f8", "(1125899906842624, 1125899906842624)"), "12345678"),
       "npy: truncated data: shape [1125899906842624, 1125899906842624]"},
      {"huge dimension", Npy(Dict("<f4", "(99999999999999999999,)"), ""),
       "npy header: dimension too large"},
      {"negative dimension", Npy(Dict("<f4", "(-1,)"), ""),
       "npy header: expected a dimension in 'shape'"},
      {"missing key", Npy("{'descr': '<f4', 'shape': (1,), }", Le<float>({1})),
       "npy header: missing key 'fortran_order'"},
      {"extra key",
       Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': "
           "'y'}",
           Le<float>({1})),
       "npy header: unexpected keys"},
      {"not a dict", Npy("['descr']", ""), "npy header: expected '{'"},
      {"unterminated", Npy("{'descr: '<f4'}", ""), "npy header: expected ':'"},
      {"wrong kinds",
       Npy("{'descr': '<f4', 'fortran_order': 'no', 'shape': (1,)}",
           Le<float>({1})),
       "npy header: descr must be a string, fortran_order a bool"},
      {"nan", Npy(Dict("<f4", "(1, 2)"), Le<float>({1, NAN})),
       "npy data has a non-finite value (nan) at [0, 1]"},
      {"double overflows float", Npy(Dict("<f8", "(1,)"), Le<double>({1e300})),
       "npy data has a non-finite value (inf) at [0]"},
  };
  for (const Case& c : cases) {
    auto t = ParseNpy(c.bytes);
    ASSERT_FALSE(t.ok()) << c.name;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr(c.expected))
        << c.name;
  }
}

}  // namespace
}  // namespace profundo
