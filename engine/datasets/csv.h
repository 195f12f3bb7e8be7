// CSV reader: a numeric table, one sample per row, into a Dataset. Features
// become x [N, F] (floats) and the label column y [N] (integer class ids
// stored as floats). RFC 4180 quoting ("1.5", "a,b", "say ""hi""") is
// understood; \n and \r\n line ends; blank lines and a UTF-8 byte-order mark
// are skipped.
//
// Errors are INVALID_ARGUMENT naming the line and column (both from 1):
// ragged rows, empty or non-numeric cells, NaN/Inf values, labels that are
// not non-negative integers, an unknown label column.
//
// Stateless free functions; thread-safe.
//
// Example:
//   CsvOptions opts;                 // header auto-detected, label last
//   PROFUNDO_ASSIGN_OR_RETURN(Dataset d, ParseCsv(text, opts));
//   // "a,b,label\n1,2,0\n3,4,1\n" -> x [2, 2], y [2] = {0, 1}
#ifndef PROFUNDO_ENGINE_DATASETS_CSV_H_
#define PROFUNDO_ENGINE_DATASETS_CSV_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/datasets/dataset.h"

namespace profundo {

struct CsvOptions {
  enum class Header {
    kAuto,     // a header if a non-empty cell of the first row is not a number
    kPresent,  // the first row names the columns
    kAbsent,   // every row is data
  };
  static constexpr int kLastColumn = -2;
  static constexpr int kNoLabel = -1;

  Header header = Header::kAuto;
  // 0-based index of the label column, kLastColumn, or kNoLabel (then every
  // column is a feature and y stays empty).
  int label_column = kLastColumn;
  // When not empty: the label column by its header name (overrides
  // label_column; requires a header).
  std::string label_name;
  char delimiter = ',';
};

absl::StatusOr<Dataset> ParseCsv(std::string_view text, const CsvOptions& opts);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_DATASETS_CSV_H_
