// profundo::Client against the fake Profundo service (fake_profundo_service.h):
// these tests pin the client's side of the protocol (chunking, checksums,
// deadlines, metadata, reconnects, status codes) without a real server.
#include "client/client.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "client/float_tensor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_profundo_service.h"

namespace profundo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using fake::FakeService;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  Client MakeClient(ClientOptions options = {}) {
    return Client(server_->InProcessChannel(grpc::ChannelArguments()),
                  std::move(options));
  }

  // Watches with fast retries (at most 2 reconnects), collecting seqs and
  // stopping after `max_events`.
  absl::Status Watch(const std::string& job_id, int64_t after_seq,
                     size_t max_events, std::vector<int64_t>* seqs) {
    ClientOptions options;
    options.watch_reconnect_backoff = absl::Milliseconds(1);
    options.watch_max_reconnects = 2;
    Client client = MakeClient(options);
    return client.WatchJob(job_id, after_seq, [&](const v1::JobEvent& e) {
      seqs->push_back(e.seq());
      return seqs->size() < max_events;
    });
  }

  FakeService service_;
  std::unique_ptr<grpc::Server> server_;
};

std::string Pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + seed) & 0xff);
  return s;
}

TEST_F(ClientTest, UploadFromMemoryChunksAndChecksums) {
  ClientOptions options;
  options.upload_chunk_bytes = 1000;
  Client client = MakeClient(options);
  DatasetUpload up;
  up.name = "fashion";
  up.format = v1::DATA_FORMAT_IDX;
  up.features = UploadSource::FromBytes(Pattern(2500, 1));
  up.labels = UploadSource::FromBytes(Pattern(10, 2));
  absl::StatusOr<v1::Dataset> ds = client.UploadDataset(up);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->id(), "ds-1");
  EXPECT_EQ(ds->name(), "fashion");
  EXPECT_EQ(ds->size_bytes(), 2510);
  EXPECT_EQ(service_.features(), Pattern(2500, 1));
  EXPECT_EQ(service_.labels(), Pattern(10, 2));
  EXPECT_THAT(service_.chunk_sizes(), ElementsAre(1000, 1000, 500, 10));
}

TEST_F(ClientTest, UploadFromFileUsesOneMebibyteChunks) {
  const std::string path = ::testing::TempDir() + "/upload_features.csv";
  const std::string bytes = Pattern((1 << 20) * 2 + 7, 3);
  std::ofstream(path, std::ios::binary) << bytes;
  Client client = MakeClient();
  DatasetUpload up;
  up.name = "table";
  up.format = v1::DATA_FORMAT_CSV;
  up.features = UploadSource::FromFile(path);
  absl::StatusOr<v1::Dataset> ds = client.UploadDataset(up);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(service_.features(), bytes);
  EXPECT_EQ(service_.labels(), "");
  EXPECT_THAT(service_.chunk_sizes(), ElementsAre(1 << 20, 1 << 20, 7));
  std::remove(path.c_str());
}

TEST_F(ClientTest, UploadRejectedAtTheHeaderStopsEarly) {
  Client client = MakeClient();
  DatasetUpload up;
  up.name = "huge";
  up.format = v1::DATA_FORMAT_CSV;
  up.features = UploadSource::FromBytes(std::string(9 << 20, 'x'));
  absl::StatusOr<v1::Dataset> ds = client.UploadDataset(up);
  EXPECT_EQ(ds.status(), absl::ResourceExhaustedError(
                             "header.features_bytes 9437184 exceeds "
                             "--max_upload_bytes"));
  EXPECT_TRUE(service_.chunk_sizes().empty());
}

