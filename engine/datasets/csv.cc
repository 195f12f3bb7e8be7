#include "engine/datasets/csv.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/status_macros.h"

namespace profundo {
namespace {

// Labels are stored as floats: integers up to 2^24 are exact.
constexpr double kMaxLabel = 16777216.0;

struct Record {
  int line = 0;  // the line the record starts on, from 1
  std::vector<std::string> cells;
};

// Splits CSV text into records, RFC 4180 style. Not thread-safe.
class CsvReader {
 public:
  CsvReader(std::string_view text, char delimiter)
      : text_(text), delimiter_(delimiter) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // UTF-8 BOM
  }

  // Reads the next record that is not blank into *r; false at the end.
  absl::StatusOr<bool> Next(Record* r) {
    while (pos_ < text_.size()) {
      r->line = line_;
      r->cells.clear();
      bool any_quoted = false;
      PROFUNDO_RETURN_IF_ERROR(ReadRecord(r, &any_quoted));
      const bool blank = r->cells.size() == 1 && !any_quoted &&
                         absl::StripAsciiWhitespace(r->cells[0]).empty();
      if (!blank) return true;
    }
    return false;
  }

 private:
  absl::Status ReadRecord(Record* r, bool* any_quoted) {
    std::string cell;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '"' && cell.empty()) {
        *any_quoted = true;
        PROFUNDO_RETURN_IF_ERROR(ReadQuoted(r, &cell));
        continue;
      }
      if (c == delimiter_) {
        r->cells.push_back(std::move(cell));
        cell.clear();
        ++pos_;
      } else if (c == '\n' || c == '\r') {
        pos_ +=
            (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n')
                ? 2
                : 1;
        ++line_;
        break;
      } else {
        cell.push_back(c);
        ++pos_;
      }
    }
    r->cells.push_back(std::move(cell));
    return absl::OkStatus();
  }

  // Reads a quoted cell starting at the opening quote into *cell.
  absl::Status ReadQuoted(const Record* r, std::string* cell) {
    const int opened = line_;
    ++pos_;
    while (true) {
      if (pos_ >= text_.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", opened, ", column ", r->cells.size() + 1,
                         ": unterminated quoted field"));
      }
      const char c = text_[pos_++];
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          cell->push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      if (c == '\n') ++line_;
      cell->push_back(c);
    }
    if (pos_ < text_.size() && text_[pos_] != delimiter_ &&
        text_[pos_] != '\n' && text_[pos_] != '\r') {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_, ", column ", r->cells.size() + 1,
                       ": unexpected character '", std::string(1, text_[pos_]),
                       "' after a closing quote"));
    }
    return absl::OkStatus();
  }

  std::string_view text_;
  char delimiter_;
  size_t pos_ = 0;
  int line_ = 1;
};

bool ParsesAsNumber(const std::string& cell, double* v) {
  const absl::string_view s = absl::StripAsciiWhitespace(cell);
  return !s.empty() && absl::SimpleAtod(s, v);
}

// Converts cells and builds the dataset; one per ParseCsv call.
class TableBuilder {
 public:
  TableBuilder(int columns, int label, const Record* header)
      : columns_(columns), label_(label), header_(header) {}

