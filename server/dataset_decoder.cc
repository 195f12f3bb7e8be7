#include "server/dataset_decoder.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/datasets/csv.h"
#include "engine/datasets/idx.h"
#include "engine/datasets/npy.h"
#include "engine/status_macros.h"

namespace profundo::server {
namespace {

std::string_view Std(absl::string_view s) { return {s.data(), s.size()}; }

absl::Status Prefixed(absl::string_view part, const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(part, ": ", status.message()));
}

absl::StatusOr<Tensor> DecodeIdxPart(absl::string_view part,
                                     absl::string_view bytes) {
  absl::StatusOr<Tensor> t = ParseIdx(Std(bytes));
  if (!t.ok()) return Prefixed(part, t.status());
  return t;
}

absl::StatusOr<Tensor> DecodeNpyPart(absl::string_view part,
                                     absl::string_view bytes) {
  absl::StatusOr<Tensor> t = ParseNpy(Std(bytes));
  if (!t.ok()) return Prefixed(part, t.status());
  return t;
}

absl::StatusOr<CsvOptions> ToCsvOptions(const v1::CsvOptions& csv) {
  CsvOptions options;
  if (csv.has_header()) {
    options.header =
        csv.header() ? CsvOptions::Header::kPresent : CsvOptions::Header::kAbsent;
  }
  const std::string& label = csv.label_column();
  int index = 0;
  if (label.empty()) {
    options.label_column = CsvOptions::kLastColumn;
  } else if (absl::SimpleAtoi(label, &index)) {
    if (index < 0) {
      return absl::InvalidArgumentError("header.csv.label_column must be >= 0");
    }
    options.label_column = index;
  } else {
    options.label_name = label;
  }
  return options;
}

// The field every decoded-size message names.
constexpr absl::string_view kDecodedSizeField =
    "features and labels: decoded size in bytes";

// Bytes of `elements` float32 values, saturating at int64's maximum.
int64_t Float32Bytes(uint64_t elements) {
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(elements > kMax / 4 ? kMax : elements * 4);
}

}  // namespace

absl::Status CheckDeclaredSize(v1::DataFormat format,
                               absl::string_view features,
                               absl::string_view labels, const Limits& limits) {
  if (format != v1::DATA_FORMAT_IDX) return absl::OkStatus();
  int64_t total = 0;
  for (const auto& [part, bytes] : {std::pair{"features", features},
                                    std::pair{"labels", labels}}) {
    // Raw parts cannot declare more than they carry (ParseIdx checks it) and
    // are bounded by --max_upload_bytes; DescribeDataset checks their size.
    if (!IsGzip(Std(bytes))) continue;
    absl::StatusOr<IdxHeader> header = ReadIdxHeader(Std(bytes));
    if (!header.ok()) return Prefixed(part, header.status());
    const int64_t part_bytes = Float32Bytes(header->ElementCount());
    total = part_bytes > std::numeric_limits<int64_t>::max() - total
                ? std::numeric_limits<int64_t>::max()
                : total + part_bytes;
  }
  return CheckLimit(kDecodedSizeField, total, "max_dataset_bytes",
                    limits.max_dataset_bytes);
}

absl::StatusOr<Dataset> DecodeDataset(v1::DataFormat format,
                                      const v1::CsvOptions& csv,
                                      absl::string_view features,
                                      absl::string_view labels) {
  Dataset data;
  switch (format) {
    case v1::DATA_FORMAT_IDX: {
      PROFUNDO_ASSIGN_OR_RETURN(data.x, DecodeIdxPart("features", features));
      PROFUNDO_ASSIGN_OR_RETURN(data.y, DecodeIdxPart("labels", labels));
      return data;
    }
    case v1::DATA_FORMAT_CSV: {
      PROFUNDO_ASSIGN_OR_RETURN(CsvOptions options, ToCsvOptions(csv));
      absl::StatusOr<Dataset> parsed = ParseCsv(Std(features), options);
      if (!parsed.ok()) return Prefixed("features", parsed.status());
      return parsed;
    }
    case v1::DATA_FORMAT_NPY: {
      PROFUNDO_ASSIGN_OR_RETURN(data.x, DecodeNpyPart("features", features));
      PROFUNDO_ASSIGN_OR_RETURN(data.y, DecodeNpyPart("labels", labels));
      return data;
    }
    default:
      break;
  }
  return absl::InvalidArgumentError("format: unknown data format");
}

absl::Status DescribeDataset(const Dataset& data, const Limits& limits,
                             v1::Dataset* info) {
  if (data.x.rank() < 2 || data.x.dim(0) == 0) {
    return absl::InvalidArgumentError(
        "features: the dataset has no rows (empty dataset)");
  }
  const int64_t rows = data.x.dim(0);
  PROFUNDO_RETURN_IF_ERROR(
      CheckLimit("features: rows", rows, "max_dataset_rows",
                 limits.max_dataset_rows));
  // Values per row, computed without overflow: each factor is checked
  // against the limit before it multiplies.
  if (data.x.row_size() == 0) {  // a zero dimension (never overflows)
    return absl::InvalidArgumentError(absl::StrCat(
        "features: each row has 0 values (shape ",
        ShapeToString(data.x.shape()), ")"));
  }
  int64_t per_row = 1;
  for (int d = 1; d < data.x.rank(); ++d) {
    const int64_t dim = data.x.dim(d);
    if (per_row > limits.max_features / dim) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "features: each row has more than ", limits.max_features,
          " values (shape ", ShapeToString(data.x.shape()),
          "); the server's --max_features is ", limits.max_features));
    }
    per_row *= dim;
  }
  if (data.y.rank() < 1 || data.y.dim(0) != rows) {
    return absl::InvalidArgumentError(absl::StrCat(
        "labels: ", data.y.rank() < 1 ? 0 : data.y.dim(0),
        " labels for ", rows, " feature rows"));
  }
  PROFUNDO_RETURN_IF_ERROR(CheckLimit(
      kDecodedSizeField, Float32Bytes(static_cast<uint64_t>(data.x.size() + data.y.size())),
      "max_dataset_bytes", limits.max_dataset_bytes));
  PROFUNDO_RETURN_IF_ERROR(CheckFinite(data.x, "features"));
  PROFUNDO_RETURN_IF_ERROR(CheckFinite(data.y, "labels"));

  info->set_rows(rows);
  info->clear_feature_shape();
  for (int d = 1; d < data.x.rank(); ++d) info->add_feature_shape(data.x.dim(d));
  info->clear_label_shape();
  if (data.y.rank() == 1) {
    // Integer class ids.
    float max_label = 0;
    for (int64_t i = 0; i < rows; ++i) {
      float v = data.y.data()[i];
      if (v < 0 || v != std::floor(v)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "labels: row ", i, " has label ", v,
            "; class labels must be integers >= 0"));
      }
      max_label = std::max(max_label, v);
    }
    info->set_num_classes(static_cast<int64_t>(max_label) + 1);
  } else {
    for (int d = 1; d < data.y.rank(); ++d) info->add_label_shape(data.y.dim(d));
    info->set_num_classes(data.y.row_size());
  }
  return absl::OkStatus();
}

}  // namespace profundo::server
