// Dataset decoding: turns an uploaded dataset's stored bytes into an engine
// Dataset with the engine's readers (IDX, CSV, NPY), and describes it for
// the catalog (rows, shapes, classes), rejecting data that cannot train:
// unparseable parts, no rows, row counts that differ, non-finite values,
// class labels that are not integers >= 0.
//
// Errors are INVALID_ARGUMENT naming the part: "features: ...",
// "labels: ..."; sizes above the server's limits are RESOURCE_EXHAUSTED.
//
// Stateless; thread-safe.
#ifndef PROFUNDO_SERVER_DATASET_DECODER_H_
#define PROFUNDO_SERVER_DATASET_DECODER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/datasets/dataset.h"
#include "profundo/v1/service.pb.h"
#include "server/limits.h"

namespace profundo::server {

// Decodes the parts as uploaded (`labels` is empty for CSV).
absl::StatusOr<Dataset> DecodeDataset(v1::DataFormat format,
                                      const v1::CsvOptions& csv,
                                      absl::string_view features,
                                      absl::string_view labels);

// Checks the size the parts declare before they are decoded, so a small
// upload cannot make the server allocate gigabytes (a gzip IDX file's header
// is read without inflating the rest; only gzip parts can declare more than
// they carry): RESOURCE_EXHAUSTED naming
// --max_dataset_bytes. Other formats are bounded by --max_upload_bytes and
// checked after decoding by DescribeDataset. Unreadable headers are
// INVALID_ARGUMENT as DecodeDataset reports them.
absl::Status CheckDeclaredSize(v1::DataFormat format,
                               absl::string_view features,
                               absl::string_view labels, const Limits& limits);

// Checks `data` and fills info's rows, feature_shape, label_shape and
// num_classes. More rows, values per row or decoded bytes than `limits`
// allow is RESOURCE_EXHAUSTED naming the flag (--max_dataset_rows,
// --max_features, --max_dataset_bytes).
absl::Status DescribeDataset(const Dataset& data, const Limits& limits,
                             v1::Dataset* info);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_DATASET_DECODER_H_
