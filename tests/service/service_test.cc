// The service against an in-process server: every RPC's happy path, and a
// table of bad inputs, each with its specific code and a message naming the
// field. Small synthetic data and tiny models keep it fast.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "server/predictor.h"
#include "server/server.h"
#include "tests/service/notification.h"
#include "tests/service/service_test_util.h"

namespace profundo::server {
namespace {

using ::profundo::server::testing::Call;
using ::profundo::server::testing::Config;
using ::profundo::server::testing::Header;
using ::profundo::server::testing::MakeTempDir;
using ::profundo::server::testing::Notification;
using ::profundo::server::testing::ParseSpec;
using ::profundo::server::testing::Synthetic;
using ::profundo::server::testing::TinySpec;
using ::profundo::server::testing::Upload;
using ::profundo::server::testing::UploadIdx;
using ::profundo::server::testing::UploadPlan;
using ::profundo::server::testing::WatchAll;
using ::profundo::server::testing::WatchUntil;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

using Stub = v1::Profundo::Stub;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(ServerOptions()); }

  void Start(ServerOptions options) {
    stub_.reset();
    server_.reset();
    if (options.data_dir.empty()) options.data_dir = MakeTempDir("service");
    options.listen = "127.0.0.1:0";
    options.progress_interval = absl::Milliseconds(20);
    auto server = ProfundoServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    stub_ = v1::Profundo::NewStub(server_->InProcessChannel());
  }

  v1::Dataset MustUpload(const Synthetic& data = Synthetic()) {
    absl::StatusOr<v1::Dataset> ds = UploadIdx(stub_.get(), data);
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
    return Call(stub_.get(), &Stub::SubmitJob, request);
  }

  absl::StatusOr<v1::Job> GetJob(const std::string& id) {
    v1::GetJobRequest request;
    request.set_job_id(id);
    return Call(stub_.get(), &Stub::GetJob, request);
  }

  absl::StatusOr<v1::Job> CancelJob(const std::string& id) {
    v1::CancelJobRequest request;
    request.set_job_id(id);
    return Call(stub_.get(), &Stub::CancelJob, request);
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
    return Call(stub_.get(), &Stub::Predict, request);
  }

  // Waits (by watching) until the job ends; returns its final state.
  v1::Job WaitForEnd(const std::string& id) {
    testing::WatchResult watch = WatchAll(stub_.get(), id);
    EXPECT_TRUE(watch.status.ok()) << watch.status;
    absl::StatusOr<v1::Job> job = GetJob(id);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : v1::Job();
  }

  // The first `n` rows of `data` as floats.
  static std::vector<float> Rows(const Synthetic& data, int n) {
    std::vector<uint8_t> px = data.Pixels();
    return std::vector<float>(px.begin(), px.begin() + n * data.h * data.w);
  }

  // Defined with its tests below.
  void ExpectConcurrentPredictionsGetTheirOwnRows(int64_t max_batch_rows);

  std::unique_ptr<ProfundoServer> server_;
  std::unique_ptr<Stub> stub_;
};

// ---------------------------------------------------------------- datasets

