// Status mapping: the one place where the server turns an absl::Status from
// its core (store, jobs, engine) into the grpc::Status a client sees.
//
// absl status codes are gRPC's canonical codes, so the code maps one to one;
// the message is kept (it names the field path for INVALID_ARGUMENT). An
// empty message on an error gets the code's name so a client never sees a
// bare code.
//
// Stateless; thread-safe.
//
// Example:
//   reactor->Finish(ToGrpcStatus(jobs->Cancel(request->job_id(), &job)));
#ifndef PROFUNDO_SERVER_STATUS_MAPPING_H_
#define PROFUNDO_SERVER_STATUS_MAPPING_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace profundo::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

// The inverse, for in-process callers and tests.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_STATUS_MAPPING_H_
