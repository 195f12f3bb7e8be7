// Training jobs through the service (ServiceTest, service_fixture.h): submit,
// watch, cancel, idempotent ids, the queue and its limits, listing and
// resuming a watch, and the training threads' nice value.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/service/service_fixture.h"
#include "tests/service/service_test_util.h"

namespace profundo::server {
namespace {

using ::profundo::server::testing::Call;
using ::profundo::server::testing::Config;
using ::profundo::server::testing::Synthetic;
using ::profundo::server::testing::TinySpec;
using ::profundo::server::testing::WatchAll;
using ::profundo::server::testing::WatchUntil;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

// -------------------------------------------------------------------- jobs

TEST_F(ServiceTest, TrainWatchAndPredict) {
  Synthetic data;
  v1::Dataset ds = MustUpload(data);
  absl::StatusOr<v1::Job> job = Submit(TinySpec(), ds.id(), Config(3), "", "tiny");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_THAT(job->id(), StartsWith("job-"));
  EXPECT_EQ(job->state(), v1::JOB_STATE_QUEUED);
  EXPECT_EQ(job->epochs(), 3);
  EXPECT_EQ(job->model_version(), 1);

  testing::WatchResult watch = WatchAll(stub_.get(), job->id());
  ASSERT_TRUE(watch.status.ok()) << watch.status;
  std::vector<v1::JobState> states;
  int epochs = 0, progress = 0;
  // Server time of the event that opened the current epoch (RUNNING, then
  // each epoch end): an epoch's own seconds fit between it and its end.
  double opened = 0;
  std::vector<double> epoch_seconds;
  auto at = [](const v1::JobEvent& e) {
    return static_cast<double>(e.time().seconds()) + 1e-9 * e.time().nanos();
  };
  for (size_t i = 0; i < watch.events.size(); ++i) {
    const v1::JobEvent& e = watch.events[i];
    EXPECT_EQ(e.seq(), static_cast<int64_t>(i) + 1);
    EXPECT_EQ(e.job_id(), job->id());
    if (e.has_state_change()) states.push_back(e.state_change().state());
    if (e.has_state_change() &&
        e.state_change().state() == v1::JOB_STATE_RUNNING) {
      opened = at(e);
    }
    if (e.has_epoch_end()) {
      EXPECT_EQ(e.epoch_end().epoch(), epochs++);
      EXPECT_GT(e.epoch_end().loss(), 0);
      EXPECT_DOUBLE_EQ(e.epoch_end().lr(), 0.01);
      EXPECT_GT(e.epoch_end().seconds(), 0);
      EXPECT_LE(e.epoch_end().seconds(), at(e) - opened + 1e-3);
      epoch_seconds.push_back(e.epoch_end().seconds());
      opened = at(e);
    }
    if (e.has_batch_progress()) {
      ++progress;
      EXPECT_EQ(e.batch_progress().batches(), 19);  // ceil(300 / 16)
      EXPECT_GT(e.batch_progress().seconds(), 0);
      EXPECT_LE(e.batch_progress().seconds(), at(e) - opened + 1e-3);
    }
  }
  EXPECT_THAT(states, ElementsAre(v1::JOB_STATE_QUEUED, v1::JOB_STATE_RUNNING,
                                  v1::JOB_STATE_SUCCEEDED));
  EXPECT_EQ(epochs, 3);
  EXPECT_GE(progress, 3);

  v1::Job done = *GetJob(job->id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.epochs_completed(), 3);
  ASSERT_THAT(done.history(), SizeIs(3));
  ASSERT_THAT(epoch_seconds, SizeIs(3));
  for (int i = 0; i < 3; ++i) {  // what `profundo jobs get` shows
    EXPECT_DOUBLE_EQ(done.history(i).seconds(), epoch_seconds[i]);
  }
  EXPECT_LT(done.history(2).loss(), done.history(0).loss());
  EXPECT_GT(done.history(2).accuracy(), 0.9);  // the classes are separable
  EXPECT_EQ(done.last_seq(), static_cast<int64_t>(watch.events.size()));
  EXPECT_TRUE(done.has_end_time());

  // The model has a READY version 1.
  v1::GetModelRequest get_model;
  get_model.set_model_id(done.model_id());
  absl::StatusOr<v1::Model> model = Call(stub_.get(), &Stub::GetModel, get_model);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->name(), "tiny");
  ASSERT_THAT(model->versions(), SizeIs(1));
  EXPECT_EQ(model->versions(0).state(), v1::MODEL_VERSION_STATE_READY);
  EXPECT_EQ(model->versions(0).job_id(), job->id());
  EXPECT_EQ(model->versions(0).summary().total_params(), 163);
  EXPECT_DOUBLE_EQ(model->versions(0).final_metrics().loss(), done.history(2).loss());
  v1::ListModelsRequest list_models;
  list_models.set_name("tiny");
  EXPECT_THAT(Call(stub_.get(), &Stub::ListModels, list_models)->models(), SizeIs(1));

