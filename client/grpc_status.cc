#include "client/grpc_status.h"

#include <string>

namespace profundo {

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  int code = static_cast<int>(status.error_code());
  // Codes outside the canonical range (a misbehaving peer) become UNKNOWN.
  if (code <= 0 || code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
    code = static_cast<int>(absl::StatusCode::kUnknown);
  }
  const auto absl_code = static_cast<absl::StatusCode>(code);
  std::string message = status.error_message();
  if (message.empty()) message = absl::StatusCodeToString(absl_code);
  return absl::Status(absl_code, message);
}

}  // namespace profundo
