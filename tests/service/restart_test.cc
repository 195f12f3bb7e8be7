// Restarts: a job interrupted by a graceful shutdown, or by a crash
// (SIGKILL of a server process), resumes on a new server over the same data
// dir from its last epoch checkpoint and completes all its epochs, with the
// history of an uninterrupted run. Acknowledged uploads and finished models
// survive.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "server/sqlite_catalog.h"
#include "tests/service/service_test_util.h"

namespace profundo::server {
namespace {

using ::profundo::server::testing::Config;
using ::profundo::server::testing::MakeTempDir;
using ::profundo::server::testing::Synthetic;
using ::profundo::server::testing::TinySpec;
using ::profundo::server::testing::UploadIdx;
using ::profundo::server::testing::WatchAll;
using ::profundo::server::testing::WatchUntil;
using ::testing::SizeIs;

constexpr int kEpochs = 8;

std::unique_ptr<ProfundoServer> StartServer(const std::string& dir) {
  ServerOptions options;
  options.data_dir = dir;
  options.listen = "";
  auto server = ProfundoServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(server).value() : nullptr;
}

// Enough rows that the epochs after the interruption point take a few
// hundred ms: the graceful test stops the server when it sees epoch 2 under
// way, and with 300 rows (~5 ms an epoch) a loaded machine delivered that
// event after the job had already finished all kEpochs.
Synthetic TrainingData() {
  Synthetic data;
  data.rows = 8000;
  return data;
}

v1::SubmitJobRequest JobRequest(const std::string& dataset_id,
                                const std::string& job_id) {
  v1::SubmitJobRequest request;
  request.set_job_id(job_id);
  *request.mutable_spec() = TinySpec();
  request.set_dataset_id(dataset_id);
  // Small batches so that each epoch takes a little while.
  *request.mutable_config() = Config(kEpochs, /*batch_size=*/4);
  return request;
}

absl::StatusOr<v1::Job> Submit(v1::Profundo::Stub* stub,
                               const v1::SubmitJobRequest& request) {
  grpc::ClientContext context;
  v1::Job job;
  absl::Status s = FromGrpcStatus(stub->SubmitJob(&context, request, &job));
  if (!s.ok()) return s;
  return job;
}

v1::Job GetJob(v1::Profundo::Stub* stub, const std::string& id) {
  grpc::ClientContext context;
  v1::GetJobRequest request;
  request.set_job_id(id);
  v1::Job job;
  EXPECT_TRUE(stub->GetJob(&context, request, &job).ok());
  return job;
}

// Runs the job to the end on this server and returns it.
v1::Job Finish(v1::Profundo::Stub* stub, const std::string& id,
               int64_t after_seq) {
  testing::WatchResult watch = WatchAll(stub, id, after_seq, 300);
  EXPECT_TRUE(watch.status.ok()) << watch.status;
  return GetJob(stub, id);
}

// The resumed job ended as an uninterrupted one with the same request.
void ExpectSameHistory(const v1::Job& resumed, const v1::Job& reference) {
  ASSERT_THAT(resumed.history(), SizeIs(kEpochs));
  ASSERT_THAT(reference.history(), SizeIs(kEpochs));
  for (int e = 0; e < kEpochs; ++e) {
    EXPECT_EQ(resumed.history(e).epoch(), e);
    EXPECT_NEAR(resumed.history(e).loss(), reference.history(e).loss(),
                1e-4 * (1 + reference.history(e).loss()))
        << "epoch " << e;
    EXPECT_NEAR(resumed.history(e).accuracy(), reference.history(e).accuracy(),
                1e-6)
        << "epoch " << e;
  }
}

// The interrupted job completes every epoch on this server, resumed once,
// with the history of the same request run without interruption.
void ExpectResumesLikeAnUninterruptedRun(v1::Profundo::Stub* stub,
                                         const std::string& job_id,
                                         const std::string& dataset_id) {
  v1::Job resumed = Finish(stub, job_id, 0);
  EXPECT_EQ(resumed.state(), v1::JOB_STATE_SUCCEEDED) << resumed.error_message();
  EXPECT_EQ(resumed.epochs_completed(), kEpochs);
  EXPECT_EQ(resumed.restarts(), 1);
  absl::StatusOr<v1::Job> reference =
      Submit(stub, JobRequest(dataset_id, "reference"));
  ASSERT_TRUE(reference.ok()) << reference.status();
  ExpectSameHistory(resumed, Finish(stub, reference->id(), 0));
}

TEST(RestartTest, GracefulShutdownMidTrainingResumesOnTheNextServer) {
  const std::string dir = MakeTempDir("restart");
  std::string dataset_id, job_id;
  {
    std::unique_ptr<ProfundoServer> server = StartServer(dir);
    ASSERT_NE(server, nullptr);
    auto stub = v1::Profundo::NewStub(server->InProcessChannel());
    absl::StatusOr<v1::Dataset> ds = UploadIdx(stub.get(), TrainingData());
    ASSERT_TRUE(ds.ok()) << ds.status();
    dataset_id = ds->id();
    absl::StatusOr<v1::Job> job = Submit(stub.get(), JobRequest(dataset_id, "resumable"));
    ASSERT_TRUE(job.ok()) << job.status();
    job_id = job->id();
    // Two epochs done, the third under way.
    WatchUntil(stub.get(), job_id, [](const v1::JobEvent& e) {
      return e.has_batch_progress() && e.batch_progress().epoch() == 2;
    });
    server->Shutdown();
  }
  // The job waits, QUEUED, with its checkpoint.
  {
    auto catalog = SqliteCatalog::Open(dir + "/catalog.db");
    ASSERT_TRUE(catalog.ok());
    absl::StatusOr<JobRecord> job = (*catalog)->GetJob(job_id);
    ASSERT_TRUE(job.ok());
    EXPECT_EQ(job->job.state(), v1::JOB_STATE_QUEUED);
    EXPECT_GE(job->job.epochs_completed(), 2);
    EXPECT_LT(job->job.epochs_completed(), kEpochs);
    EXPECT_FALSE(job->checkpoint_blob.empty());
  }

  std::unique_ptr<ProfundoServer> server = StartServer(dir);
  ASSERT_NE(server, nullptr);
  auto stub = v1::Profundo::NewStub(server->InProcessChannel());
  ExpectResumesLikeAnUninterruptedRun(stub.get(), job_id, dataset_id);
}

TEST(RestartTest, CrashedServerLosesNothingAcknowledged) {
  const std::string dir = MakeTempDir("crash");
  // The doomed server runs in a child process (forked before this process
  // starts any gRPC thread). It reports the ids through a pipe.
  int ids_pipe[2];
  ASSERT_EQ(pipe(ids_pipe), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ids_pipe[0]);
    std::unique_ptr<ProfundoServer> server = StartServer(dir);
    if (server == nullptr) _exit(2);
    auto stub = v1::Profundo::NewStub(server->InProcessChannel());
    absl::StatusOr<v1::Dataset> ds = UploadIdx(stub.get(), TrainingData());
    if (!ds.ok()) _exit(3);
    // A finished model, then the job that will be killed mid-training.
    v1::SubmitJobRequest quick = JobRequest(ds->id(), "finished");
    quick.mutable_config()->set_epochs(1);
    if (!Submit(stub.get(), quick).ok()) _exit(4);
    WatchAll(stub.get(), "finished");
    if (!Submit(stub.get(), JobRequest(ds->id(), "crashed")).ok()) _exit(5);
    std::string ids = ds->id() + "\n";
    if (write(ids_pipe[1], ids.data(), ids.size()) != static_cast<ssize_t>(ids.size())) {
      _exit(6);
    }
    pause();  // until SIGKILL
    _exit(0);
  }
  close(ids_pipe[1]);
  std::string dataset_id;
  char c;
  while (read(ids_pipe[0], &c, 1) == 1 && c != '\n') dataset_id.push_back(c);
  close(ids_pipe[0]);
  ASSERT_FALSE(dataset_id.empty()) << "the child server failed";

