// gRPC status conversion for the client: the one place where a grpc::Status
// returned by a call becomes the absl::Status a caller of profundo::Client
// sees.
//
// gRPC's status codes are absl's canonical codes, so the code maps one to
// one and the message is kept (the server puts the field path of an
// INVALID_ARGUMENT there). An error without a message gets the code's name.
//
// Stateless; thread-safe.
//
// Example:
//   grpc::Status s = stub->GetJob(&context, request, &job);
//   if (absl::Status status = FromGrpcStatus(s); !status.ok()) return status;
#ifndef PROFUNDO_CLIENT_GRPC_STATUS_H_
#define PROFUNDO_CLIENT_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace profundo {

absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace profundo

#endif  // PROFUNDO_CLIENT_GRPC_STATUS_H_
