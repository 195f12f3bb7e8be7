// Reading prediction inputs for `profundo predict`: a block of rows from an
// IDX file (raw or gzip, e.g. Fashion-MNIST's t10k-images-idx3-ubyte.gz), a
// NumPy .npy file (C order; float32/64, int8/16/32/64, uint8) or a CSV
// table of numbers, as float32 values, row-major.
//
// The format comes from the content: gzip or IDX magic -> IDX, "\x93NUMPY"
// -> npy, anything else is parsed as CSV. The whole file is read into
// memory (inputs for prediction are small).
//
// Stateless functions; thread-safe.
//
// Example:
//   absl::StatusOr<InputRows> in = ReadInputRows("t10k-images-idx3-ubyte.gz",
//                                                {.first = 0, .count = 5});
//   // in->sample_shape == {28, 28}; in->values.size() == 5 * 784
#ifndef PROFUNDO_CLIENT_CLI_INPUT_FILE_H_
#define PROFUNDO_CLIENT_CLI_INPUT_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace profundo::cli {

struct InputSelection {
  int64_t first = 0;  // first row
  int64_t count = 0;  // rows to take; 0 = all from `first` on
  // CSV only: the first line holds column names.
  bool csv_header = true;
  // CSV only: a column to drop (a label column): its name (with a header)
  // or 0-based index as decimal text; empty = keep all.
  std::string csv_drop_column;
};

struct InputRows {
  int64_t rows = 0;
  // Per row, e.g. {28, 28} or {784}; {} for a 1-D file (labels).
  std::vector<int64_t> sample_shape;
  std::vector<float> values;          // rows * prod(sample_shape)

  int64_t features() const;           // prod(sample_shape)
};

// Reads the selected rows of `path`. NOT_FOUND if it cannot be read;
// INVALID_ARGUMENT "<path>: ..." if it does not parse or the selection is
// out of range.
absl::StatusOr<InputRows> ReadInputRows(const std::string& path,
                                        const InputSelection& selection);

// The same, from the file's bytes; `name` is used in messages.
absl::StatusOr<InputRows> ParseInputRows(absl::string_view bytes,
                                         const std::string& name,
                                         const InputSelection& selection);

}  // namespace profundo::cli

#endif  // PROFUNDO_CLIENT_CLI_INPUT_FILE_H_