TEST_F(ServiceTest, DatasetsUploadGetListDelete) {
  Synthetic data;
  v1::Dataset idx = MustUpload(data);
  EXPECT_THAT(idx.id(), StartsWith("ds-"));
  EXPECT_EQ(idx.name(), "synthetic");
  EXPECT_EQ(idx.format(), v1::DATA_FORMAT_IDX);
  EXPECT_EQ(idx.rows(), 300);
  EXPECT_THAT(idx.feature_shape(), ElementsAre(4, 4));
  EXPECT_THAT(idx.label_shape(), ElementsAre());
  EXPECT_EQ(idx.num_classes(), 3);
  EXPECT_EQ(idx.size_bytes(), 16 + 300 * 16 + 8 + 300);
  EXPECT_GT(idx.create_time().seconds(), 1600000000);

  std::string csv = data.Csv();
  v1::UploadHeader csv_header = Header("table", v1::DATA_FORMAT_CSV, csv, "");
  csv_header.mutable_csv()->set_label_column("label");
  absl::StatusOr<v1::Dataset> table =
      Upload(stub_.get(), csv_header, csv, "");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->rows(), 300);
  EXPECT_THAT(table->feature_shape(), ElementsAre(16));
  EXPECT_EQ(table->num_classes(), 3);

  std::string x = data.NpyX();
  std::string y = data.NpyY();
  absl::StatusOr<v1::Dataset> npy =
      Upload(stub_.get(), Header("arrays", v1::DATA_FORMAT_NPY, x, y), x, y);
  ASSERT_TRUE(npy.ok()) << npy.status();
  EXPECT_EQ(npy->rows(), 300);
  EXPECT_THAT(npy->feature_shape(), ElementsAre(16));
  EXPECT_EQ(npy->num_classes(), 3);

  v1::GetDatasetRequest get;
  get.set_dataset_id(idx.id());
  absl::StatusOr<v1::Dataset> got = Call(stub_.get(), &Stub::GetDataset, get);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->SerializeAsString(), idx.SerializeAsString());

  v1::ListDatasetsRequest list;
  list.set_page_size(2);
  auto page1 = Call(stub_.get(), &Stub::ListDatasets, list);
  ASSERT_TRUE(page1.ok());
  ASSERT_THAT(page1->datasets(), SizeIs(2));
  EXPECT_EQ(page1->datasets(0).id(), idx.id());
  EXPECT_EQ(page1->datasets(1).id(), table->id());
  ASSERT_FALSE(page1->next_page_token().empty());
  list.set_page_token(page1->next_page_token());
  auto page2 = Call(stub_.get(), &Stub::ListDatasets, list);
  ASSERT_TRUE(page2.ok());
  ASSERT_THAT(page2->datasets(), SizeIs(1));
  EXPECT_EQ(page2->datasets(0).id(), npy->id());
  EXPECT_TRUE(page2->next_page_token().empty());

  v1::DeleteDatasetRequest del;
  del.set_dataset_id(table->id());
  ASSERT_TRUE(Call(stub_.get(), &Stub::DeleteDataset, del).ok());
  get.set_dataset_id(table->id());
  EXPECT_TRUE(absl::IsNotFound(Call(stub_.get(), &Stub::GetDataset, get).status()));
  list.Clear();
  EXPECT_THAT(Call(stub_.get(), &Stub::ListDatasets, list)->datasets(), SizeIs(2));
}

// ------------------------------------------------------------------ models

TEST_F(ServiceTest, ValidateModelReturnsTheKerasSummary) {
  v1::ValidateModelRequest request;
  *request.mutable_spec() = TinySpec();
  auto response = Call(stub_.get(), &Stub::ValidateModel, request);
  ASSERT_TRUE(response.ok()) << response.status();
  const v1::ModelSummary& s = response->summary();
  ASSERT_THAT(s.layers(), SizeIs(3));
  EXPECT_EQ(s.layers(0).type(), "Flatten");
  EXPECT_THAT(s.layers(0).output_shape(), ElementsAre(16));
  EXPECT_EQ(s.layers(0).params(), 0);
  EXPECT_EQ(s.layers(1).type(), "Dense");
  EXPECT_THAT(s.layers(1).output_shape(), ElementsAre(8));
  EXPECT_EQ(s.layers(1).params(), 16 * 8 + 8);
  EXPECT_EQ(s.layers(2).params(), 8 * 3 + 3);
  EXPECT_EQ(s.total_params(), 163);
  EXPECT_EQ(s.trainable_params(), 163);
  EXPECT_EQ(s.non_trainable_params(), 0);
  EXPECT_THAT(s.text(), HasSubstr("163"));

  // Without input_shape, the dataset's feature shape is used.
  v1::Dataset ds = MustUpload();
  request.mutable_spec()->mutable_layers(0)->mutable_flatten()->clear_input_shape();
  request.set_dataset_id(ds.id());
  *request.mutable_config() = Config(2);
  response = Call(stub_.get(), &Stub::ValidateModel, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->summary().total_params(), 163);
}

