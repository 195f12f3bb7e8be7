#include "server/upload_reactor.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"

namespace profundo::server {

UploadReactor::UploadReactor(grpc::CallbackServerContext* context,
                             DatasetManager* datasets,
                             int64_t max_upload_bytes, v1::Dataset* response)
    : context_(context),
      datasets_(datasets),
      response_(response),
      assembler_(max_upload_bytes) {
  // Held across the first StartRead: its OnReadDone (another thread, never
  // inline) then sees the constructed fields.
  std::lock_guard<std::mutex> lock(mu_);
  StartRead(&request_);
}

void UploadReactor::OnReadDone(bool ok) {
  absl::Status status;
  bool read_more = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      if (ok) {
        status = assembler_.Add(request_);
        read_more = status.ok();
      } else {
        // The client closed its side, or the call was cancelled (by the
        // client or its deadline): then nothing may be stored, even if
        // every byte and the trailer arrived.
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
  }
  if (read_more) {
    StartRead(&request_);
    return;
  }
  Finish(ToGrpcStatus(status));
}

void UploadReactor::OnDone() {
  // Sees what the last reaction wrote (it may have run on another thread).
  { std::lock_guard<std::mutex> lock(mu_); }
  delete this;
}

}  // namespace profundo::server
