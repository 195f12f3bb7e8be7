// libFuzzer target: the upload path without the network. The input is a
// sequence of length-delimited v1::UploadDatasetRequest messages (varint
// length, then the message bytes), fed to an UploadAssembler as a stream;
// if it assembles, the parts are decoded and described as DatasetManager
// does (IDX, CSV, NPY readers, row/label checks, limits). Any input must
// end in data or a status.
#include <cstddef>
#include <cstdint>

#include "google/protobuf/io/coded_stream.h"
#include "profundo/v1/service.pb.h"
#include "server/dataset_decoder.h"
#include "server/limits.h"
#include "server/upload_assembler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  google::protobuf::io::CodedInputStream in(data, static_cast<int>(size));
  profundo::server::UploadAssembler assembler(/*max_upload_bytes=*/1 << 20);
  profundo::v1::UploadDatasetRequest message;
  uint32_t length = 0;
  while (in.ReadVarint32(&length)) {
    if (length > size) return 0;  // longer than the whole input
    const auto limit = in.PushLimit(static_cast<int>(length));
    const bool parsed = message.ParseFromCodedStream(&in) &&
                        in.ConsumedEntireMessage();
    in.PopLimit(limit);
    if (!parsed) return 0;
    if (!assembler.Add(message).ok()) return 0;
  }
  absl::StatusOr<profundo::server::UploadedData> upload = assembler.Finish();
  if (!upload.ok()) return 0;
  if (static_cast<int64_t>(upload->features.size()) !=
      upload->header.features_bytes()) {
    __builtin_trap();  // the assembler let a lying size through
  }
  // The server's order (DatasetManager::Create): declared size, decode,
  // describe.
  profundo::server::Limits limits;
  limits.max_dataset_rows = 100'000;
  limits.max_features = 10'000;
  limits.max_dataset_bytes = 64 << 20;
  if (!profundo::server::CheckDeclaredSize(upload->header.format(),
                                           upload->features, upload->labels,
                                           limits)
           .ok()) {
    return 0;
  }
  absl::StatusOr<profundo::Dataset> decoded = profundo::server::DecodeDataset(
      upload->header.format(), upload->header.csv(), upload->features,
      upload->labels);
  if (!decoded.ok()) return 0;
  profundo::v1::Dataset info;
  absl::Status described =
      profundo::server::DescribeDataset(*decoded, limits, &info);
  if (described.ok() && info.rows() > limits.max_dataset_rows) __builtin_trap();
  return 0;
}
