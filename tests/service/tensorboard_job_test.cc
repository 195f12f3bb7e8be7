// TrainConfig.tensorboard through the service (in-process server, small
// synthetic data): a job writes Keras's epoch_* scalars under
// <data_dir>/tensorboard/<job_id>/{train,validation}, equal to its stored
// history; a job without the flag writes nothing; a job whose event files
// cannot be created fails with a "tensorboard:" message.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/client.h"
#include "engine/tensorboard/event_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/service/service_test_util.h"

namespace profundo::server {
namespace {

namespace fs = std::filesystem;
using ::profundo::server::testing::Config;
using ::profundo::server::testing::MakeTempDir;
using ::profundo::server::testing::Synthetic;
using ::profundo::server::testing::TinySpec;
using ::profundo::server::testing::UploadIdx;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

class TensorBoardServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("tensorboard");
    ServerOptions options;
    options.data_dir = dir_;
    options.listen = "127.0.0.1:0";
    auto server = ProfundoServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    channel_ = server_->InProcessChannel();
    client_ = std::make_unique<Client>(channel_);
    auto stub = v1::Profundo::NewStub(channel_);
    absl::StatusOr<v1::Dataset> ds = UploadIdx(stub.get(), Synthetic{});
    ASSERT_TRUE(ds.ok()) << ds.status();
    dataset_id_ = ds->id();
  }

  // Submits a 2-epoch job with a validation split and waits for its end.
  v1::Job Run(const std::string& job_id, bool tensorboard) {
    v1::SubmitJobRequest request;
    *request.mutable_spec() = TinySpec();
    request.set_dataset_id(dataset_id_);
    request.set_job_id(job_id);
    v1::TrainConfig config = Config(2);
    config.set_validation_split(0.2);
    config.set_tensorboard(tensorboard);
    *request.mutable_config() = config;
    absl::StatusOr<v1::Job> job = client_->SubmitJob(request);
    EXPECT_TRUE(job.ok()) << job.status();
    absl::Status watched =
        client_->WatchJob(job_id, 0, [](const v1::JobEvent&) { return true; });
    EXPECT_TRUE(watched.ok()) << watched;
    absl::StatusOr<v1::Job> end = client_->GetJob(job_id);
    EXPECT_TRUE(end.ok()) << end.status();
    return end.ok() ? *end : v1::Job();
  }

  // The scalars of the one event file in `run_dir`, by tag.
  std::map<std::string, std::vector<ScalarEvent>> Read(const fs::path& run_dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(run_dir)) files.push_back(e.path());
    EXPECT_THAT(files, SizeIs(1)) << run_dir;
    std::map<std::string, std::vector<ScalarEvent>> by_tag;
    if (files.empty()) return by_tag;
    EXPECT_THAT(files[0].filename().string(), StartsWith("events.out.tfevents."));
    absl::StatusOr<std::vector<ScalarEvent>> events =
        ReadScalarEvents(files[0].string());
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok()) return by_tag;
    for (const ScalarEvent& e : *events) by_tag[e.tag].push_back(e);
    return by_tag;
  }

  std::string dir_;
  std::string dataset_id_;
  std::unique_ptr<ProfundoServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Client> client_;
};

// `events` has steps 0 and 1 with the history's `field` as floats.
template <typename Field>
void ExpectMatches(const std::vector<ScalarEvent>& events, const v1::Job& job,
                   Field field) {
  ASSERT_THAT(events, SizeIs(2));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(events[i].step, i);
    EXPECT_EQ(events[i].value, static_cast<float>(field(job.history(i))));
  }
}

TEST_F(TensorBoardServiceTest, JobWritesKerasEpochScalarsEqualToHistory) {
  const v1::Job job = Run("tb-job", /*tensorboard=*/true);
  ASSERT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.error_message();
  ASSERT_THAT(job.history(), SizeIs(2));
  const fs::path run = fs::path(dir_) / "tensorboard" / "tb-job";

  auto train = Read(run / "train");
  EXPECT_THAT(train, SizeIs(3));
  ExpectMatches(train["epoch_loss"], job,
                [](const v1::EpochMetrics& m) { return m.loss(); });
  ExpectMatches(train["epoch_accuracy"], job,
                [](const v1::EpochMetrics& m) { return m.accuracy(); });
  ExpectMatches(train["epoch_learning_rate"], job,
                [](const v1::EpochMetrics& m) { return m.lr(); });
  EXPECT_EQ(train["epoch_learning_rate"][0].value, 0.01f);  // TinySpec's Adam

  auto validation = Read(run / "validation");
  EXPECT_THAT(validation, SizeIs(2));
  ExpectMatches(validation["epoch_loss"], job,
                [](const v1::EpochMetrics& m) { return m.val_loss(); });
  ExpectMatches(validation["epoch_accuracy"], job,
                [](const v1::EpochMetrics& m) { return m.val_accuracy(); });
}

TEST_F(TensorBoardServiceTest, JobWithoutTheFlagWritesNoEventFiles) {
  const v1::Job job = Run("plain-job", /*tensorboard=*/false);
  ASSERT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.error_message();
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "tensorboard" / "plain-job"));
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "tensorboard"));
}

TEST_F(TensorBoardServiceTest, UnwritableDirFailsTheJobWithAClearMessage) {
  // A file where the tensorboard directory should be.
  std::ofstream(fs::path(dir_) / "tensorboard") << "not a directory";
  const v1::Job job = Run("tb-fails", /*tensorboard=*/true);
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  EXPECT_THAT(job.error_message(), HasSubstr("tensorboard: "));
}

}  // namespace
}  // namespace profundo::server