// ------------------------------------------------------------- bad inputs

struct BadCase {
  std::string name;
  std::function<absl::Status()> call;
  absl::StatusCode code;
  std::string field;  // the message must contain it
};

TEST_F(ServiceTest, BadInputsGetSpecificCodesNamingTheField) {
  Synthetic data;
  v1::Dataset ds = MustUpload(data);
  std::string x = data.IdxImages();
  std::string y = data.IdxLabels();

  auto validate = [&](v1::ModelSpec spec) {
    v1::ValidateModelRequest request;
    *request.mutable_spec() = std::move(spec);
    request.set_dataset_id(ds.id());
    return Call(stub_.get(), &Stub::ValidateModel, request).status();
  };
  auto submit = [&](v1::ModelSpec spec) {
    return Submit(spec, ds.id(), Config(1)).status();
  };
  auto with = [](std::function<void(v1::ModelSpec*)> edit) {
    v1::ModelSpec spec = TinySpec();
    edit(&spec);
    return spec;
  };
  // Labels 0..3 against a 3-unit head.
  Synthetic four = data;
  four.classes = 4;
  v1::Dataset ds4 = MustUpload(four);
  // An IDX file with zero rows.
  Synthetic none = data;
  none.rows = 0;

  const BadCase cases[] = {
      {"malformed spec: no layers",
       [&] { return validate(ParseSpec(R"pb(loss: "mse")pb")); },
       absl::StatusCode::kInvalidArgument, "spec.layers"},
      {"unknown layer (no kind)",
       [&] { return submit(with([](v1::ModelSpec* s) { s->mutable_layers(1)->clear_dense(); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[1]"},
      {"unknown activation",
       [&] { return submit(with([](v1::ModelSpec* s) {
           s->mutable_layers(1)->mutable_dense()->set_activation("relux"); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[1].dense.activation"},
      {"units <= 0",
       [&] { return validate(with([](v1::ModelSpec* s) {
           s->mutable_layers(1)->mutable_dense()->set_units(0); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[1].dense.units"},
      {"unknown loss",
       [&] { return submit(with([](v1::ModelSpec* s) { s->set_loss("hinge"); })); },
       absl::StatusCode::kInvalidArgument, "spec.loss"},
      {"input shape does not match the dataset",
       [&] { return submit(with([](v1::ModelSpec* s) {
           auto* f = s->mutable_layers(0)->mutable_flatten();
           f->clear_input_shape();
           f->add_input_shape(28);
           f->add_input_shape(28); })); },
       absl::StatusCode::kInvalidArgument,
       "spec.layers[0].flatten.input_shape [28, 28] does not match dataset_id"},
      {"labels out of range for the output units",
       [&] { return Submit(TinySpec(), ds4.id(), Config(1)).status(); },
       absl::StatusCode::kInvalidArgument, "dataset_id " + ds4.id() + " labels go up to 3"},
      {"bad config",
       [&] { v1::TrainConfig c = Config(1); c.set_batch_size(0);
             return Submit(TinySpec(), ds.id(), c).status(); },
       absl::StatusCode::kInvalidArgument, "config.batch_size"},
      {"bad client job id",
       [&] { return Submit(TinySpec(), ds.id(), Config(1), "Bad/Id").status(); },
       absl::StatusCode::kInvalidArgument, "job_id"},
      {"truncated upload (fewer bytes than declared)",
       [&] { UploadPlan plan; plan.declared_extra = 10;
             return Upload(stub_.get(), Header("t", v1::DATA_FORMAT_IDX, x, y), x, y, plan).status(); },
       absl::StatusCode::kInvalidArgument, "truncated upload"},
      {"truncated upload (no trailer)",
       [&] { UploadPlan plan; plan.send_trailer = false;
             return Upload(stub_.get(), Header("t", v1::DATA_FORMAT_IDX, x, y), x, y, plan).status(); },
       absl::StatusCode::kInvalidArgument, "trailer"},
      {"checksum mismatch",
       [&] { UploadPlan plan; plan.crc_xor = 1;
             return Upload(stub_.get(), Header("t", v1::DATA_FORMAT_IDX, x, y), x, y, plan).status(); },
       absl::StatusCode::kInvalidArgument, "trailer.features_crc32"},
      {"empty dataset (no bytes)",
       [&] { return Upload(stub_.get(), Header("t", v1::DATA_FORMAT_CSV, "", ""), "", "").status(); },
       absl::StatusCode::kInvalidArgument, "header.features_bytes"},
      {"empty dataset (no rows)",
       [&] { std::string nx = none.IdxImages(), ny = none.IdxLabels();
             return Upload(stub_.get(), Header("t", v1::DATA_FORMAT_IDX, nx, ny), nx, ny).status(); },
       absl::StatusCode::kInvalidArgument, "no rows"},
      {"unparseable features",
       [&] { std::string bad = "not an idx file";
             return Upload(stub_.get(), Header("t", v1::DATA_FORMAT_IDX, bad, y), bad, y).status(); },
       absl::StatusCode::kInvalidArgument, "features:"},
      {"missing format",
       [&] { return Upload(stub_.get(), Header("t", v1::DATA_FORMAT_UNSPECIFIED, x, y), x, y).status(); },
       absl::StatusCode::kInvalidArgument, "header.format"},
      {"upload above the size limit",
       [&] { v1::UploadHeader h = Header("t", v1::DATA_FORMAT_IDX, x, y);
             h.set_features_bytes(int64_t{1} << 40);
             return Upload(stub_.get(), h, "", "").status(); },
       absl::StatusCode::kResourceExhausted, "max_upload_bytes"},
      {"unknown dataset id",
       [&] { v1::GetDatasetRequest r; r.set_dataset_id("ds-nope");
             return Call(stub_.get(), &Stub::GetDataset, r).status(); },
       absl::StatusCode::kNotFound, "dataset_id"},
      {"submit with an unknown dataset",
       [&] { return Submit(TinySpec(), "ds-nope", Config(1)).status(); },
       absl::StatusCode::kNotFound, "dataset_id"},
      {"unknown job id",
       [&] { return GetJob("job-nope").status(); },
       absl::StatusCode::kNotFound, "job_id"},
      {"cancel an unknown job",
       [&] { return CancelJob("job-nope").status(); },
       absl::StatusCode::kNotFound, "job_id"},
      {"watch an unknown job",
       [&] { return WatchAll(stub_.get(), "job-nope").status; },
       absl::StatusCode::kNotFound, "job_id"},
      {"unknown model id",
       [&] { v1::GetModelRequest r; r.set_model_id("m-nope");
             return Call(stub_.get(), &Stub::GetModel, r).status(); },
       absl::StatusCode::kNotFound, "model_id"},
      {"predict with an unknown model",
       [&] { return Predict("m-nope", {1, 2}, {1, 2}).status(); },
       absl::StatusCode::kNotFound, "model_id"},
      {"bad page token",
       [&] { v1::ListJobsRequest r; r.set_page_token("garbage!");
             return Call(stub_.get(), &Stub::ListJobs, r).status(); },
       absl::StatusCode::kInvalidArgument, "page_token"},
  };
  for (const BadCase& c : cases) {
    absl::Status status = c.call();
    EXPECT_EQ(status.code(), c.code) << c.name << ": " << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.field)) << c.name;
  }
  // Nothing bad was stored.
  v1::ListDatasetsRequest list;
  EXPECT_THAT(Call(stub_.get(), &Stub::ListDatasets, list)->datasets(), SizeIs(2));
  v1::ListJobsRequest jobs;
  EXPECT_THAT(Call(stub_.get(), &Stub::ListJobs, jobs)->jobs(), SizeIs(0));
}

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
  for (size_t i = 0; i < watch.events.size(); ++i) {
    const v1::JobEvent& e = watch.events[i];
    EXPECT_EQ(e.seq(), static_cast<int64_t>(i) + 1);
    EXPECT_EQ(e.job_id(), job->id());
    if (e.has_state_change()) states.push_back(e.state_change().state());
    if (e.has_epoch_end()) {
      EXPECT_EQ(e.epoch_end().epoch(), epochs++);
      EXPECT_GT(e.epoch_end().loss(), 0);
      EXPECT_DOUBLE_EQ(e.epoch_end().lr(), 0.01);
    }
    if (e.has_batch_progress()) {
      ++progress;
      EXPECT_EQ(e.batch_progress().batches(), 19);  // ceil(300 / 16)
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

TEST_F(ServiceTest, McDropoutPredictionHasMeanAndStd) {
  Synthetic data;
  v1::Dataset ds = MustUpload(data);
  v1::ModelSpec spec = ParseSpec(R"pb(
    layers { flatten { input_shape: [ 4, 4 ] } }
    layers { dense { units: 16 activation: "relu" } }
    layers { mc_dropout { rate: 0.3 } }
    layers { dense { units: 3 activation: "softmax" } }
    loss: "sparse_categorical_crossentropy"
    optimizer { adam {} learning_rate: 0.01 }
    metrics: "accuracy"
  )pb");
  absl::StatusOr<v1::Job> job = Submit(spec, ds.id(), Config(2));
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(WaitForEnd(job->id()).state(), v1::JOB_STATE_SUCCEEDED);
  absl::StatusOr<v1::PredictResponse> p =
      Predict(job->model_id(), Rows(data, 5), {5, 4, 4}, /*mc_samples=*/50);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->probabilities().shape(), ElementsAre(5, 3));
  EXPECT_THAT(p->std().shape(), ElementsAre(5, 3));
  double total_std = 0;
  for (float s : p->std().values()) {
    EXPECT_GE(s, 0);
    total_std += s;
  }
  EXPECT_GT(total_std, 0);  // dropout stays active: the samples differ
}

// The predictor caches resolved versions; a newly READY version must still
// be what version 0 means from then on, and older versions stay reachable.
TEST_F(ServiceTest, PredictServesTheLatestReadyVersion) {
  Synthetic data;
  v1::Dataset ds = MustUpload(data);
  absl::StatusOr<v1::Job> first = Submit(TinySpec(), ds.id(), Config(1), "", "versioned");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(WaitForEnd(first->id()).state(), v1::JOB_STATE_SUCCEEDED);
  for (int i = 0; i < 3; ++i) {  // the second and third hit the cache
    absl::StatusOr<v1::PredictResponse> p =
        Predict(first->model_id(), Rows(data, 1), {1, 16});
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->version(), 1);
  }
  absl::StatusOr<v1::Job> second = Submit(TinySpec(), ds.id(), Config(2), "", "versioned");
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->model_id(), first->model_id());
  ASSERT_EQ(second->model_version(), 2);
  ASSERT_EQ(WaitForEnd(second->id()).state(), v1::JOB_STATE_SUCCEEDED);
  absl::StatusOr<v1::PredictResponse> latest =
      Predict(first->model_id(), Rows(data, 1), {1, 16});
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->version(), 2);
  v1::PredictRequest older;
  older.set_model_id(first->model_id());
  older.set_version(1);
  older.mutable_inputs()->add_shape(1);
  older.mutable_inputs()->add_shape(16);
  for (float v : Rows(data, 1)) older.mutable_inputs()->add_values(v);
  absl::StatusOr<v1::PredictResponse> one = Call(stub_.get(), &Stub::Predict, older);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->version(), 1);
}

// Concurrent plain predictions share forward passes (Predictor batching):
// each caller still gets the answer for its own rows, as a lone request
// would (to float rounding), and a malformed request in a batch fails alone.
// No pass takes more than `max_batch_rows` rows, and every request's rows
// are counted once.
void ServiceTest::ExpectConcurrentPredictionsGetTheirOwnRows(
    int64_t max_batch_rows) {
  Synthetic data;
  v1::Dataset ds = MustUpload(data);
  absl::StatusOr<v1::Job> job = Submit(TinySpec(), ds.id(), Config(1));
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(WaitForEnd(job->id()).state(), v1::JOB_STATE_SUCCEEDED);
  const std::vector<float> all = Rows(data, 40);
  auto rows = [&](int first, int n) {
    return std::vector<float>(all.begin() + first * 16, all.begin() + (first + n) * 16);
  };
  std::vector<v1::PredictResponse> alone(40);
  for (int r = 0; r < 40; ++r) {
    absl::StatusOr<v1::PredictResponse> p =
        Predict(job->model_id(), rows(r, 1), {1, 16});
    ASSERT_TRUE(p.ok()) << p.status();
    alone[r] = *p;
  }
  constexpr int kThreads = 12;
  std::vector<std::thread> threads;
  std::vector<std::string> failures(kThreads);
  std::vector<int64_t> rows_sent(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const int first = (t * 7 + i * 3) % 38;
        const int n = 1 + (t + i) % 3;  // 1 to 3 rows
        if (t == 0 && i % 5 == 0) {     // wrong row size: fails alone
          ++rows_sent[t];
          if (!absl::IsInvalidArgument(
                  Predict(job->model_id(), std::vector<float>(15), {1, 15})
                      .status())) {
            failures[t] = "a malformed request did not fail with INVALID_ARGUMENT";
          }
          continue;
        }
        rows_sent[t] += n;
        absl::StatusOr<v1::PredictResponse> p =
            Predict(job->model_id(), rows(first, n), {n, 4, 4});
        if (!p.ok() || p->top_class_size() != n ||
            p->probabilities().shape(0) != n) {
          failures[t] = p.ok() ? "wrong row count" : p.status().ToString();
          return;
        }
        for (int r = 0; r < n; ++r) {
          const v1::PredictResponse& want = alone[first + r];
          for (int c = 0; c < 3; ++c) {
            if (std::abs(p->probabilities().values(r * 3 + c) -
                         want.probabilities().values(c)) > 1e-5) {
              failures[t] = absl::StrCat("row ", first + r, " differs");
            }
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& f : failures) EXPECT_EQ(f, "");
  int64_t rows_in_all = 40;  // the lone predictions
  for (int64_t r : rows_sent) rows_in_all += r;
  const Predictor::BatchStats stats = server_->prediction_batches();
  EXPECT_EQ(stats.rows, rows_in_all);
  EXPECT_LE(stats.largest_rows, max_batch_rows);
  EXPECT_GE(stats.largest_rows, 1);
  EXPECT_GE(stats.batches, (rows_in_all + max_batch_rows - 1) / max_batch_rows);
  EXPECT_LE(stats.batches, 40 + kThreads * 20);  // one per request at most
}

TEST_F(ServiceTest, ConcurrentPredictionsGetTheirOwnRows) {
  ExpectConcurrentPredictionsGetTheirOwnRows(Predictor::kDefaultBatchRows);
}

// --predict_batch_rows=4: one- to three-row requests still share passes of
// at most 4 rows.
TEST_F(ServiceTest, ConcurrentPredictionsWithASmallBatchCap) {
  ServerOptions options;
  options.predict_batch_rows = 4;
  Start(options);
  ExpectConcurrentPredictionsGetTheirOwnRows(4);
}

// A batched forward pass runs its rows padded to the next multiple of 8:
// at most 8 shapes per model, what each layer's primitive cache keeps.
TEST(PredictorTest, BatchRowsArePaddedToMultiplesOfEight) {
  EXPECT_EQ(Predictor::PaddedRows(1), 8);
  EXPECT_EQ(Predictor::PaddedRows(7), 8);
  EXPECT_EQ(Predictor::PaddedRows(8), 8);
  EXPECT_EQ(Predictor::PaddedRows(9), 16);
  EXPECT_EQ(Predictor::PaddedRows(50), 56);
  EXPECT_EQ(Predictor::PaddedRows(Predictor::kMaxBatchRows), 64);
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

// ---------------------------------------------------------------- options

TEST(ServerOptionsTest, FlagsAreValidated) {
  ServerOptions o;
  o.data_dir = "/tmp/x";
  EXPECT_TRUE(ValidateServerOptions(o, 2).ok());
  o.workers = 2;
  o.threads_per_worker = 2;
  absl::Status over = ValidateServerOptions(o, 2);
  EXPECT_TRUE(absl::IsInvalidArgument(over));
  EXPECT_THAT(std::string(over.message()),
              HasSubstr("--workers (2) x --threads_per_worker (2)"));
  EXPECT_TRUE(ValidateServerOptions(o, 4).ok());
  o.data_dir.clear();
  EXPECT_THAT(std::string(ValidateServerOptions(o, 4).message()),
              HasSubstr("--data_dir"));
  o.data_dir = "/tmp/x";
  o.max_queued_jobs = 0;
  EXPECT_THAT(std::string(ValidateServerOptions(o, 4).message()),
              HasSubstr("--max_queued_jobs"));
  o.max_queued_jobs = 1;
  o.predict_threads = 0;
  EXPECT_THAT(std::string(ValidateServerOptions(o, 4).message()),
              HasSubstr("--predict_threads"));
  o.predict_threads = 1;
  for (int64_t rows : {int64_t{0}, Predictor::kMaxBatchRows + 1}) {
    o.predict_batch_rows = rows;
    EXPECT_THAT(std::string(ValidateServerOptions(o, 4).message()),
                HasSubstr("--predict_batch_rows must be in [1, 64]"));
  }
  o.predict_batch_rows = 1;
  EXPECT_TRUE(ValidateServerOptions(o, 4).ok());
  o.predict_batch_rows = Predictor::kMaxBatchRows;
  EXPECT_TRUE(ValidateServerOptions(o, 4).ok());
  o.training_nice = 20;
  EXPECT_THAT(std::string(ValidateServerOptions(o, 4).message()),
              HasSubstr("--training_nice"));
  o.training_nice = 19;
  EXPECT_TRUE(ValidateServerOptions(o, 4).ok());
}

// -------------------------------------------------- health and reflection

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

TEST_F(ServiceTest, HealthCheckingAndReflection) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);

  // grpc.health.v1.Health/Check {service: "profundo.v1.Profundo"}.
  const std::string service = "profundo.v1.Profundo";
  grpc::ByteBuffer request =
      Buffer(std::string("\x0a") + static_cast<char>(service.size()) + service);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  Notification done;
  grpc::Status status;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                    &request, &response, [&](grpc::Status s) {
                      status = s;
                      done.Notify();
                    });
  done.WaitForNotification();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Bytes(response), std::string("\x08\x01", 2));  // SERVING

  // grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo
  // {list_services: ""} lists our service.
  class Reflect : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
   public:
    explicit Reflect(grpc::GenericStub* stub) {
      request_ = Buffer(std::string("\x3a\x00", 2));
      stub->PrepareBidiStreamingCall(
          &context_, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
          grpc::StubOptions(), this);
      StartWrite(&request_);
      StartRead(&response_);
      StartCall();
    }
    void OnWriteDone(bool) override { StartWritesDone(); }
    void OnReadDone(bool ok) override {
      if (ok) text_ = Bytes(response_);
    }
    void OnDone(const grpc::Status& s) override {
      status_ = s;
      done_.Notify();
    }
    std::string Wait() {
      done_.WaitForNotification();
      return text_;
    }

   private:
    grpc::ClientContext context_;
    grpc::ByteBuffer request_, response_;
    std::string text_;
    grpc::Status status_;
    Notification done_;
  } reflect(&generic);
  EXPECT_THAT(reflect.Wait(), HasSubstr("profundo.v1.Profundo"));
}

}  // namespace
}  // namespace profundo::server
