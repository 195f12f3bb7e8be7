// CSV reader: header detection, label column choices, quoting, line ends,
// and a table of malformed inputs with the line and column they name.
#include "engine/datasets/csv.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;

Dataset MustParse(std::string_view text, const CsvOptions& opts = {}) {
  auto d = ParseCsv(text, opts);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *std::move(d) : Dataset{};
}

TEST(CsvTest, HeaderDetectedAndLabelLast) {
  const Dataset d = MustParse("a,b,label\n1,2.5,0\n-3,4e-1,2\n");
  EXPECT_EQ(d.x.shape(), (Shape{2, 2}));
  EXPECT_EQ(d.x.values(), (std::vector<float>{1, 2.5f, -3, 0.4f}));
  EXPECT_EQ(d.y.shape(), (Shape{2}));
  EXPECT_EQ(d.y.values(), (std::vector<float>{0, 2}));
}

TEST(CsvTest, NoHeaderDetected) {
  const Dataset d = MustParse("1,2,1\n3,4,0");  // no final newline
  EXPECT_EQ(d.x.values(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(d.y.values(), (std::vector<float>{1, 0}));
}

TEST(CsvTest, ExplicitHeaderChoice) {
  CsvOptions opts;
  opts.header = CsvOptions::Header::kPresent;  // a numeric header row
  Dataset d = MustParse("10,20,30\n1,2,1\n", opts);
  EXPECT_EQ(d.x.shape(), (Shape{1, 2}));
  opts.header = CsvOptions::Header::kAbsent;
  auto bad = ParseCsv("x,y\n1,0\n", opts);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("line 1, column 1: 'x' is not a number"));
}

TEST(CsvTest, LabelColumnByIndexNameOrNone) {
  const char text[] = "f0,y,f1\n1,3,2\n4,5,6\n";
  CsvOptions opts;
  opts.label_column = 1;
  Dataset d = MustParse(text, opts);
  EXPECT_EQ(d.x.values(), (std::vector<float>{1, 2, 4, 6}));
  EXPECT_EQ(d.y.values(), (std::vector<float>{3, 5}));

  opts.label_column = CsvOptions::kLastColumn;
  opts.label_name = "y";
  d = MustParse(text, opts);
  EXPECT_EQ(d.y.values(), (std::vector<float>{3, 5}));

  opts.label_name.clear();
  opts.label_column = CsvOptions::kNoLabel;
  d = MustParse("1,2.5,3\n", opts);
  EXPECT_EQ(d.x.shape(), (Shape{1, 3}));
  EXPECT_EQ(d.y.rank(), 0);
  EXPECT_EQ(d.size(), 1);
}

TEST(CsvTest, QuotingLineEndsBlankLinesAndBom) {
  const Dataset d = MustParse(
      "\xEF\xBB\xBF\"name, with comma\",\"say \"\"hi\"\"\",label\r\n"
      "\r\n"
      "\"1.5\", 2 ,\"1\"\r\n"
      "\n"
      "  \n"
      "3,4,0\r\n");
  EXPECT_EQ(d.x.values(), (std::vector<float>{1.5f, 2, 3, 4}));
  EXPECT_EQ(d.y.values(), (std::vector<float>{1, 0}));
}

TEST(CsvTest, OtherDelimiter) {
  CsvOptions opts;
  opts.delimiter = ';';
  const Dataset d = MustParse("a;b\n1.5;2\n", opts);
  EXPECT_EQ(d.x.shape(), (Shape{1, 1}));
  // "1,5" is not a number with ';' as the delimiter.
  auto bad = ParseCsv("1,5;2\n", opts);
  EXPECT_FALSE(bad.ok());
}

TEST(CsvTest, MalformedInputs) {
  struct Case {
    std::string name;
    std::string text;
    CsvOptions opts;
    std::string expected;
  };
  // Named, not `{}`: GCC 12 at -O3 warns (maybe-uninitialized) on
  // value-initialized temporaries with strings inside this aggregate list.
  const CsvOptions defaults;
  CsvOptions label_7;
  label_7.label_column = 7;
  CsvOptions label_name_x;
  label_name_x.label_name = "x";
  CsvOptions absent;
  absent.header = CsvOptions::Header::kAbsent;
  CsvOptions label_name_no_header = label_name_x;
  label_name_no_header.header = CsvOptions::Header::kAbsent;
  const std::vector<Case> cases = {
      {"empty", "", defaults, "CSV has no rows"},
      {"blank lines only", "\n\n  \n", defaults, "CSV has no rows"},
      {"header only", "a,b,label\n", defaults, "CSV has no data rows"},
      {"ragged short",
       "a,b,label\n1,2,0\n3,4\n",
       defaults,
       "line 3: 2 columns, expected 3 as in the header"},
      {"ragged long",
       "1,2,0\n\n3,4,5,0\n",
       defaults,
       "line 3: 4 columns, expected 3 as in the first row"},
      {"ragged header",
       "a,b\n1,2,0\n",
       defaults,
       "line 2: 3 columns, expected 2 as in the header"},
      {"not a number",
       "a,b,label\n1,2,0\n1,x2,1\n",
       defaults,
       "line 3, column 2 (b): 'x2' is not a number"},
      {"empty cell", "1,,0\n", defaults, "line 1, column 2: empty cell"},
      {"nan",
       "a,b,label\n1,nan,0\n",
       defaults,
       "line 2, column 2 (b): 'nan' is not a finite float value"},
      {"inf",
       "1,-inf,0\n",
       defaults,
       "line 1, column 2: '-inf' is not a finite float value"},
      {"overflows float",
       "1,1e39,0\n",
       defaults,
       "line 1, column 2: '1e39' is not a finite float value"},
      {"fractional label",
       "1,2,2.5\n",
       defaults,
       "line 1, column 3 (label): '2.5' is not a class id (an integer in "
       "[0, 16777216))"},
      {"negative label",
       "a,label\n1,-1\n",
       defaults,
       "line 2, column 2 (label): '-1' is not a class id"},
      {"huge label", "1,1e8\n", defaults, "'1e8' is not a class id"},
      {"label column out of range", "1,2,0\n", label_7,
       "label_column 7 is out of range for 3 columns"},
      {"label name not in header", "a,b\n1,0\n", label_name_x,
       "label column 'x' is not in the header (line 1: a, b)"},
      {"label name without header", "1,0\n", label_name_no_header,
       "label column 'x' is given by name but the CSV has no header row"},
      {"only a label",
       "label\n1\n",
       defaults,
       "CSV has no feature columns: its only column is the label"},
      {"unterminated quote",
       "a,b\n1,\"2\n3,4\n",
       defaults,
       "line 2, column 2: unterminated quoted field"},
      {"text after quote",
       "a,b\n1,\"2\"x\n",
       defaults,
       "line 2, column 2: unexpected character 'x' after a closing quote"},
  };
  for (const Case& c : cases) {
    auto d = ParseCsv(c.text, c.opts);
    ASSERT_FALSE(d.ok()) << c.name;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(d.status().message()), HasSubstr(c.expected))
        << c.name;
  }
}

TEST(CsvTest, LineNumbersCountQuotedNewlines) {
  // The quoted header cell spans lines 1-2, so the bad row is line 4.
  auto d = ParseCsv("\"a\nb\",label\n1,0\n1,zz\n", {});
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("line 4, column 2 (label): 'zz' is not a number"));
}

}  // namespace
}  // namespace profundo
