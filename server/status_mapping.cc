#include "server/status_mapping.h"

#include <string>

namespace profundo::server {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // Codes outside the canonical range (never produced by our code) are
  // reported as UNKNOWN rather than passed through.
  int code = static_cast<int>(status.code());
  if (code <= 0 || code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
    code = static_cast<int>(absl::StatusCode::kUnknown);
  }
  std::string message(status.message());
  if (message.empty()) {
    message = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(code), message);
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace profundo::server
