// ServiceTest: the fixture of the service tests (service_test.cc,
// jobs_test.cc, prediction_test.cc): an in-process server on a fresh data
// directory, its stub, and the calls those tests make.
//
// Header-only; one fixture per test, not thread-safe (its stub is).
#ifndef PROFUNDO_TESTS_SERVICE_SERVICE_FIXTURE_H_
#define PROFUNDO_TESTS_SERVICE_SERVICE_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/service/service_test_util.h"

namespace profundo::server {

using Stub = v1::Profundo::Stub;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(ServerOptions()); }

  void Start(ServerOptions options) {
    stub_.reset();
    server_.reset();
    if (options.data_dir.empty()) {
      options.data_dir = testing::MakeTempDir("service");
    }
    options.listen = "127.0.0.1:0";
    options.progress_interval = absl::Milliseconds(20);
    auto server = ProfundoServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    stub_ = v1::Profundo::NewStub(server_->InProcessChannel());
  }

  v1::Dataset MustUpload(const testing::Synthetic& data = testing::Synthetic()) {
    absl::StatusOr<v1::Dataset> ds = testing::UploadIdx(stub_.get(), data);
    EXPECT_TRUE(ds.ok()) << ds.status();
    return ds.ok() ? *ds : v1::Dataset();
  }

  absl::StatusOr<v1::Job> Submit(const v1::ModelSpec& spec,
                                 const std::string& dataset_id,
                                 const v1::TrainConfig& config,
                                 const std::string& job_id = "",
                                 const std::string& model_name = "") {
    v1::SubmitJobRequest request;
    *request.mutable_spec() = spec;
    request.set_dataset_id(dataset_id);
    *request.mutable_config() = config;
    request.set_job_id(job_id);
    request.set_model_name(model_name);
    return testing::Call(stub_.get(), &Stub::SubmitJob, request);
  }

  absl::StatusOr<v1::Job> GetJob(const std::string& id) {
    v1::GetJobRequest request;
    request.set_job_id(id);
    return testing::Call(stub_.get(), &Stub::GetJob, request);
  }

  absl::StatusOr<v1::Job> CancelJob(const std::string& id) {
    v1::CancelJobRequest request;
    request.set_job_id(id);
    return testing::Call(stub_.get(), &Stub::CancelJob, request);
  }

  absl::StatusOr<v1::PredictResponse> Predict(const std::string& model_id,
                                              std::vector<float> values,
                                              std::vector<int64_t> shape,
                                              int mc_samples = 0) {
    v1::PredictRequest request;
    request.set_model_id(model_id);
    for (int64_t d : shape) request.mutable_inputs()->add_shape(d);
    request.mutable_inputs()->mutable_values()->Add(values.begin(), values.end());
    request.set_mc_samples(mc_samples);
    return testing::Call(stub_.get(), &Stub::Predict, request);
  }

  // Waits (by watching) until the job ends; returns its final state.
  v1::Job WaitForEnd(const std::string& id) {
    testing::WatchResult watch = testing::WatchAll(stub_.get(), id);
    EXPECT_TRUE(watch.status.ok()) << watch.status;
    absl::StatusOr<v1::Job> job = GetJob(id);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : v1::Job();
  }

  // The first `n` rows of `data` as floats.
  static std::vector<float> Rows(const testing::Synthetic& data, int n) {
    std::vector<uint8_t> px = data.Pixels();
    return std::vector<float>(px.begin(), px.begin() + n * data.h * data.w);
  }

  // Defined with its tests (prediction_test.cc).
  void ExpectConcurrentPredictionsGetTheirOwnRows(int64_t max_batch_rows);

  std::unique_ptr<ProfundoServer> server_;
  std::unique_ptr<Stub> stub_;
};

}  // namespace profundo::server

#endif  // PROFUNDO_TESTS_SERVICE_SERVICE_FIXTURE_H_
