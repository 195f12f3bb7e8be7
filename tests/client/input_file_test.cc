#include "client/cli/input_file.h"

#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gzip_util.h"

namespace profundo::cli {
namespace {

using ::testing::ElementsAre;
using ::profundo::testing::Gzip;
using ::testing::HasSubstr;

// 3 images of 2x2 ubyte pixels 0..11.
std::string Idx3() {
  std::string s("\x00\x00\x08\x03", 4);
  for (int d : {3, 2, 2}) s += std::string("\x00\x00\x00", 3) + static_cast<char>(d);
  for (int i = 0; i < 12; ++i) s += static_cast<char>(i);
  return s;
}


std::string Npy(const std::string& descr, const std::string& shape,
                const std::string& data) {
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string s("\x93NUMPY\x01\x00", 8);
  s += static_cast<char>(header.size() & 0xff);
  s += static_cast<char>(header.size() >> 8);
  return s + header + data;
}

TEST(InputFileTest, IdxRawAndGzipSelectRows) {
  InputSelection sel;
  sel.first = 1;
  sel.count = 2;
  for (const std::string& bytes : {Idx3(), Gzip(Idx3())}) {
    absl::StatusOr<InputRows> in = ParseInputRows(bytes, "t.idx", sel);
    ASSERT_TRUE(in.ok()) << in.status();
    EXPECT_EQ(in->rows, 2);
    EXPECT_THAT(in->sample_shape, ElementsAre(2, 2));
    EXPECT_EQ(in->features(), 4);
    EXPECT_THAT(in->values, ElementsAre(4, 5, 6, 7, 8, 9, 10, 11));
  }
}

TEST(InputFileTest, CountZeroTakesTheRestAndCountIsClamped) {
  InputSelection sel;
  sel.first = 2;
  sel.count = 0;
  EXPECT_EQ(ParseInputRows(Idx3(), "t", sel)->rows, 1);
  sel.count = 10;
  EXPECT_EQ(ParseInputRows(Idx3(), "t", sel)->rows, 1);
  sel.first = 3;
  absl::StatusOr<InputRows> in = ParseInputRows(Idx3(), "t.idx", sel);
  EXPECT_EQ(in.status(),
            absl::InvalidArgumentError(
                "t.idx: --index 3 is out of range: the file has 3 rows"));
}

TEST(InputFileTest, IdxLabelsAndTruncation) {
  std::string labels("\x00\x00\x08\x01\x00\x00\x00\x03\x07\x02\x09", 11);
  InputSelection sel;
  sel.count = 0;
  absl::StatusOr<InputRows> in = ParseInputRows(labels, "l", sel);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(in->sample_shape.empty());
  EXPECT_EQ(in->features(), 1);
  EXPECT_THAT(in->values, ElementsAre(7, 2, 9));
  EXPECT_THAT(ParseInputRows(labels.substr(0, 10), "l", sel).status().message(),
              HasSubstr("IDX data size does not match its shape"));
}

TEST(InputFileTest, NpyFloat32AndUint8) {
  float f[6] = {0.5f, -1, 2, 3, 4.25f, 5};
  std::string data(reinterpret_cast<const char*>(f), sizeof(f));
  InputSelection sel;
  sel.first = 1;
  sel.count = 1;
  absl::StatusOr<InputRows> in = ParseInputRows(Npy("<f4", "(2, 3)", data), "x.npy", sel);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_THAT(in->sample_shape, ElementsAre(3));
  EXPECT_THAT(in->values, ElementsAre(3, 4.25f, 5));

  sel.first = 0;
  sel.count = 0;
  in = ParseInputRows(Npy("|u1", "(2, 2, 1)", std::string("\x01\x02\xff\x00", 4)),
                      "u.npy", sel);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_THAT(in->sample_shape, ElementsAre(2, 1));
  EXPECT_THAT(in->values, ElementsAre(1, 2, 255, 0));

  std::string i8 = Npy("<i8", "(2,)", std::string("\xfe\xff\xff\xff\xff\xff\xff\xff"
                                                  "\x03\x00\x00\x00\x00\x00\x00\x00", 16));
  in = ParseInputRows(i8, "y.npy", sel);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_THAT(in->values, ElementsAre(-2, 3));

  EXPECT_THAT(ParseInputRows(Npy("<c8", "(1,)", std::string(8, '\0')), "c.npy", sel)
                  .status()
                  .message(),
              HasSubstr("unsupported npy dtype '<c8'"));
}

TEST(InputFileTest, CsvWithHeaderDropsLabelColumn) {
  const std::string csv = "a,b,label\n1,2,0\n3.5,-4,1\r\n5,6,1\n";
  InputSelection sel;
  sel.count = 2;
  sel.csv_drop_column = "label";
  absl::StatusOr<InputRows> in = ParseInputRows(csv, "t.csv", sel);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->rows, 2);
  EXPECT_THAT(in->sample_shape, ElementsAre(2));
  EXPECT_THAT(in->values, ElementsAre(1, 2, 3.5f, -4));

  sel.csv_header = false;
  sel.csv_drop_column = "0";
  sel.first = 0;
  in = ParseInputRows("1,2\n3,4\n", "n.csv", sel);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_THAT(in->values, ElementsAre(2, 4));

  sel.csv_drop_column = "";
  EXPECT_EQ(ParseInputRows("1,2\n3,x\n", "bad.csv", sel).status(),
            absl::InvalidArgumentError("bad.csv: line 2 column 2: 'x' is not a number"));
  EXPECT_EQ(ParseInputRows("1,2\n3\n", "ragged.csv", sel).status(),
            absl::InvalidArgumentError(
                "ragged.csv: line 2 has 1 values, the first row 2"));
}

TEST(InputFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadInputRows("/nonexistent/x.npy", {}).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace profundo::cli
