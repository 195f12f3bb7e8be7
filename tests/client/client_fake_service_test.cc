// profundo::Client against a fake Profundo service in the same process: the
// fake reassembles uploads and checks their CRC-32, sleeps past deadlines,
// echoes metadata, drops a watch stream midway and answers errors, so these
// tests pin the client's side of the protocol without a real server.
#include "client/client.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "client/float_tensor.h"
#include "gmock/gmock.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "zlib.h"

namespace profundo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

uint32_t Crc32(const std::string& bytes) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(bytes.data()),
            static_cast<uInt>(bytes.size())));
}

class FakeService final : public v1::Profundo::Service {
 public:
  grpc::Status UploadDataset(grpc::ServerContext* context,
                             grpc::ServerReader<v1::UploadDatasetRequest>* reader,
                             v1::Dataset* response) override {
    v1::UploadDatasetRequest request;
    if (!reader->Read(&request) || !request.has_header()) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "header missing"};
    }
    const v1::UploadHeader header = request.header();
    std::string features, labels;
    bool have_trailer = false;
    v1::UploadTrailer trailer;
    std::vector<size_t> sizes;
    while (reader->Read(&request)) {
      if (have_trailer) return {grpc::StatusCode::INVALID_ARGUMENT, "after trailer"};
      if (request.has_trailer()) {
        have_trailer = true;
        trailer = request.trailer();
        continue;
      }
      if (!request.has_chunk()) return {grpc::StatusCode::INVALID_ARGUMENT, "no chunk"};
      sizes.push_back(request.chunk().data().size());
      if (request.chunk().part() == v1::DATASET_PART_FEATURES) {
        if (!labels.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "order"};
        features += request.chunk().data();
      } else {
        labels += request.chunk().data();
      }
    }
    if (!have_trailer) return {grpc::StatusCode::INVALID_ARGUMENT, "trailer missing"};
    if (static_cast<int64_t>(features.size()) != header.features_bytes() ||
        static_cast<int64_t>(labels.size()) != header.labels_bytes()) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "chunk: size mismatch"};
    }
    if (trailer.features_crc32() != Crc32(features) ||
        (!labels.empty() && trailer.labels_crc32() != Crc32(labels))) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "trailer.features_crc32 mismatch"};
    }
    absl::MutexLock lock(&mu_);
    features_ = features;
    labels_ = labels;
    chunk_sizes_ = sizes;
    response->set_id("ds-1");
    response->set_name(header.name());
    response->set_format(header.format());
    response->set_size_bytes(static_cast<int64_t>(features.size() + labels.size()));
    return grpc::Status::OK;
  }

  grpc::Status GetDataset(grpc::ServerContext* context,
                          const v1::GetDatasetRequest* request,
                          v1::Dataset* response) override {
    if (request->dataset_id() == "slow") {
      // Sleeps until the client gives up.
      while (!context->IsCancelled()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return {grpc::StatusCode::CANCELLED, "client went away"};
    }
    return {grpc::StatusCode::NOT_FOUND,
            "dataset " + request->dataset_id() + " not found"};
  }

  grpc::Status GetJob(grpc::ServerContext* context,
                      const v1::GetJobRequest* request,
                      v1::Job* response) override {
    // Echoes the authorization metadata and whether a deadline was set.
    response->set_id(request->job_id());
    auto it = context->client_metadata().find("authorization");
    if (it != context->client_metadata().end()) {
      response->set_error_message(std::string(it->second.data(), it->second.size()));
    }
    const bool has_deadline =
        context->deadline() < std::chrono::system_clock::now() + std::chrono::hours(1);
    response->set_restarts(has_deadline ? 1 : 0);
    return grpc::Status::OK;
  }

  grpc::Status CancelJob(grpc::ServerContext*, const v1::CancelJobRequest*,
                         v1::Job*) override {
    return {grpc::StatusCode::FAILED_PRECONDITION, "job job-1 has finished"};
  }

  grpc::Status SubmitJob(grpc::ServerContext*, const v1::SubmitJobRequest* request,
                         v1::Job* response) override {
    if (request->spec().layers_size() == 0) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "spec.layers must not be empty"};
    }
    response->set_id(request->job_id().empty() ? "job-1" : request->job_id());
    response->set_state(v1::JOB_STATE_QUEUED);
    return grpc::Status::OK;
  }

  // Job "flaky" has events 1..5 (5 = SUCCEEDED); the first connection drops
  // with UNAVAILABLE after seq 2 and the replay resends seq 2.
  grpc::Status WatchJob(grpc::ServerContext*, const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::JobEvent>* writer) override {
    int connection;
    {
      absl::MutexLock lock(&mu_);
      connection = static_cast<int>(watch_after_.size());
      watch_after_.push_back(request->after_seq());
    }
    if (request->job_id() == "gone") {
      return {grpc::StatusCode::UNAVAILABLE, "server shutting down"};
    }
    if (request->job_id() != "flaky") {
      return {grpc::StatusCode::NOT_FOUND, "job " + request->job_id() + " not found"};
    }
    int64_t from = request->after_seq() + 1;
    if (connection > 0) from = request->after_seq();  // a replayed duplicate
    for (int64_t seq = from; seq <= 5; ++seq) {
      if (connection == 0 && seq == 3) {
        return {grpc::StatusCode::UNAVAILABLE, "connection lost"};
      }
      v1::JobEvent event;
      event.set_seq(seq);
      event.set_job_id("flaky");
      if (seq == 1) {
        event.mutable_state_change()->set_state(v1::JOB_STATE_RUNNING);
      } else if (seq == 5) {
        event.mutable_state_change()->set_state(v1::JOB_STATE_SUCCEEDED);
      } else {
        event.mutable_batch_progress()->set_batch(seq);
      }
      writer->Write(event);
    }
    return grpc::Status::OK;
  }

  grpc::Status Predict(grpc::ServerContext*, const v1::PredictRequest* request,
                       v1::PredictResponse* response) override {
    // Echoes the inputs as "probabilities" and mc_samples as the version.
    response->set_model_id(request->model_id());
    response->set_version(request->mc_samples());
    *response->mutable_probabilities() = request->inputs();
    return grpc::Status::OK;
  }

  std::string features() { absl::MutexLock lock(&mu_); return features_; }
  std::string labels() { absl::MutexLock lock(&mu_); return labels_; }
  std::vector<size_t> chunk_sizes() { absl::MutexLock lock(&mu_); return chunk_sizes_; }
  std::vector<int64_t> watch_after() { absl::MutexLock lock(&mu_); return watch_after_; }

 private:
  absl::Mutex mu_;
  std::string features_ ABSL_GUARDED_BY(mu_);
  std::string labels_ ABSL_GUARDED_BY(mu_);
  std::vector<size_t> chunk_sizes_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> watch_after_ ABSL_GUARDED_BY(mu_);
};

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
      client.Predict("m-1", rows, /*features=*/3, /*mc_samples=*/20);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->model_id(), "m-1");
  EXPECT_EQ(r->version(), 20);
  EXPECT_THAT(r->probabilities().shape(), ElementsAre(2, 3));
  EXPECT_EQ(r->probabilities().data().size(), 24u);
  absl::StatusOr<std::vector<float>> back = UnpackFloatTensor(r->probabilities());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, rows);
  EXPECT_EQ(client.Predict("m-1", rows, 4).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace profundo
