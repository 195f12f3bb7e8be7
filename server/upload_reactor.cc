#include "server/upload_reactor.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"
#include "server/tsan_annotations.h"

namespace profundo::server {

UploadReactor::UploadReactor(grpc::CallbackServerContext* context,
                             DatasetManager* datasets,
                             int64_t max_upload_bytes, v1::Dataset* response)
    : context_(context),
      datasets_(datasets),
      response_(response),
      assembler_(max_upload_bytes) {
  TsanRelease(this);
  StartRead(&request_);
}

void UploadReactor::OnReadDone(bool ok) {
  TsanAcquire(this);
  absl::Status status;
  try {
    if (ok) {
      status = assembler_.Add(request_);
      if (status.ok()) {
        TsanRelease(this);
        StartRead(&request_);
        return;
      }
    } else {
      // The client closed its side, or the call was cancelled (by the
      // client or its deadline): then nothing may be stored, even if every
      // byte and the trailer arrived.
      auto cancelled = [this] { return context_->IsCancelled(); };
      absl::StatusOr<UploadedData> data =
          cancelled() ? absl::CancelledError("upload cancelled")
                      : assembler_.Finish();
      absl::StatusOr<v1::Dataset> created =
          data.ok() ? datasets_->Create(*data, cancelled)
                    : absl::StatusOr<v1::Dataset>(data.status());
      if (created.ok()) *response_ = *std::move(created);
      status = created.status();
    }
  } catch (const std::exception& e) {
    status = absl::InternalError(absl::StrCat("upload failed: ", e.what()));
  }
  TsanRelease(this);
  Finish(ToGrpcStatus(status));
}

void UploadReactor::OnDone() {
  TsanAcquire(this);
  delete this;
}

}  // namespace profundo::server
