#include "server/upload_reactor.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"

namespace profundo::server {

UploadReactor::UploadReactor(DatasetManager* datasets,
                             int64_t max_upload_bytes, v1::Dataset* response)
    : datasets_(datasets),
      response_(response),
      assembler_(max_upload_bytes) {
  StartRead(&request_);
}

void UploadReactor::OnReadDone(bool ok) {
  absl::Status status;
  try {
    if (ok) {
      status = assembler_.Add(request_);
      if (status.ok()) {
        StartRead(&request_);
        return;
      }
    } else {
      // The client closed its side (or went away: then Finish is moot).
      absl::StatusOr<UploadedData> data = assembler_.Finish();
      absl::StatusOr<v1::Dataset> created =
          data.ok() ? datasets_->Create(*data)
                    : absl::StatusOr<v1::Dataset>(data.status());
      if (created.ok()) *response_ = *std::move(created);
      status = created.status();
    }
  } catch (const std::exception& e) {
    status = absl::InternalError(absl::StrCat("upload failed: ", e.what()));
  }
  Finish(ToGrpcStatus(status));
}

}  // namespace profundo::server
