// HostileInputTest: the fixture of the hostile-input corpus
// (hostile_ids_test.cc, hostile_uploads_test.cc, hostile_specs_test.cc,
// hostile_predict_test.cc): a server on a real socket (127.0.0.1:0) with
// small limits and one uploaded dataset, and RunCases, which sends each case
// and asserts the exact gRPC code, that the message names the field (and
// the flag, for limits), that the server still answers (health,
// ListDatasets), that the catalog lists the same datasets, models and jobs,
// and that the data dir holds the same files. Also the upload-stream
// helpers those tests share.
//
// Header-only; one fixture per test, not thread-safe (its stub is).
#ifndef PROFUNDO_TESTS_SERVICE_HOSTILE_FIXTURE_H_
#define PROFUNDO_TESTS_SERVICE_HOSTILE_FIXTURE_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "server/status_mapping.h"
#include "server/upload_assembler.h"
#include "tests/service/generic_calls.h"
#include "tests/service/service_test_util.h"

namespace profundo::server {
namespace testing {

using Messages = std::vector<v1::UploadDatasetRequest>;

inline constexpr int64_t kHuge = int64_t{1} << 40;

struct HostileCase {
  std::string name;
  std::function<absl::Status()> call;
  absl::StatusCode code;
  std::string field;  // the message must contain it
};

// Sends `messages` as one UploadDataset stream. `cancel_after` >= 0: the
// client cancels after that many messages instead of closing the stream,
// once they had half a second to reach the server.
inline absl::Status SendUpload(v1::Profundo::Stub* stub,
                               const Messages& messages, int cancel_after = -1) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  v1::Dataset response;
  auto writer = stub->UploadDataset(&context, &response);
  int sent = 0;
  for (const v1::UploadDatasetRequest& m : messages) {
    if (sent == cancel_after) break;
    if (!writer->Write(m)) break;
    ++sent;
  }
  if (cancel_after >= 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    context.TryCancel();
  } else {
    writer->WritesDone();
  }
  return FromGrpcStatus(writer->Finish());
}

inline v1::UploadDatasetRequest HeaderMessage(const v1::UploadHeader& header) {
  v1::UploadDatasetRequest m;
  *m.mutable_header() = header;
  return m;
}

inline v1::UploadDatasetRequest Trailer(const std::string& features,
                                        const std::string& labels) {
  v1::UploadDatasetRequest m;
  m.mutable_trailer()->set_features_crc32(Crc32(features));
  if (!labels.empty()) m.mutable_trailer()->set_labels_crc32(Crc32(labels));
  return m;
}

// A well-formed two-part stream (header, one chunk per part, trailer).
inline Messages Stream(const std::string& name, v1::DataFormat format,
                       const std::string& x, const std::string& y) {
  Messages m = {HeaderMessage(Header(name, format, x, y)),
                ChunkMessage(v1::DATASET_PART_FEATURES, x)};
  if (!y.empty()) m.push_back(ChunkMessage(v1::DATASET_PART_LABELS, y));
  m.push_back(Trailer(x, y));
  return m;
}

}  // namespace testing

