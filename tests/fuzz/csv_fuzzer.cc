// libFuzzer target: the CSV reader (engine/datasets/csv.h). The first byte
// picks the options (header mode, label column, delimiter); the rest is the
// text. Any input must give a consistent Dataset or an error status.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/datasets/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  profundo::CsvOptions options;
  const uint8_t pick = data[0];
  constexpr profundo::CsvOptions::Header kHeaders[] = {
      profundo::CsvOptions::Header::kAuto, profundo::CsvOptions::Header::kPresent,
      profundo::CsvOptions::Header::kAbsent};
  options.header = kHeaders[pick % 3];
  constexpr int kLabels[] = {profundo::CsvOptions::kLastColumn,
                             profundo::CsvOptions::kNoLabel, 0, 1};
  options.label_column = kLabels[(pick / 3) % 4];
  if ((pick / 12) % 4 == 1) options.label_name = "label";
  constexpr char kDelimiters[] = {',', ';', '\t', ' '};
  options.delimiter = kDelimiters[(pick / 48) % 4];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  absl::StatusOr<profundo::Dataset> d = profundo::ParseCsv(text, options);
  if (d.ok()) {
    if (d->x.rank() != 2 || d->x.dim(0) < 1 || d->x.dim(1) < 1) __builtin_trap();
    if (d->x.size() != d->x.dim(0) * d->x.dim(1)) __builtin_trap();
    if (d->y.size() != 0 && d->y.size() != d->x.dim(0)) __builtin_trap();
  }
  return 0;
}