  absl::Status Add(const Record& r) {
    if (static_cast<int>(r.cells.size()) != columns_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", r.line, ": ", r.cells.size(), " columns, expected ",
          columns_,
          header_ != nullptr ? " as in the header" : " as in the first row"));
    }
    for (int c = 0; c < columns_; ++c) {
      const std::string& cell = r.cells[c];
      double v = 0;
      const bool is_label = c == label_;
      if (absl::StripAsciiWhitespace(cell).empty()) {
        return CellError(r, c, "empty cell");
      }
      if (!ParsesAsNumber(cell, &v)) {
        return CellError(r, c, absl::StrCat("'", cell, "' is not a number"));
      }
      if (!std::isfinite(static_cast<float>(v))) {
        return CellError(
            r, c, absl::StrCat("'", cell, "' is not a finite float value"));
      }
      if (is_label) {
        if (v < 0 || v != std::floor(v) || v >= kMaxLabel) {
          return CellError(r, c,
                           absl::StrCat("'", cell,
                                        "' is not a class id (an integer in "
                                        "[0, 16777216))"));
        }
        y_.push_back(static_cast<float>(v));
      } else {
        x_.push_back(static_cast<float>(v));
      }
    }
    ++rows_;
    return absl::OkStatus();
  }

  absl::StatusOr<Dataset> Finish() {
    if (rows_ == 0) return absl::InvalidArgumentError("CSV has no data rows");
    Dataset d;
    const int64_t features = columns_ - (label_ >= 0 ? 1 : 0);
    d.x = Tensor({rows_, features}, std::move(x_));
    if (label_ >= 0) d.y = Tensor({rows_}, std::move(y_));
    return d;
  }

 private:
  absl::Status CellError(const Record& r, int c, const std::string& what) {
    std::string column = absl::StrCat("column ", c + 1);
    if (header_ != nullptr) {
      absl::StrAppend(&column, " (", header_->cells[c], ")");
    } else if (c == label_) {
      absl::StrAppend(&column, " (label)");
    }
    return absl::InvalidArgumentError(
        absl::StrCat("line ", r.line, ", ", column, ": ", what));
  }

  int columns_;
  int label_;             // -1: none
  const Record* header_;  // null when there is none
  int64_t rows_ = 0;
  std::vector<float> x_;
  std::vector<float> y_;
};

// The label column's index (-1 for none) for a table of `columns`.
absl::StatusOr<int> ResolveLabel(const CsvOptions& opts, int columns,
                                 const Record* header) {
  if (!opts.label_name.empty()) {
    if (header == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("label column '", opts.label_name,
                       "' is given by name but the CSV has no header row"));
    }
    for (int c = 0; c < columns; ++c) {
      if (absl::StripAsciiWhitespace(header->cells[c]) == opts.label_name) {
        return c;
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "label column '", opts.label_name, "' is not in the header (line ",
        header->line, ": ", absl::StrJoin(header->cells, ", "), ")"));
  }
  if (opts.label_column == CsvOptions::kNoLabel) return -1;
  if (opts.label_column == CsvOptions::kLastColumn) return columns - 1;
  if (opts.label_column < 0 || opts.label_column >= columns) {
    return absl::InvalidArgumentError(
        absl::StrCat("label_column ", opts.label_column,
                     " is out of range for ", columns, " columns (0-based)"));
  }
  return opts.label_column;
}

}  // namespace

absl::StatusOr<Dataset> ParseCsv(std::string_view text,
                                 const CsvOptions& opts) {
  CsvReader reader(text, opts.delimiter);
  Record first;
  PROFUNDO_ASSIGN_OR_RETURN(bool any, reader.Next(&first));
  if (!any) return absl::InvalidArgumentError("CSV has no rows");
  const int columns = static_cast<int>(first.cells.size());
  bool has_header = opts.header == CsvOptions::Header::kPresent;
  if (opts.header == CsvOptions::Header::kAuto) {
    double v;
    for (const std::string& cell : first.cells) {
      // Empty cells decide nothing (they are an error in a data row).
      const bool empty = absl::StripAsciiWhitespace(cell).empty();
      has_header = has_header || (!empty && !ParsesAsNumber(cell, &v));
    }
  }
  const Record* header = has_header ? &first : nullptr;
  PROFUNDO_ASSIGN_OR_RETURN(const int label,
                            ResolveLabel(opts, columns, header));
  if (columns - (label >= 0 ? 1 : 0) == 0) {
    return absl::InvalidArgumentError(
        "CSV has no feature columns: its only column is the label");
  }
  TableBuilder table(columns, label, header);
  if (!has_header) PROFUNDO_RETURN_IF_ERROR(table.Add(first));
  Record r;
  while (true) {
    PROFUNDO_ASSIGN_OR_RETURN(bool more, reader.Next(&r));
    if (!more) break;
    PROFUNDO_RETURN_IF_ERROR(table.Add(r));
  }
  return table.Finish();
}

}  // namespace profundo