  // Predict: probabilities per row, the top class, mostly right.
  const int n = 30;
  absl::StatusOr<v1::PredictResponse> p =
      Predict(done.model_id(), Rows(data, n), {n, 4, 4});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->version(), 1);
  EXPECT_THAT(p->probabilities().shape(), ElementsAre(n, 3));
  ASSERT_THAT(p->top_class(), SizeIs(n));
  int right = 0;
  for (int r = 0; r < n; ++r) {
    float sum = 0, best = 0;
    for (int c = 0; c < 3; ++c) {
      float v = p->probabilities().values(r * 3 + c);
      sum += v;
      best = std::max(best, v);
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    EXPECT_FLOAT_EQ(p->top_probability(r), best);
    right += p->top_class(r) == data.Label(r);
  }
  EXPECT_GE(right, 27);

  // The same rows as packed little-endian bytes, flattened to [n, 16].
  v1::PredictRequest bytes;
  bytes.set_model_id(done.model_id());
  bytes.set_version(1);
  bytes.mutable_inputs()->add_shape(n);
  bytes.mutable_inputs()->add_shape(16);
  std::vector<float> rows = Rows(data, n);
  bytes.mutable_inputs()->set_data(std::string(
      reinterpret_cast<const char*>(rows.data()), rows.size() * sizeof(float)));
  auto p2 = Call(stub_.get(), &Stub::Predict, bytes);
  ASSERT_TRUE(p2.ok()) << p2.status();
  EXPECT_EQ(p2->probabilities().SerializeAsString(),
            p->probabilities().SerializeAsString());

  // Wrong feature count; MC without a dropout layer.
  absl::Status wrong = Predict(done.model_id(), std::vector<float>(15), {1, 15}).status();
  EXPECT_TRUE(absl::IsInvalidArgument(wrong)) << wrong;
  EXPECT_THAT(std::string(wrong.message()), HasSubstr("inputs.shape [1, 15]"));
  absl::Status mc = Predict(done.model_id(), Rows(data, 1), {1, 16}, 10).status();
  EXPECT_THAT(std::string(mc.message()), HasSubstr("mc_samples")) << mc;
}

TEST_F(ServiceTest, SubmitWithClientIdIsIdempotent) {
  v1::Dataset ds = MustUpload();
  absl::StatusOr<v1::Job> first = Submit(TinySpec(), ds.id(), Config(1), "my-job-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->id(), "my-job-1");
  absl::StatusOr<v1::Job> retry = Submit(TinySpec(), ds.id(), Config(1), "my-job-1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->id(), "my-job-1");
  EXPECT_EQ(retry->create_time().SerializeAsString(),
            first->create_time().SerializeAsString());
  absl::Status other = Submit(TinySpec(), ds.id(), Config(2), "my-job-1").status();
  EXPECT_TRUE(absl::IsAlreadyExists(other)) << other;
  EXPECT_THAT(std::string(other.message()), HasSubstr("job_id"));
  v1::ListJobsRequest list;
  EXPECT_THAT(Call(stub_.get(), &Stub::ListJobs, list)->jobs(), SizeIs(1));
  EXPECT_EQ(WaitForEnd("my-job-1").state(), v1::JOB_STATE_SUCCEEDED);
  // Still idempotent after the job ended.
  EXPECT_EQ(Submit(TinySpec(), ds.id(), Config(1), "my-job-1")->state(),
            v1::JOB_STATE_SUCCEEDED);
}

TEST_F(ServiceTest, CancelRunningJobStopsItWithinABatch) {
  v1::Dataset ds = MustUpload();
  absl::StatusOr<v1::Job> job = Submit(TinySpec(), ds.id(), Config(100000));
  ASSERT_TRUE(job.ok()) << job.status();
  WatchUntil(stub_.get(), job->id(),
             [](const v1::JobEvent& e) { return e.has_epoch_end(); });
  absl::StatusOr<v1::Job> cancelled = CancelJob(job->id());
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::JOB_STATE_CANCELLED);
  EXPECT_GE(cancelled->epochs_completed(), 1);
  EXPECT_LT(cancelled->epochs_completed(), 100000);
  EXPECT_THAT(cancelled->error_message(), HasSubstr("cancelled"));
  // The watch ends with the CANCELLED event.
  testing::WatchResult watch = WatchAll(stub_.get(), job->id());
  ASSERT_TRUE(watch.status.ok()) << watch.status;
  EXPECT_EQ(watch.events.back().state_change().state(), v1::JOB_STATE_CANCELLED);
  // Cancelling again is fine; its model version failed.
  EXPECT_EQ(CancelJob(job->id())->state(), v1::JOB_STATE_CANCELLED);
  v1::GetModelRequest get_model;
  get_model.set_model_id(job->model_id());
  EXPECT_EQ(Call(stub_.get(), &Stub::GetModel, get_model)->versions(0).state(),
            v1::MODEL_VERSION_STATE_FAILED);
}

// The nice value of each thread of this process (/proc/self/task/*/stat,
// field 19).
std::vector<int> ThreadNiceValues() {
  std::vector<int> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    // Fields after the ")" that closes the command name: state is field 3.
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19 && rest >> field; ++i) {
      if (i == 19) out.push_back(std::stoi(field));
    }
  }
  return out;
}

