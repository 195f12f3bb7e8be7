// The service against an in-process server (ServiceTest,
// service_fixture.h): datasets, model validation, a table of bad inputs
// (each with its specific code and a message naming the field), the
// server's flags, health checking and reflection. Jobs are in
// jobs_test.cc, predictions in prediction_test.cc. Small synthetic data and
// tiny models keep it fast.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "server/predictor.h"
#include "server/server.h"
#include "tests/service/generic_calls.h"
#include "tests/service/service_fixture.h"
#include "tests/service/service_test_util.h"

namespace profundo::server {
namespace {

using ::profundo::server::testing::Call;
using ::profundo::server::testing::Config;
using ::profundo::server::testing::Header;
using ::profundo::server::testing::HealthCheck;
using ::profundo::server::testing::ListServices;
using ::profundo::server::testing::ParseSpec;
using ::profundo::server::testing::Synthetic;
using ::profundo::server::testing::TinySpec;
using ::profundo::server::testing::Upload;
using ::profundo::server::testing::UploadPlan;
using ::profundo::server::testing::WatchAll;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

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

TEST_F(ServiceTest, HealthCheckingAndReflection) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                     grpc::InsecureChannelCredentials());
  absl::StatusOr<std::string> health =
      HealthCheck(channel, "profundo.v1.Profundo");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, std::string("\x08\x01", 2));  // SERVING
  // An unknown service: NOT_FOUND (grpc.health.v1's contract).
  EXPECT_EQ(HealthCheck(channel, "no.such.Service").status().code(),
            absl::StatusCode::kNotFound);

  absl::StatusOr<std::string> services = ListServices(channel);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, HasSubstr("profundo.v1.Profundo"));
  EXPECT_THAT(*services, HasSubstr("grpc.health.v1.Health"));
}

}  // namespace
}  // namespace profundo::server