TEST_F(ClientTest, UploadOfMissingFileIsNotFound) {
  Client client = MakeClient();
  DatasetUpload up;
  up.name = "x";
  up.format = v1::DATA_FORMAT_CSV;
  up.features = UploadSource::FromFile("/nonexistent/file.csv");
  absl::StatusOr<v1::Dataset> ds = client.UploadDataset(up);
  EXPECT_EQ(ds.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(ds.status().message(), HasSubstr("/nonexistent/file.csv"));
}

TEST_F(ClientTest, ErrorsKeepCodeAndMessage) {
  Client client = MakeClient();
  absl::StatusOr<v1::Dataset> ds = client.GetDataset("ds-404");
  EXPECT_EQ(ds.status(), absl::NotFoundError("dataset ds-404 not found"));
  absl::StatusOr<v1::Job> job = client.CancelJob("job-1");
  EXPECT_EQ(job.status(),
            absl::FailedPreconditionError("job job-1 has finished"));
  absl::StatusOr<v1::Job> bad = client.SubmitJob(v1::SubmitJobRequest());
  EXPECT_EQ(bad.status(),
            absl::InvalidArgumentError("spec.layers must not be empty"));
  // Not implemented by the fake: UNIMPLEMENTED comes through.
  EXPECT_EQ(client.ListJobs({}).status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST_F(ClientTest, DeadlineExceededWhenServerIsSlow) {
  ClientOptions options;
  options.default_timeout = absl::Milliseconds(100);
  Client client = MakeClient(options);
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::Dataset> ds = client.GetDataset("slow");
  EXPECT_EQ(ds.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // A per-call override applies too.
  Client patient = MakeClient();
  CallOptions call;
  call.timeout = absl::Milliseconds(50);
  EXPECT_EQ(patient.GetDataset("slow", call).status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(ClientTest, UnaryCallsCarryDeadlineAndToken) {
  ClientOptions options;
  options.bearer_token = "s3cret";
  Client client = MakeClient(options);
  absl::StatusOr<v1::Job> job = client.GetJob("job-7");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->id(), "job-7");
  EXPECT_EQ(job->error_message(), "Bearer s3cret");
  EXPECT_EQ(job->restarts(), 1);  // a deadline was set

  Client anonymous = MakeClient();
  job = anonymous.GetJob("job-7");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->error_message(), "");
}

TEST_F(ClientTest, WatchReconnectsOnUnavailableWithoutDuplicates) {
  std::vector<int64_t> seqs;
  EXPECT_EQ(Watch("flaky", 0, /*max_events=*/100, &seqs), absl::OkStatus());
  EXPECT_THAT(seqs, ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(service_.watch_after(), ElementsAre(0, 2));
}

TEST_F(ClientTest, WatchResumesFromSequenceAndStopsOnRequest) {
  std::vector<int64_t> seqs;
  EXPECT_EQ(Watch("flaky", 3, /*max_events=*/1, &seqs), absl::OkStatus());
  EXPECT_THAT(seqs, ElementsAre(4));
}

TEST_F(ClientTest, WatchGivesUpAfterMaxReconnects) {
  std::vector<int64_t> seqs;
  EXPECT_EQ(Watch("gone", 0, 100, &seqs),
            absl::UnavailableError("server shutting down"));
  EXPECT_EQ(service_.watch_after().size(), 3u);  // 1 + 2 reconnects
  EXPECT_EQ(Watch("nope", 0, 100, &seqs),
            absl::NotFoundError("job nope not found"));
  EXPECT_TRUE(seqs.empty());
}

TEST_F(ClientTest, PredictPacksRowsAsFloatTensor) {
  Client client = MakeClient();
  const std::vector<float> rows = {0.5f, -1.0f, 2.0f, 3.25f, 0.0f, 1e-3f};
  absl::StatusOr<v1::PredictResponse> r =
      client.Predict("m-echo", rows, /*features=*/3, /*mc_samples=*/20);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->model_id(), "m-echo");
  EXPECT_THAT(r->top_class(), ElementsAre(2, 2));  // one request of 2 rows
  EXPECT_EQ(r->version(), 20);
  EXPECT_THAT(r->probabilities().shape(), ElementsAre(2, 3));
  EXPECT_EQ(r->probabilities().data().size(), 24u);
  absl::StatusOr<std::vector<float>> back = UnpackFloatTensor(r->probabilities());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, rows);
  EXPECT_EQ(client.Predict("m-echo", rows, 4).status(),
            absl::InvalidArgumentError(
                "predict: 6 values do not make rows of 4 features"));
  EXPECT_EQ(client.Predict("m-echo", {}, 4).status(),
            absl::InvalidArgumentError("predict: no rows"));
}

TEST_F(ClientTest, PredictSplitsLargeInputsAndMergesAnswers) {
  ClientOptions options;
  options.max_predict_request_bytes = 12;  // one row of 3 floats a request
  Client client = MakeClient(options);
  const std::vector<float> rows = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  absl::StatusOr<v1::PredictResponse> r = client.Predict("m-echo", rows, 3, 5);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version(), 5);
  EXPECT_THAT(r->top_class(), ElementsAre(1, 1, 1));  // three requests
  EXPECT_THAT(r->probabilities().shape(), ElementsAre(3, 3));
  EXPECT_EQ(*UnpackFloatTensor(r->probabilities()), rows);

  // MC answers merge their std too.
  absl::StatusOr<v1::PredictResponse> mc = client.Predict("m-10", rows, 3, 7);
  ASSERT_TRUE(mc.ok()) << mc.status();
  EXPECT_THAT(mc->top_class(), ElementsAre(1, 4, 7));
  EXPECT_THAT(mc->std().shape(), ElementsAre(3, 10));
  EXPECT_THAT(mc->top_probability(), ElementsAre(0.9f, 0.9f, 0.9f));
}

}  // namespace
}  // namespace profundo
