// Client::CheckHealth and the CLI's ping command against an in-process
// server running gRPC's default grpc.health.v1 service next to the fake
// Profundo service.
#include <memory>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "client/cli/commands.h"
#include "client/cli/flags.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/client/fake_profundo_service.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;

constexpr char kApi[] = "profundo.v1.Profundo";

class HealthTest : public ::testing::Test {
 protected:
  HealthTest() {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    client_ = std::make_unique<Client>(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }
  ~HealthTest() override { server_->Shutdown(); }

  grpc::HealthCheckServiceInterface* health() {
    return server_->GetHealthCheckService();
  }

  absl::Status RunCli(bool json = false) {
    out_.str("");
    cli::CommandContext ctx;
    ctx.client = client_.get();
    ctx.json = json;
    ctx.out = &out_;
    return cli::RunPing(ctx);
  }

  absl::FlagSaver flags_;
  fake::FakeService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Client> client_;
  std::ostringstream out_;
};

TEST_F(HealthTest, ServerAsAWholeIsServing) {
  absl::StatusOr<ServingStatus> status = client_->CheckHealth();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, ServingStatus::kServing);
}

TEST_F(HealthTest, NamedServiceFollowsTheServer) {
  ASSERT_NE(health(), nullptr);
  health()->SetServingStatus(kApi, true);
  EXPECT_EQ(*client_->CheckHealth(kApi), ServingStatus::kServing);
  health()->SetServingStatus(kApi, false);
  EXPECT_EQ(*client_->CheckHealth(kApi), ServingStatus::kNotServing);
}

TEST_F(HealthTest, UnknownServiceIsNotFound) {
  EXPECT_EQ(client_->CheckHealth("no.such.Service").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(HealthTest, UnreachableServerIsUnavailable) {
  ClientOptions options;
  options.default_timeout = absl::Seconds(2);
  // Port 1 (tcpmux) on loopback: connection refused.
  Client client(grpc::CreateChannel("127.0.0.1:1",
                                    grpc::InsecureChannelCredentials()),
                options);
  const absl::StatusCode code = client.CheckHealth().status().code();
  EXPECT_TRUE(code == absl::StatusCode::kUnavailable ||
              code == absl::StatusCode::kDeadlineExceeded)
      << code;
}

TEST_F(HealthTest, CliPrintsServingAndSucceeds) {
  EXPECT_EQ(RunCli(), absl::OkStatus());
  EXPECT_EQ(out_.str(), "SERVING\n");
  EXPECT_EQ(RunCli(/*json=*/true), absl::OkStatus());
  EXPECT_THAT(out_.str(), HasSubstr("\"status\": \"SERVING\""));
}

TEST_F(HealthTest, CliFailsUnavailableWhenNotServing) {
  health()->SetServingStatus(kApi, false);
  absl::SetFlag(&FLAGS_service, kApi);
  const absl::Status status = RunCli();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("profundo.v1.Profundo is NOT_SERVING"));
  EXPECT_EQ(out_.str(), "NOT_SERVING\n");
}

TEST_F(HealthTest, CliRejectsArguments) {
  cli::CommandContext ctx;
  ctx.client = client_.get();
  ctx.out = &out_;
  ctx.args = {"extra"};
  EXPECT_TRUE(cli::IsUsageError(cli::RunPing(ctx)));
}

}  // namespace
}  // namespace profundo