TEST_F(ServiceTest, TrainingThreadsRunAtTheTrainingNiceValue) {
  ServerOptions options;
  options.training_nice = 7;
  Start(options);
  v1::Dataset ds = MustUpload();
  absl::StatusOr<v1::Job> job = Submit(TinySpec(), ds.id(), Config(100000));
  ASSERT_TRUE(job.ok()) << job.status();
  WatchUntil(stub_.get(), job->id(),
             [](const v1::JobEvent& e) { return e.has_epoch_end(); });
  EXPECT_THAT(ThreadNiceValues(), Contains(7));  // the training worker
  EXPECT_THAT(ThreadNiceValues(), Contains(0));  // everything else
  ASSERT_TRUE(CancelJob(job->id()).ok());
}

TEST_F(ServiceTest, QueueLimitUnfinishedModelAndDatasetInUse) {
  ServerOptions options;
  options.max_queued_jobs = 1;
  Start(options);
  v1::Dataset ds = MustUpload();
  absl::StatusOr<v1::Job> running = Submit(TinySpec(), ds.id(), Config(100000), "", "a");
  ASSERT_TRUE(running.ok()) << running.status();
  WatchUntil(stub_.get(), running->id(), [](const v1::JobEvent& e) {
    return e.has_state_change() && e.state_change().state() == v1::JOB_STATE_RUNNING;
  });
  absl::StatusOr<v1::Job> queued = Submit(TinySpec(), ds.id(), Config(1), "", "b");
  ASSERT_TRUE(queued.ok()) << queued.status();
  absl::Status full = Submit(TinySpec(), ds.id(), Config(1), "", "c").status();
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_THAT(std::string(full.message()), HasSubstr("max_queued_jobs"));

  absl::Status unfinished = Predict(queued->model_id(), Rows(Synthetic(), 1), {1, 16}).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(unfinished)) << unfinished;
  EXPECT_THAT(std::string(unfinished.message()), HasSubstr("no trained version"));

  v1::DeleteDatasetRequest del;
  del.set_dataset_id(ds.id());
  absl::Status in_use = Call(stub_.get(), &Stub::DeleteDataset, del).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(in_use)) << in_use;
  EXPECT_THAT(std::string(in_use.message()), HasSubstr("dataset_id"));

  // A queued job is cancelled at once.
  EXPECT_EQ(CancelJob(queued->id())->state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(CancelJob(running->id())->state(), v1::JOB_STATE_CANCELLED);
  EXPECT_TRUE(Call(stub_.get(), &Stub::DeleteDataset, del).ok());
}