  // Kill it once the job has checkpointed two epochs.
  {
    auto catalog = SqliteCatalog::Open(dir + "/catalog.db");
    ASSERT_TRUE(catalog.ok());
    for (int i = 0; i < 6000; ++i) {
      absl::StatusOr<JobRecord> job = (*catalog)->GetJob("crashed");
      if (job.ok() && job->job.epochs_completed() >= 2 &&
          !job->checkpoint_blob.empty()) {
        break;
      }
      usleep(10000);
    }
  }
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  std::unique_ptr<ProfundoServer> server = StartServer(dir);
  ASSERT_NE(server, nullptr);
  auto stub = v1::Profundo::NewStub(server->InProcessChannel());
  // The upload and the finished model are there.
  grpc::ClientContext get_context;
  v1::GetDatasetRequest get;
  get.set_dataset_id(dataset_id);
  v1::Dataset ds;
  ASSERT_TRUE(stub->GetDataset(&get_context, get, &ds).ok());
  EXPECT_EQ(ds.rows(), TrainingData().rows);
  v1::Job finished = GetJob(stub.get(), "finished");
  ASSERT_EQ(finished.state(), v1::JOB_STATE_SUCCEEDED);
  {
    grpc::ClientContext context;
    v1::PredictRequest request;
    request.set_model_id(finished.model_id());
    request.mutable_inputs()->add_shape(1);
    request.mutable_inputs()->add_shape(16);
    for (int i = 0; i < 16; ++i) request.mutable_inputs()->add_values(100);
    v1::PredictResponse response;
    grpc::Status s = stub->Predict(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(response.top_class_size(), 1);
  }
  ExpectResumesLikeAnUninterruptedRun(stub.get(), "crashed", dataset_id);
}

}  // namespace
}  // namespace profundo::server
