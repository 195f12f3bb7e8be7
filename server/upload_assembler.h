// UploadAssembler: checks and reassembles one UploadDataset stream (header,
// chunks of each part in order, trailer with CRC-32s) into the parts' bytes.
// It knows nothing of formats; DatasetManager parses the result.
//
// Every error is INVALID_ARGUMENT naming the field ("header.format ...",
// "chunk.part ...", "trailer.features_crc32 ..."), except sizes above the
// limit, which are RESOURCE_EXHAUSTED. After an error the assembler must not
// be used further.
//
// One stream, one thread at a time; not thread-safe.
//
// Example:
//   UploadAssembler upload(max_bytes);
//   for (const auto& m : messages) PROFUNDO_RETURN_IF_ERROR(upload.Add(m));
//   PROFUNDO_ASSIGN_OR_RETURN(UploadedData data, upload.Finish());
#ifndef PROFUNDO_SERVER_UPLOAD_ASSEMBLER_H_
#define PROFUNDO_SERVER_UPLOAD_ASSEMBLER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "profundo/v1/service.pb.h"

namespace profundo::server {

struct UploadedData {
  v1::UploadHeader header;
  std::string features;
  std::string labels;  // empty for CSV
};

// CRC-32 (IEEE, as zlib.crc32) of `data`.
uint32_t Crc32(const std::string& data);

class UploadAssembler {
 public:
  explicit UploadAssembler(int64_t max_upload_bytes);

  // Feeds the next message of the stream.
  absl::Status Add(const v1::UploadDatasetRequest& message);
  // The client closed the stream: checks that every declared byte and the
  // trailer arrived and that the checksums match.
  absl::StatusOr<UploadedData> Finish();

 private:
  absl::Status AddHeader(const v1::UploadHeader& header);
  absl::Status AddChunk(const v1::UploadChunk& chunk);

  const int64_t max_upload_bytes_;
  bool have_header_ = false;
  bool have_trailer_ = false;
  bool labels_started_ = false;
  v1::UploadTrailer trailer_;
  UploadedData data_;
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_UPLOAD_ASSEMBLER_H_
