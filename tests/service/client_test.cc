// profundo::Client against the real service in process (ProfundoServer on a
// temp data dir, in-process channel): upload from memory and from a file,
// list, validate, submit, watch a tiny training job to its end, predict
// with and without MC dropout, and the error codes and messages callers see.
#include "client/client.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/float_tensor.h"
#include "client/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"

namespace profundo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr int kRows = 120;

// Label of row i: 0, 1 or 2; its 4x4 image is bright in the label's third.
int Label(int i) { return i % 3; }
float Pixel(int i, int p) {
  return (p * 3 / 16 == Label(i) ? 200.0f : 20.0f) + static_cast<float>((i * 7 + p) % 11);
}

std::string BigEndian32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
          static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string IdxImages() {
  std::string s = std::string("\x00\x00\x08\x03", 4) + BigEndian32(kRows) +
                  BigEndian32(4) + BigEndian32(4);
  for (int i = 0; i < kRows; ++i) {
    for (int p = 0; p < 16; ++p) s += static_cast<char>(static_cast<int>(Pixel(i, p)));
  }
  return s;
}

std::string IdxLabels() {
  std::string s = std::string("\x00\x00\x08\x01", 4) + BigEndian32(kRows);
  for (int i = 0; i < kRows; ++i) s += static_cast<char>(Label(i));
  return s;
}

std::string Csv() {
  std::string s;
  for (int p = 0; p < 16; ++p) absl::StrAppend(&s, "p", p, ",");
  s += "label\n";
  for (int i = 0; i < kRows; ++i) {
    for (int p = 0; p < 16; ++p) absl::StrAppend(&s, static_cast<int>(Pixel(i, p)), ",");
    absl::StrAppend(&s, Label(i), "\n");
  }
  return s;
}

// tests/data/specs/tiny_mc_dropout.json: 4x4 -> Dense(8) -> MCDropout ->
// Dense(3, softmax), Adam, accuracy, standardized inputs.
v1::ModelSpec Spec() {
  const char* root = std::getenv("PROFUNDO_SOURCE_DIR");
  const std::string here = __FILE__;  // .../tests/service/client_test.cc
  const std::string tests =
      root != nullptr ? std::string(root) + "/tests"
                      : here.substr(0, here.rfind("/service/"));
  v1::ModelSpec spec;
  EXPECT_EQ(ReadJsonFile(tests + "/data/specs/tiny_mc_dropout.json", &spec),
            absl::OkStatus());
  return spec;
}

class ClientServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/client_service_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    server::ServerOptions options;
    options.listen = "";
    options.data_dir = dir_ + "/data";
    options.progress_interval = absl::Milliseconds(10);
    auto server = server::ProfundoServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<Client>(server_->InProcessChannel());
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  v1::Dataset UploadIdx() {
    DatasetUpload up;
    up.name = "blocks";
    up.format = v1::DATA_FORMAT_IDX;
    up.features = UploadSource::FromBytes(IdxImages());
    up.labels = UploadSource::FromBytes(IdxLabels());
    absl::StatusOr<v1::Dataset> ds = client_->UploadDataset(up);
    EXPECT_TRUE(ds.ok()) << ds.status();
    return ds.value_or(v1::Dataset());
  }

  // Submits the tiny spec on `dataset` for 2 epochs and watches it to its
  // end; returns the events seen.
  std::vector<v1::JobEvent> TrainToEnd(const std::string& dataset_id,
                                       v1::Job* job) {
    v1::SubmitJobRequest request;
    *request.mutable_spec() = Spec();
    request.set_dataset_id(dataset_id);
    request.mutable_config()->set_epochs(2);
    request.mutable_config()->set_batch_size(16);
    request.mutable_config()->set_validation_split(0.25);
    absl::StatusOr<v1::Job> submitted = client_->SubmitJob(request);
    EXPECT_TRUE(submitted.ok()) << submitted.status();
    std::vector<v1::JobEvent> events;
    EXPECT_EQ(client_->WatchJob(submitted->id(), 0,
                                [&](const v1::JobEvent& e) {
                                  events.push_back(e);
                                  return true;
                                }),
              absl::OkStatus());
    absl::StatusOr<v1::Job> done = client_->GetJob(submitted->id());
    EXPECT_TRUE(done.ok()) << done.status();
    *job = done.value_or(v1::Job());
    return events;
  }

  std::string dir_;
  std::unique_ptr<server::ProfundoServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientServiceTest, UploadFromMemoryAndFileThenList) {
  const v1::Dataset idx = UploadIdx();
  EXPECT_EQ(idx.name(), "blocks");
  EXPECT_EQ(idx.format(), v1::DATA_FORMAT_IDX);
  EXPECT_EQ(idx.rows(), kRows);
  EXPECT_THAT(idx.feature_shape(), ElementsAre(4, 4));
  EXPECT_EQ(idx.num_classes(), 3);

  const std::string path = dir_ + "/blocks.csv";
  std::ofstream(path) << Csv();
  DatasetUpload up;
  up.name = "blocks-csv";
  up.format = v1::DATA_FORMAT_CSV;
  up.features = UploadSource::FromFile(path);
  absl::StatusOr<v1::Dataset> csv = client_->UploadDataset(up);
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ(csv->rows(), kRows);
  EXPECT_THAT(csv->feature_shape(), ElementsAre(16));
  EXPECT_EQ(csv->num_classes(), 3);

  absl::StatusOr<v1::ListDatasetsResponse> list = client_->ListDatasets({});
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_THAT(list->datasets(), SizeIs(2));
  EXPECT_EQ(list->datasets(0).id(), idx.id());
  EXPECT_EQ(list->datasets(1).id(), csv->id());
  absl::StatusOr<v1::Dataset> got = client_->GetDataset(csv->id());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->name(), "blocks-csv");
}

