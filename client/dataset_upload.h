// DatasetUpload: what Client::UploadDataset sends, a header's fields plus the
// bytes of each part, each part held in memory or read from a file in
// chunks (so a file is never loaded whole).
//
// Value types; a file source holds only its path, the file is opened when
// the upload runs. Not thread-safe for concurrent mutation; const use from
// several threads is fine.
//
// Example:
//   DatasetUpload up;
//   up.name = "fashion";
//   up.format = v1::DATA_FORMAT_IDX;
//   up.features = UploadSource::FromFile("train-images-idx3-ubyte.gz");
//   up.labels = UploadSource::FromFile("train-labels-idx1-ubyte.gz");
//   absl::StatusOr<v1::Dataset> ds = client.UploadDataset(up);
#ifndef PROFUNDO_CLIENT_DATASET_UPLOAD_H_
#define PROFUNDO_CLIENT_DATASET_UPLOAD_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "profundo/v1/service.pb.h"

namespace profundo {

// The bytes of one part, exactly as they are sent (a gzip IDX file is sent
// compressed).
class UploadSource {
 public:
  UploadSource() = default;  // empty bytes
  static UploadSource FromBytes(std::string bytes);
  static UploadSource FromFile(std::string path);

  // Size in bytes; NOT_FOUND if a file source cannot be stat'ed.
  absl::StatusOr<int64_t> Size() const;

  // Calls `fn` with consecutive pieces of at most `chunk_bytes` bytes (none
  // for an empty source), stopping at the first error `fn` returns.
  // NOT_FOUND if the file cannot be opened; DATA_LOSS if it cannot be read
  // to the end.
  absl::Status ForEachChunk(
      size_t chunk_bytes,
      const std::function<absl::Status(absl::string_view)>& fn) const;

  // "file <path>" or "<n> bytes in memory", for messages.
  std::string Describe() const;

 private:
  bool is_file_ = false;
  std::string bytes_or_path_;
};

struct DatasetUpload {
  std::string name;
  v1::DataFormat format = v1::DATA_FORMAT_UNSPECIFIED;
  v1::CsvOptions csv;  // CSV only
  UploadSource features;
  // The labels part: required for IDX and NPY, absent for CSV.
  std::optional<UploadSource> labels;
};

}  // namespace profundo

#endif  // PROFUNDO_CLIENT_DATASET_UPLOAD_H_
