#include "bench/echo_server.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace profundo::bench {
namespace {

// As server/server.cc.
constexpr int kMaxMessageBytes = 256 << 20;

}  // namespace

v1::PredictResponse OneImageResponse(int classes) {
  v1::PredictResponse response;
  response.set_model_id("m-0123456789abcdef");  // the length of a real id
  response.set_version(1);
  v1::FloatTensor* p = response.mutable_probabilities();
  p->add_shape(1);
  p->add_shape(classes);
  for (int c = 0; c < classes; ++c) p->add_values(1.0f / static_cast<float>(classes));
  response.add_top_class(classes - 1);
  response.add_top_probability(0.9f);
  return response;
}

EchoService::EchoService(v1::PredictResponse prepared)
    : prepared_(std::move(prepared)) {}

grpc::ServerUnaryReactor* EchoService::Predict(
    grpc::CallbackServerContext* context, const v1::PredictRequest* request,
    v1::PredictResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!request->has_inputs()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "inputs is required"));
    return reactor;
  }
  *response = prepared_;
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

EchoServer::EchoServer() : service_(OneImageResponse()) {}

absl::StatusOr<std::unique_ptr<EchoServer>> EchoServer::Start(
    const std::string& listen) {
  std::unique_ptr<EchoServer> echo(new EchoServer());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(),
                           &echo->port_);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(&echo->service_);
  echo->server_ = builder.BuildAndStart();
  if (echo->server_ == nullptr || echo->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  }
  return echo;
}

void EchoServer::Shutdown() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

void EchoServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

EchoServer::~EchoServer() {
  Shutdown();
  Wait();
}

}  // namespace profundo::bench