TEST_F(ClientServiceTest, ValidateReturnsSummary) {
  v1::ValidateModelRequest request;
  *request.mutable_spec() = Spec();
  absl::StatusOr<v1::ValidateModelResponse> r = client_->ValidateModel(request);
  ASSERT_TRUE(r.ok()) << r.status();
  // 16*8+8 + 3*8+3 = 163 trainable parameters.
  EXPECT_EQ(r->summary().total_params(), 163);
  EXPECT_EQ(r->summary().trainable_params(), 163);
  EXPECT_THAT(r->summary().text(), HasSubstr("Total params: 163"));
}

TEST_F(ClientServiceTest, SubmitWatchPredict) {
  const v1::Dataset ds = UploadIdx();
  v1::Job job;
  const std::vector<v1::JobEvent> events = TrainToEnd(ds.id(), &job);
  ASSERT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.error_message();
  EXPECT_EQ(job.epochs_completed(), 2);
  ASSERT_THAT(job.history(), SizeIs(2));
  EXPECT_TRUE(job.history(1).has_val_loss());

  // Events: seq 1, 2, ... without gaps; two epoch ends; ends SUCCEEDED.
  ASSERT_FALSE(events.empty());
  int epoch_ends = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq(), static_cast<int64_t>(i + 1));
    epoch_ends += events[i].has_epoch_end();
  }
  EXPECT_EQ(epoch_ends, 2);
  EXPECT_EQ(events.back().state_change().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(events.back().seq(), job.last_seq());

  // Resuming after the last event delivers nothing and returns at once.
  int more = 0;
  EXPECT_EQ(client_->WatchJob(job.id(), job.last_seq(),
                              [&](const v1::JobEvent&) { return ++more > 0; }),
            absl::OkStatus());
  EXPECT_EQ(more, 0);

  std::vector<float> rows;
  for (int i = 0; i < 6; ++i) {
    for (int p = 0; p < 16; ++p) rows.push_back(Pixel(i, p));
  }
  absl::StatusOr<v1::PredictResponse> plain =
      client_->Predict(job.model_id(), rows, 16);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->version(), job.model_version());
  EXPECT_THAT(plain->probabilities().shape(), ElementsAre(6, 3));
  EXPECT_FALSE(plain->has_std());
  ASSERT_THAT(plain->top_class(), SizeIs(6));
  absl::StatusOr<std::vector<float>> probs =
      UnpackFloatTensor(plain->probabilities());
  ASSERT_TRUE(probs.ok()) << probs.status();
  for (size_t i = 0; i < 6; ++i) {
    const float* p = probs->data() + 3 * i;
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-4);
  }

  absl::StatusOr<v1::PredictResponse> mc =
      client_->Predict(job.model_id(), rows, 16, /*mc_samples=*/20);
  ASSERT_TRUE(mc.ok()) << mc.status();
  EXPECT_THAT(mc->probabilities().shape(), ElementsAre(6, 3));
  EXPECT_THAT(mc->std().shape(), ElementsAre(6, 3));
  absl::StatusOr<std::vector<float>> stds = UnpackFloatTensor(mc->std());
  ASSERT_TRUE(stds.ok()) << stds.status();
  for (float s : *stds) {
    EXPECT_GE(s, 0.0f);
    EXPECT_TRUE(std::isfinite(s));
  }

  absl::StatusOr<v1::ListModelsResponse> models = client_->ListModels({});
  ASSERT_TRUE(models.ok()) << models.status();
  ASSERT_THAT(models->models(), SizeIs(1));
  EXPECT_EQ(models->models(0).id(), job.model_id());
  EXPECT_EQ(models->models(0).name(), "tiny");  // the spec's name
  absl::StatusOr<v1::ListJobsResponse> jobs = client_->ListJobs({});
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_THAT(jobs->jobs(), SizeIs(1));

  // Cancelling a finished job is FAILED_PRECONDITION.
  EXPECT_EQ(client_->CancelJob(job.id()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ClientServiceTest, ErrorsComeBackWithCodeAndMessage) {
  absl::StatusOr<v1::Dataset> ds = client_->GetDataset("ds-nope");
  EXPECT_EQ(ds.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(ds.status().message(), HasSubstr("ds-nope"));
  EXPECT_EQ(client_->GetJob("job-nope").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->GetModel("m-nope").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->WatchJob("job-nope", 0,
                              [](const v1::JobEvent&) { return true; })
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->Predict("m-nope", std::vector<float>(16, 1.0f), 16)
                .status()
                .code(),
            absl::StatusCode::kNotFound);

  v1::SubmitJobRequest bad;
  *bad.mutable_spec() = Spec();
  bad.mutable_spec()->mutable_layers(1)->mutable_dense()->set_units(0);
  bad.set_dataset_id(UploadIdx().id());
  absl::StatusOr<v1::Job> job = client_->SubmitJob(bad);
  EXPECT_EQ(job.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(job.status().message(), HasSubstr("layers[1]"));

  DatasetUpload up;
  up.name = "bad";
  up.format = v1::DATA_FORMAT_IDX;
  up.features = UploadSource::FromBytes("not idx at all");
  up.labels = UploadSource::FromBytes(IdxLabels());
  EXPECT_EQ(client_->UploadDataset(up).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace profundo