TEST_F(ServiceTest, ListJobsFiltersAndPages) {
  v1::Dataset a = MustUpload();
  v1::Dataset b = MustUpload();
  std::vector<std::string> ids;
  for (const v1::Dataset* ds : {&a, &b, &a}) {
    absl::StatusOr<v1::Job> job = Submit(TinySpec(), ds->id(), Config(1));
    ASSERT_TRUE(job.ok()) << job.status();
    ids.push_back(job->id());
  }
  for (const std::string& id : ids) WaitForEnd(id);
  ASSERT_TRUE(CancelJob(ids[0]).status().code() == absl::StatusCode::kFailedPrecondition);

  v1::ListJobsRequest request;
  request.set_dataset_id(a.id());
  auto by_dataset = Call(stub_.get(), &Stub::ListJobs, request);
  ASSERT_THAT(by_dataset->jobs(), SizeIs(2));
  EXPECT_EQ(by_dataset->jobs(0).id(), ids[0]);
  EXPECT_EQ(by_dataset->jobs(1).id(), ids[2]);

  request.Clear();
  request.set_state(v1::JOB_STATE_SUCCEEDED);
  request.set_page_size(2);
  auto page1 = Call(stub_.get(), &Stub::ListJobs, request);
  ASSERT_THAT(page1->jobs(), SizeIs(2));
  request.set_page_token(page1->next_page_token());
  auto page2 = Call(stub_.get(), &Stub::ListJobs, request);
  ASSERT_THAT(page2->jobs(), SizeIs(1));
  EXPECT_EQ(page2->jobs(0).id(), ids[2]);
  EXPECT_TRUE(page2->next_page_token().empty());

  request.Clear();
  request.set_state(v1::JOB_STATE_RUNNING);
  EXPECT_THAT(Call(stub_.get(), &Stub::ListJobs, request)->jobs(), SizeIs(0));
}

TEST_F(ServiceTest, WatchResumesFromASequenceNumber) {
  v1::Dataset ds = MustUpload();
  absl::StatusOr<v1::Job> job = Submit(TinySpec(), ds.id(), Config(2));
  ASSERT_TRUE(job.ok());
  testing::WatchResult all = WatchAll(stub_.get(), job->id());
  ASSERT_TRUE(all.status.ok());
  ASSERT_GE(all.events.size(), 5u);
  testing::WatchResult tail = WatchAll(stub_.get(), job->id(), /*after_seq=*/3);
  ASSERT_TRUE(tail.status.ok()) << tail.status;
  ASSERT_EQ(tail.events.size(), all.events.size() - 3);
  for (size_t i = 0; i < tail.events.size(); ++i) {
    EXPECT_EQ(tail.events[i].SerializeAsString(), all.events[i + 3].SerializeAsString());
  }
  // After the last event: the stream ends at once, OK and empty.
  testing::WatchResult after = WatchAll(stub_.get(), job->id(), all.events.size());
  EXPECT_TRUE(after.status.ok());
  EXPECT_TRUE(after.events.empty());
  EXPECT_TRUE(absl::IsInvalidArgument(WatchAll(stub_.get(), job->id(), -1).status));
}

}  // namespace
}  // namespace profundo::server
