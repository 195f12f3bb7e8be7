// The service tests' calls to the services that have no generated stub
// here (grpc.health.v1, reflection): one request message and one response
// as raw bytes, over grpc::GenericStub and a completion queue that the
// calling thread drains itself (no callback on a gRPC thread, so nothing
// for ThreadSanitizer to miss).
//
// Header-only. Thread-safe (no shared state).
#ifndef PROFUNDO_TESTS_SERVICE_GENERIC_CALLS_H_
#define PROFUNDO_TESTS_SERVICE_GENERIC_CALLS_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace profundo::server::testing {

// `method` ("/package.Service/Method") over `channel` with a 10 s
// deadline, unary or streaming: writes `request` (serialized message
// bytes) as the only message, reads one response. Returns its bytes, or
// the call's error (or UNKNOWN if the stream broke before its status).
inline absl::StatusOr<std::string> GenericCall(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
    const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, method, &cq);
  void* tag = nullptr;
  bool ok = false;
  // Waits for the operation tagged `expected` (the only one in flight).
  const auto step = [&](intptr_t expected) {
    return cq.Next(&tag, &ok) && tag == reinterpret_cast<void*>(expected) &&
           ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  std::string reply;
  bool replied = false;
  if (step(1)) {
    grpc::Slice slice(request);
    grpc::ByteBuffer message(&slice, 1);
    call->WriteLast(message, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    if (step(2)) {
      grpc::ByteBuffer response;
      call->Read(&response, reinterpret_cast<void*>(3));
      std::vector<grpc::Slice> slices;
      if (step(3) && response.Dump(&slices).ok()) {
        replied = true;
        for (const grpc::Slice& s : slices) {
          reply.append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
      }
    }
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(4)) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  if (!replied) return absl::UnknownError(method + " sent no response");
  return reply;
}

// grpc.health.v1.Health/Check {service: `service`}: the response's bytes
// ("\x08\x01": SERVING) or the error.
inline absl::StatusOr<std::string> HealthCheck(
    const std::shared_ptr<grpc::Channel>& channel,
    const std::string& service) {
  return GenericCall(
      channel, "/grpc.health.v1.Health/Check",
      std::string("\x0a") + static_cast<char>(service.size()) + service);
}

// grpc.reflection.v1alpha ServerReflectionInfo {list_services: ""}: the
// response's bytes (the service names among them) or the error.
inline absl::StatusOr<std::string> ListServices(
    const std::shared_ptr<grpc::Channel>& channel) {
  return GenericCall(
      channel,
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      std::string("\x3a\x00", 2));
}

}  // namespace profundo::server::testing

#endif  // PROFUNDO_TESTS_SERVICE_GENERIC_CALLS_H_