using Stub = v1::Profundo::Stub;

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("hostile");
    ServerOptions options;
    options.data_dir = dir_;
    options.listen = "127.0.0.1:0";
    options.progress_interval = absl::Milliseconds(20);
    options.max_upload_bytes = 1 << 20;
    options.limits.max_dataset_rows = 1000;
    options.limits.max_features = 100;
    options.limits.max_dataset_bytes = 1 << 20;
    options.limits.max_model_params = 10'000;
    options.limits.max_layers = 50;
    options.limits.max_spec_bytes = 64 << 10;
    options.limits.max_predict_rows = 64;
    options.limits.max_mc_samples = 20;
    auto server = ProfundoServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Profundo::NewStub(channel_);
    absl::StatusOr<v1::Dataset> ds = testing::UploadIdx(stub_.get(), data_);
    ASSERT_TRUE(ds.ok()) << ds.status();
    dataset_ = *ds;
  }

  // Every file under the data dir, relative.
  std::set<std::string> Files() const {
    std::set<std::string> files;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(dir_)) {
      if (entry.is_regular_file()) {
        files.insert(std::filesystem::relative(entry.path(), dir_).string());
      }
    }
    return files;
  }

  // The catalog's listings (ids in order) and the data dir's files.
  std::string Snapshot() {
    std::string out = "datasets:";
    auto datasets = testing::Call(stub_.get(), &Stub::ListDatasets, v1::ListDatasetsRequest());
    if (!datasets.ok()) return datasets.status().ToString();
    for (const auto& d : datasets->datasets()) absl::StrAppend(&out, " ", d.id());
    auto models = testing::Call(stub_.get(), &Stub::ListModels, v1::ListModelsRequest());
    if (!models.ok()) return models.status().ToString();
    absl::StrAppend(&out, "\nmodels:");
    for (const auto& m : models->models()) {
      absl::StrAppend(&out, " ", m.id(), "/", m.versions_size());
    }
    auto jobs = testing::Call(stub_.get(), &Stub::ListJobs, v1::ListJobsRequest());
    if (!jobs.ok()) return jobs.status().ToString();
    absl::StrAppend(&out, "\njobs:");
    for (const auto& j : jobs->jobs()) absl::StrAppend(&out, " ", j.id());
    absl::StrAppend(&out, "\nfiles:");
    for (const std::string& f : Files()) absl::StrAppend(&out, " ", f);
    return out;
  }

  // grpc.health.v1.Health/Check for our service over the socket.
  bool Healthy() {
    absl::StatusOr<std::string> response =
        testing::HealthCheck(channel_, "profundo.v1.Profundo");
    return response.ok() && *response == std::string("\x08\x01", 2);
  }

  // Runs each case; checks its code and message, that the server still
  // answers, and that the store is as before. A cancelled call may still be
  // unwinding on the server: the store gets a few seconds to settle.
  void RunCases(const std::vector<testing::HostileCase>& cases) {
    const std::string before = Snapshot();
    for (const testing::HostileCase& c : cases) {
      absl::Status status = c.call();
      EXPECT_EQ(status.code(), c.code) << c.name << ": " << status;
      EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(c.field))
          << c.name << ": " << status;
      EXPECT_TRUE(Healthy()) << c.name;
      std::string after = Snapshot();
      for (int i = 0; i < 50 && after != before; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        after = Snapshot();
      }
      EXPECT_EQ(after, before) << c.name;
    }
  }

  absl::Status GetDataset(const std::string& id) {
    v1::GetDatasetRequest r;
    r.set_dataset_id(id);
    return testing::Call(stub_.get(), &Stub::GetDataset, r).status();
  }

  absl::Status Validate(const v1::ModelSpec& spec) {
    v1::ValidateModelRequest r;
    *r.mutable_spec() = spec;
    r.set_dataset_id(dataset_.id());
    return testing::Call(stub_.get(), &Stub::ValidateModel, r).status();
  }

  absl::Status Submit(const v1::ModelSpec& spec,
                      std::function<void(v1::SubmitJobRequest*)> edit = nullptr) {
    v1::SubmitJobRequest r;
    *r.mutable_spec() = spec;
    r.set_dataset_id(dataset_.id());
    *r.mutable_config() = testing::Config(1);
    if (edit) edit(&r);
    return testing::Call(stub_.get(), &Stub::SubmitJob, r).status();
  }

  // Trains TinySpec for one epoch; returns the model id.
  std::string TrainTinyModel() {
    v1::SubmitJobRequest r;
    *r.mutable_spec() = testing::TinySpec();
    r.set_dataset_id(dataset_.id());
    *r.mutable_config() = testing::Config(1);
    auto job = testing::Call(stub_.get(), &Stub::SubmitJob, r);
    EXPECT_TRUE(job.ok()) << job.status();
    if (!job.ok()) return "";
    testing::WatchResult watch = testing::WatchAll(stub_.get(), job->id());
    EXPECT_TRUE(watch.status.ok()) << watch.status;
    v1::GetJobRequest get;
    get.set_job_id(job->id());
    auto done = testing::Call(stub_.get(), &Stub::GetJob, get);
    EXPECT_TRUE(done.ok() && done->state() == v1::JOB_STATE_SUCCEEDED);
    return job->model_id();
  }

  testing::Synthetic data_;  // 300 rows of 4x4, 3 classes
  std::string dir_;
  std::unique_ptr<ProfundoServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
  v1::Dataset dataset_;
};

}  // namespace profundo::server

#endif  // PROFUNDO_TESTS_SERVICE_HOSTILE_FIXTURE_H_
