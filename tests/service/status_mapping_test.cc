// The one absl::Status -> grpc::Status table.
#include "server/status_mapping.h"

#include <string>

#include "gtest/gtest.h"

namespace profundo::server {
namespace {

struct Row {
  absl::Status in;
  grpc::StatusCode code;
  std::string message;
};

TEST(StatusMappingTest, Table) {
  const Row rows[] = {
      {absl::OkStatus(), grpc::StatusCode::OK, ""},
      {absl::InvalidArgumentError("spec.layers[1].dense.units must be > 0"),
       grpc::StatusCode::INVALID_ARGUMENT,
       "spec.layers[1].dense.units must be > 0"},
      {absl::NotFoundError("dataset ds-1 not found"),
       grpc::StatusCode::NOT_FOUND, "dataset ds-1 not found"},
      {absl::AlreadyExistsError("job_id: job j exists"),
       grpc::StatusCode::ALREADY_EXISTS, "job_id: job j exists"},
      {absl::FailedPreconditionError("model m has no trained version"),
       grpc::StatusCode::FAILED_PRECONDITION, "model m has no trained version"},
      {absl::ResourceExhaustedError("queue full"),
       grpc::StatusCode::RESOURCE_EXHAUSTED, "queue full"},
      {absl::UnavailableError("shutting down"), grpc::StatusCode::UNAVAILABLE,
       "shutting down"},
      {absl::UnauthenticatedError("no token"),
       grpc::StatusCode::UNAUTHENTICATED, "no token"},
      {absl::DataLossError("corrupt"), grpc::StatusCode::DATA_LOSS, "corrupt"},
      {absl::CancelledError("c"), grpc::StatusCode::CANCELLED, "c"},
      {absl::DeadlineExceededError("d"), grpc::StatusCode::DEADLINE_EXCEEDED,
       "d"},
      {absl::InternalError("i"), grpc::StatusCode::INTERNAL, "i"},
      {absl::UnimplementedError("u"), grpc::StatusCode::UNIMPLEMENTED, "u"},
      {absl::OutOfRangeError("o"), grpc::StatusCode::OUT_OF_RANGE, "o"},
      {absl::AbortedError("a"), grpc::StatusCode::ABORTED, "a"},
      {absl::PermissionDeniedError("p"), grpc::StatusCode::PERMISSION_DENIED,
       "p"},
      {absl::UnknownError("x"), grpc::StatusCode::UNKNOWN, "x"},
      // An error without a message still says something.
      {absl::Status(absl::StatusCode::kNotFound, ""),
       grpc::StatusCode::NOT_FOUND, "NOT_FOUND"},
      // Non-canonical codes never leak through.
      {absl::Status(static_cast<absl::StatusCode>(42), "odd"),
       grpc::StatusCode::UNKNOWN, "odd"},
  };
  for (const Row& row : rows) {
    grpc::Status out = ToGrpcStatus(row.in);
    EXPECT_EQ(out.error_code(), row.code) << row.in;
    EXPECT_EQ(out.error_message(), row.message) << row.in;
    if (row.code != grpc::StatusCode::UNKNOWN) {
      absl::Status back = FromGrpcStatus(out);
      EXPECT_EQ(back.code(), row.in.code());
    }
  }
}

}  // namespace
}  // namespace profundo::server
