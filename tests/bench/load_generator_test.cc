// Smoke test of the Predict load generator (bench/load_generator.h) so it
// cannot rot: the real service in process on a loopback port with a tiny
// trained model, and the bench echo server, each loaded by 2 clients for
// 1 s: requests > 0, 0 errors, sane percentiles, and errors counted by code.
#include "bench/load_generator.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/echo_server.h"
#include "client/float_tensor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "grpcpp/create_channel.h"
#include "server/server.h"
#include "tests/service/service_test_util.h"

namespace profundo::bench {
namespace {

using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::ElementsAre;

// One request per synthetic 4x4 image.
std::vector<v1::PredictRequest> Requests(const std::string& model_id) {
  server::testing::Synthetic data;
  std::vector<uint8_t> pixels = data.Pixels();
  std::vector<v1::PredictRequest> requests;
  for (int r = 0; r < 8; ++r) {
    std::vector<float> image(pixels.begin() + r * 16, pixels.begin() + (r + 1) * 16);
    v1::PredictRequest request;
    request.set_model_id(model_id);
    *request.mutable_inputs() = PackFloatTensor(image, {1, 4, 4});
    requests.push_back(request);
  }
  return requests;
}

LoadOptions Short(LoadTarget target, int port) {
  LoadOptions options;
  options.target = target;
  options.server = absl::StrCat("127.0.0.1:", port);
  options.clients = 2;
  options.channels = 2;
  options.warmup = absl::Milliseconds(200);
  options.duration = absl::Seconds(1);
  return options;
}

void ExpectHealthy(const LoadReport& report) {
  EXPECT_GT(report.requests, 0);
  EXPECT_EQ(report.error_count(), 0) << LoadReportText(report);
  EXPECT_GT(report.rps, 0);
  EXPECT_GE(report.seconds, 1.0);
  EXPECT_LE(report.p50_ms, report.p99_ms);
  EXPECT_LE(report.p99_ms, report.max_ms);
  EXPECT_THAT(LoadReportJson(report), HasSubstr("\"error_count\":0"));
}

TEST(LoadGeneratorTest, PredictOnTheRealServiceWithoutErrors) {
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.data_dir = server::testing::MakeTempDir("load_generator") + "/data";
  options.progress_interval = absl::Milliseconds(10);
  auto server = server::ProfundoServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::Profundo::NewStub((*server)->InProcessChannel());
  absl::StatusOr<v1::Dataset> dataset =
      server::testing::UploadIdx(stub.get(), server::testing::Synthetic{});
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  v1::SubmitJobRequest submit;
  *submit.mutable_spec() = server::testing::TinySpec();
  submit.set_dataset_id(dataset->id());
  *submit.mutable_config() = server::testing::Config(/*epochs=*/1);
  grpc::ClientContext context;
  v1::Job job;
  ASSERT_TRUE(stub->SubmitJob(&context, submit, &job).ok());
  server::testing::WatchResult watch = server::testing::WatchAll(stub.get(), job.id());
  ASSERT_TRUE(watch.status.ok()) << watch.status;
  ASSERT_EQ(watch.events.back().state_change().state(), v1::JOB_STATE_SUCCEEDED);

  absl::StatusOr<LoadReport> report =
      RunLoad(Short(LoadTarget::kProfundo, (*server)->port()), Requests(job.model_id()));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->target, "profundo");
  ExpectHealthy(*report);

  // A model that does not exist: every call fails, counted as NOT_FOUND.
  LoadOptions one = Short(LoadTarget::kProfundo, (*server)->port());
  one.clients = one.channels = 1;
  one.duration = absl::Milliseconds(300);
  report = RunLoad(one, Requests("m-missing"));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->requests, 0);
  EXPECT_GT(report->error_count(), 0);
  EXPECT_THAT(report->errors, ElementsAre(Key("NOT_FOUND")));
  EXPECT_THAT(report->error_messages.at("NOT_FOUND"), HasSubstr("m-missing"));
}

TEST(LoadGeneratorTest, EchoWithoutErrors) {
  absl::StatusOr<std::unique_ptr<EchoServer>> echo = EchoServer::Start("127.0.0.1:0");
  ASSERT_TRUE(echo.ok()) << echo.status();
  absl::StatusOr<LoadReport> report =
      RunLoad(Short(LoadTarget::kEcho, (*echo)->port()), Requests("m-0123456789abcdef"));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->target, "echo");
  ExpectHealthy(*report);
}

TEST(LoadGeneratorTest, EchoAnswersTheSizeOfOneImagePrediction) {
  const v1::PredictResponse response = OneImageResponse();
  EXPECT_THAT(response.probabilities().shape(), ElementsAre(1, 10));
  EXPECT_EQ(response.probabilities().values_size(), 10);
  EXPECT_EQ(response.top_class_size(), 1);
}

TEST(LoadGeneratorTest, RejectsBadOptions) {
  LoadOptions options;
  options.channels = options.clients + 1;
  EXPECT_EQ(RunLoad(options, Requests("m")).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.channels = 1;
  EXPECT_EQ(RunLoad(options, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseLoadTarget("grpc").ok());
}

TEST(LoadGeneratorTest, QuantileIsNearestRank) {
  const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(Quantile(v, 0.5), 5);
  EXPECT_EQ(Quantile(v, 0.99), 10);
  EXPECT_EQ(Quantile(v, 0.0), 1);
  EXPECT_EQ(Quantile({}, 0.5), 0);
}

}  // namespace
}  // namespace profundo::bench
