// A corpus of hostile inputs against a running server (127.0.0.1:0, real
// socket): path-traversal and control-character names and ids, lying upload
// sizes and checksums, chunks out of order or for the wrong part, NaN/Inf
// data, negative and huge tensor shapes, enormous specs, unknown enum
// values, interrupted streams. Every case asserts the exact gRPC code and
// that the message names the field (and the flag, for limits); after every
// case the server still answers (health, ListDatasets), the catalog lists
// the same datasets, models and jobs, and the data dir holds the same files.
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "server/blob_store.h"
#include "server/predictor.h"
#include "server/server.h"
#include "server/sqlite_catalog.h"
#include "tests/gzip_util.h"
#include "tests/service/notification.h"
#include "tests/service/service_test_util.h"

namespace profundo::server {
namespace {

using ::profundo::server::testing::Call;
using ::profundo::testing::Gzip;
using ::profundo::server::testing::ChunkMessage;
using ::profundo::server::testing::Config;
using ::profundo::server::testing::Header;
using ::profundo::server::testing::MakeTempDir;
using ::profundo::server::testing::Notification;
using ::profundo::server::testing::Synthetic;
using ::profundo::server::testing::TinySpec;
using ::profundo::server::testing::Upload;
using ::profundo::server::testing::UploadIdx;
using ::profundo::server::testing::UploadPlan;
using ::profundo::server::testing::WatchAll;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

using Stub = v1::Profundo::Stub;
using Messages = std::vector<v1::UploadDatasetRequest>;

constexpr int64_t kHuge = int64_t{1} << 40;

struct HostileCase {
  std::string name;
  std::function<absl::Status()> call;
  absl::StatusCode code;
  std::string field;  // the message must contain it
};

// Sends `messages` as one UploadDataset stream. `cancel_after` >= 0: the
// client cancels after that many messages instead of closing the stream,
// once they had half a second to reach the server.
absl::Status SendUpload(Stub* stub, const Messages& messages,
                        int cancel_after = -1) {
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

v1::UploadDatasetRequest HeaderMessage(const v1::UploadHeader& header) {
  v1::UploadDatasetRequest m;
  *m.mutable_header() = header;
  return m;
}

v1::UploadDatasetRequest Trailer(const std::string& features,
                                 const std::string& labels) {
  v1::UploadDatasetRequest m;
  m.mutable_trailer()->set_features_crc32(Crc32(features));
  if (!labels.empty()) m.mutable_trailer()->set_labels_crc32(Crc32(labels));
  return m;
}

// A well-formed two-part stream (header, one chunk per part, trailer).
Messages Stream(const std::string& name, v1::DataFormat format,
                const std::string& x, const std::string& y) {
  Messages m = {HeaderMessage(Header(name, format, x, y)),
                ChunkMessage(v1::DATASET_PART_FEATURES, x)};
  if (!y.empty()) m.push_back(ChunkMessage(v1::DATASET_PART_LABELS, y));
  m.push_back(Trailer(x, y));
  return m;
}

// IDX with element type float (0x0D), shape [rows, cols], big-endian.
std::string IdxFloats(int rows, int cols, const std::vector<float>& values) {
  std::string out;
  testing::PutBigEndian32(&out, 0x00000D02);
  testing::PutBigEndian32(&out, rows);
  testing::PutBigEndian32(&out, cols);
  for (float f : values) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    testing::PutBigEndian32(&out, bits);
  }
  return out;
}

std::string NpyFloats(int rows, int cols, const std::vector<float>& values) {
  std::string body(reinterpret_cast<const char*>(values.data()),
                   values.size() * sizeof(float));
  return Synthetic::Npy("<f4", absl::StrCat("(", rows, ", ", cols, ")"), body);
}

std::string NpyLabels(const std::vector<int64_t>& labels) {
  std::string body(reinterpret_cast<const char*>(labels.data()),
                   labels.size() * sizeof(int64_t));
  return Synthetic::Npy("<i8", absl::StrCat("(", labels.size(), ",)"), body);
}

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("hostile");
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
    absl::StatusOr<v1::Dataset> ds = UploadIdx(stub_.get(), data_);
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
    auto datasets = Call(stub_.get(), &Stub::ListDatasets, v1::ListDatasetsRequest());
    if (!datasets.ok()) return datasets.status().ToString();
    for (const auto& d : datasets->datasets()) absl::StrAppend(&out, " ", d.id());
    auto models = Call(stub_.get(), &Stub::ListModels, v1::ListModelsRequest());
    if (!models.ok()) return models.status().ToString();
    absl::StrAppend(&out, "\nmodels:");
    for (const auto& m : models->models()) {
      absl::StrAppend(&out, " ", m.id(), "/", m.versions_size());
    }
    auto jobs = Call(stub_.get(), &Stub::ListJobs, v1::ListJobsRequest());
    if (!jobs.ok()) return jobs.status().ToString();
    absl::StrAppend(&out, "\njobs:");
    for (const auto& j : jobs->jobs()) absl::StrAppend(&out, " ", j.id());
    absl::StrAppend(&out, "\nfiles:");
    for (const std::string& f : Files()) absl::StrAppend(&out, " ", f);
    return out;
  }

  // grpc.health.v1.Health/Check for our service over the socket.
  bool Healthy() {
    grpc::GenericStub generic(channel_);
    const std::string service = "profundo.v1.Profundo";
    std::string bytes = std::string("\x0a") + static_cast<char>(service.size()) + service;
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    Notification done;
    grpc::Status status;
    generic.UnaryCall(&context, "/grpc.health.v1.Health/Check",
                      grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        status = s;
                        done.Notify();
                      });
    done.WaitForNotification();
    std::vector<grpc::Slice> slices;
    if (!status.ok() || !response.Dump(&slices).ok()) return false;
    std::string text;
    for (const grpc::Slice& s : slices) {
      text.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    return text == std::string("\x08\x01", 2);  // SERVING
  }

  // Runs each case; checks its code and message, that the server still
  // answers, and that the store is as before. A cancelled call may still be
  // unwinding on the server: the store gets a few seconds to settle.
  void RunCases(const std::vector<HostileCase>& cases) {
    const std::string before = Snapshot();
    for (const HostileCase& c : cases) {
      absl::Status status = c.call();
      EXPECT_EQ(status.code(), c.code) << c.name << ": " << status;
      EXPECT_THAT(std::string(status.message()), HasSubstr(c.field))
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
    return Call(stub_.get(), &Stub::GetDataset, r).status();
  }

  absl::Status Validate(const v1::ModelSpec& spec) {
    v1::ValidateModelRequest r;
    *r.mutable_spec() = spec;
    r.set_dataset_id(dataset_.id());
    return Call(stub_.get(), &Stub::ValidateModel, r).status();
  }

  absl::Status Submit(const v1::ModelSpec& spec,
                      std::function<void(v1::SubmitJobRequest*)> edit = nullptr) {
    v1::SubmitJobRequest r;
    *r.mutable_spec() = spec;
    r.set_dataset_id(dataset_.id());
    *r.mutable_config() = Config(1);
    if (edit) edit(&r);
    return Call(stub_.get(), &Stub::SubmitJob, r).status();
  }

  // Trains TinySpec for one epoch; returns the model id.
  std::string TrainTinyModel() {
    v1::SubmitJobRequest r;
    *r.mutable_spec() = TinySpec();
    r.set_dataset_id(dataset_.id());
    *r.mutable_config() = Config(1);
    auto job = Call(stub_.get(), &Stub::SubmitJob, r);
    EXPECT_TRUE(job.ok()) << job.status();
    if (!job.ok()) return "";
    testing::WatchResult watch = WatchAll(stub_.get(), job->id());
    EXPECT_TRUE(watch.status.ok()) << watch.status;
    v1::GetJobRequest get;
    get.set_job_id(job->id());
    auto done = Call(stub_.get(), &Stub::GetJob, get);
    EXPECT_TRUE(done.ok() && done->state() == v1::JOB_STATE_SUCCEEDED);
    return job->model_id();
  }

  Synthetic data_;  // 300 rows of 4x4, 3 classes
  std::string dir_;
  std::unique_ptr<ProfundoServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
  v1::Dataset dataset_;
};

// ------------------------------------------------------- names and ids

TEST_F(HostileInputTest, MalformedIdsAndNamesAreRefused) {
  const std::string x = data_.IdxImages(), y = data_.IdxLabels();
  const std::string traversal = "../../etc/passwd";
  const std::string nul("a\0b", 3);
  const std::string long_id(10'000, 'a');
  std::vector<HostileCase> cases;
  for (const std::string& id : {traversal, std::string("a/b"), nul, long_id,
                                std::string("DS-UPPER"), std::string("")}) {
    const std::string shown = id.substr(0, 20);
    cases.push_back({"GetDataset " + shown, [&, id] { return GetDataset(id); },
                     absl::StatusCode::kInvalidArgument, "dataset_id"});
    cases.push_back({"DeleteDataset " + shown,
                     [&, id] {
                       v1::DeleteDatasetRequest r;
                       r.set_dataset_id(id);
                       return Call(stub_.get(), &Stub::DeleteDataset, r).status();
                     },
                     absl::StatusCode::kInvalidArgument, "dataset_id"});
    cases.push_back({"GetModel " + shown,
                     [&, id] {
                       v1::GetModelRequest r;
                       r.set_model_id(id);
                       return Call(stub_.get(), &Stub::GetModel, r).status();
                     },
                     absl::StatusCode::kInvalidArgument, "model_id"});
    cases.push_back({"GetJob " + shown,
                     [&, id] {
                       v1::GetJobRequest r;
                       r.set_job_id(id);
                       return Call(stub_.get(), &Stub::GetJob, r).status();
                     },
                     absl::StatusCode::kInvalidArgument, "job_id"});
    cases.push_back({"CancelJob " + shown,
                     [&, id] {
                       v1::CancelJobRequest r;
                       r.set_job_id(id);
                       return Call(stub_.get(), &Stub::CancelJob, r).status();
                     },
                     absl::StatusCode::kInvalidArgument, "job_id"});
    cases.push_back({"WatchJob " + shown,
                     [&, id] { return WatchAll(stub_.get(), id, 0, 10).status; },
                     absl::StatusCode::kInvalidArgument, "job_id"});
    cases.push_back({"Predict " + shown,
                     [&, id] {
                       v1::PredictRequest r;
                       r.set_model_id(id);
                       r.mutable_inputs()->add_shape(1);
                       r.mutable_inputs()->add_values(1);
                       return Call(stub_.get(), &Stub::Predict, r).status();
                     },
                     absl::StatusCode::kInvalidArgument, "model_id"});
    if (id.empty()) continue;  // empty means "no filter" / "server picks"
    cases.push_back({"SubmitJob job_id " + shown,
                     [&, id] {
                       return Submit(TinySpec(), [&](v1::SubmitJobRequest* r) {
                         r->set_job_id(id);
                       });
                     },
                     absl::StatusCode::kInvalidArgument, "job_id"});
    cases.push_back({"SubmitJob dataset_id " + shown,
                     [&, id] {
                       return Submit(TinySpec(), [&](v1::SubmitJobRequest* r) {
                         r->set_dataset_id(id);
                       });
                     },
                     absl::StatusCode::kInvalidArgument, "dataset_id"});
    cases.push_back({"SubmitJob validation_dataset_id " + shown,
                     [&, id] {
                       return Submit(TinySpec(), [&](v1::SubmitJobRequest* r) {
                         r->set_validation_dataset_id(id);
                       });
                     },
                     absl::StatusCode::kInvalidArgument, "validation_dataset_id"});
    cases.push_back({"ListJobs dataset_id " + shown,
                     [&, id] {
                       v1::ListJobsRequest r;
                       r.set_dataset_id(id);
                       return Call(stub_.get(), &Stub::ListJobs, r).status();
                     },
                     absl::StatusCode::kInvalidArgument, "dataset_id"});
  }
  // Names are labels, never paths, but no control characters and <= 200
  // bytes.
  for (const std::string& name :
       {nul, std::string("line\nbreak"), std::string("\x1b[31mred"),
        std::string("tab\there"), std::string("del\x7f"), std::string(201, 'n')}) {
    const std::string shown = absl::CHexEscape(name.substr(0, 12));
    cases.push_back({"upload name " + shown,
                     [&, name] {
                       return SendUpload(stub_.get(),
                                         Stream(name, v1::DATA_FORMAT_IDX, x, y));
                     },
                     absl::StatusCode::kInvalidArgument, "header.name"});
    cases.push_back({"model_name " + shown,
                     [&, name] {
                       return Submit(TinySpec(), [&](v1::SubmitJobRequest* r) {
                         r->set_model_name(name);
                       });
                     },
                     absl::StatusCode::kInvalidArgument, "model_name"});
    cases.push_back({"spec.name " + shown,
                     [&, name] {
                       v1::ModelSpec spec = TinySpec();
                       spec.set_name(name);
                       return Validate(spec);
                     },
                     absl::StatusCode::kInvalidArgument, "spec.name"});
    cases.push_back({"layer name " + shown,
                     [&, name] {
                       v1::ModelSpec spec = TinySpec();
                       spec.mutable_layers(1)->set_name(name);
                       return Submit(spec);
                     },
                     absl::StatusCode::kInvalidArgument, "spec.layers[1].name"});
    cases.push_back({"ListModels name " + shown,
                     [&, name] {
                       v1::ListModelsRequest r;
                       r.set_name(name);
                       return Call(stub_.get(), &Stub::ListModels, r).status();
                     },
                     absl::StatusCode::kInvalidArgument, "name"});
  }
  // Not UTF-8: proto3 strings must be, so gRPC's deserializer refuses the
  // message before our code sees it. A stream then just ends (the upload
  // has no header); a unary call gets gRPC 1.51's own answer, UNIMPLEMENTED
  // with no message (this pins it: a gRPC upgrade that changes it should
  // be noticed).
  cases.push_back({"upload name not UTF-8",
                   [&] {
                     return SendUpload(stub_.get(), Stream("\xff\xfe", v1::DATA_FORMAT_IDX, x, y));
                   },
                   absl::StatusCode::kInvalidArgument, "header: the stream is empty"});
  cases.push_back({"dataset_id not UTF-8",
                   [&] { return GetDataset("ds-\xc3"); },
                   absl::StatusCode::kUnimplemented, ""});
  RunCases(cases);
}

TEST_F(HostileInputTest, PathLikeDatasetNamesAreOnlyLabels) {
  // "../../etc/passwd" is a legal label: stored as text, while the files are
  // named by the server ("dataset-<32 hex>") inside the data dir.
  const std::set<std::string> before = Files();
  for (const std::string& name : {std::string("../../etc/passwd"),
                                  std::string("a/b"), std::string("/abs")}) {
    absl::StatusOr<v1::Dataset> ds = UploadIdx(stub_.get(), data_, name);
    ASSERT_TRUE(ds.ok()) << ds.status();
    EXPECT_EQ(ds->name(), name);
    std::set<std::string> added;
    for (const std::string& f : Files()) {
      if (before.count(f) == 0) added.insert(f);
    }
    ASSERT_EQ(added.size(), 2u) << name;
    for (const std::string& f : added) {
      EXPECT_THAT(f, MatchesRegex("blobs/dataset-[0-9a-f]{32}")) << name;
    }
    v1::DeleteDatasetRequest del;
    del.set_dataset_id(ds->id());
    ASSERT_TRUE(Call(stub_.get(), &Stub::DeleteDataset, del).ok());
    EXPECT_EQ(Files(), before) << name;
  }
}

// ------------------------------------------------------------- uploads

TEST_F(HostileInputTest, LyingUploadsStoreNothing) {
  const std::string x = data_.IdxImages(), y = data_.IdxLabels();
  const std::string csv = data_.Csv();
  auto with_header = [&](std::function<void(v1::UploadHeader*)> edit) {
    Messages m = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
    edit(m[0].mutable_header());
    return SendUpload(stub_.get(), m);
  };
  Messages more_bytes = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  more_bytes.insert(more_bytes.begin() + 2, ChunkMessage(v1::DATASET_PART_FEATURES, "x"));
  Messages more_labels = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  more_labels.insert(more_labels.begin() + 3, ChunkMessage(v1::DATASET_PART_LABELS, "y"));
  Messages wrong_labels_crc = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  wrong_labels_crc.back().mutable_trailer()->set_labels_crc32(Crc32(y) ^ 0x80);
  Messages swapped = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  std::swap(swapped[1], swapped[2]);  // labels before features
  Messages csv_with_labels = Stream("lie", v1::DATA_FORMAT_CSV, csv, "");
  csv_with_labels.insert(csv_with_labels.begin() + 2,
                         ChunkMessage(v1::DATASET_PART_LABELS, ""));
  Messages unknown_part = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  unknown_part[1].mutable_chunk()->set_part(static_cast<v1::DatasetPart>(999));
  Messages chunk_first = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  std::swap(chunk_first[0], chunk_first[1]);
  Messages header_twice = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  header_twice.insert(header_twice.begin() + 1, header_twice[0]);
  Messages after_trailer = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  after_trailer.push_back(ChunkMessage(v1::DATASET_PART_LABELS, "late"));
  Messages empty_kind = Stream("lie", v1::DATA_FORMAT_IDX, x, y);
  empty_kind.insert(empty_kind.begin() + 1, v1::UploadDatasetRequest());

  const std::vector<HostileCase> cases = {
      {"more features bytes than declared",
       [&] { return SendUpload(stub_.get(), more_bytes); },
       absl::StatusCode::kInvalidArgument, "header.features_bytes"},
      {"more labels bytes than declared",
       [&] { return SendUpload(stub_.get(), more_labels); },
       absl::StatusCode::kInvalidArgument, "header.labels_bytes"},
      {"fewer bytes than declared",
       [&] { return with_header([](v1::UploadHeader* h) {
           h->set_features_bytes(h->features_bytes() + 1); }); },
       absl::StatusCode::kInvalidArgument, "header.features_bytes"},
      {"negative features_bytes",
       [&] { return with_header([](v1::UploadHeader* h) { h->set_features_bytes(-5); }); },
       absl::StatusCode::kInvalidArgument, "header.features_bytes"},
      {"negative labels_bytes",
       [&] { return with_header([](v1::UploadHeader* h) { h->set_labels_bytes(-5); }); },
       absl::StatusCode::kInvalidArgument, "header.labels_bytes"},
      {"sizes near 2^63 (no overflow)",
       [&] { return with_header([](v1::UploadHeader* h) {
           h->set_features_bytes(std::numeric_limits<int64_t>::max());
           h->set_labels_bytes(std::numeric_limits<int64_t>::max()); }); },
       absl::StatusCode::kResourceExhausted, "--max_upload_bytes"},
      {"labels size pushes the sum over the limit",
       [&] { return with_header([](v1::UploadHeader* h) {
           h->set_labels_bytes(std::numeric_limits<int64_t>::max() - 10); }); },
       absl::StatusCode::kResourceExhausted, "--max_upload_bytes"},
      {"wrong features CRC",
       [&] { UploadPlan plan; plan.crc_xor = 0xdeadbeef;
             return Upload(stub_.get(), Header("lie", v1::DATA_FORMAT_IDX, x, y), x, y, plan).status(); },
       absl::StatusCode::kInvalidArgument, "trailer.features_crc32"},
      {"wrong labels CRC",
       [&] { return SendUpload(stub_.get(), wrong_labels_crc); },
       absl::StatusCode::kInvalidArgument, "trailer.labels_crc32"},
      {"no trailer",
       [&] { UploadPlan plan; plan.send_trailer = false;
             return Upload(stub_.get(), Header("lie", v1::DATA_FORMAT_IDX, x, y), x, y, plan).status(); },
       absl::StatusCode::kInvalidArgument, "trailer"},
      {"labels chunk before the features",
       [&] { return SendUpload(stub_.get(), swapped); },
       absl::StatusCode::kInvalidArgument, "chunk.part"},
      {"labels chunk in a CSV upload",
       [&] { return SendUpload(stub_.get(), csv_with_labels); },
       absl::StatusCode::kInvalidArgument, "chunk.part"},
      {"unknown part enum 999",
       [&] { return SendUpload(stub_.get(), unknown_part); },
       absl::StatusCode::kInvalidArgument, "chunk.part"},
      {"unknown format enum 999",
       [&] { return with_header([](v1::UploadHeader* h) {
           h->set_format(static_cast<v1::DataFormat>(999)); }); },
       absl::StatusCode::kInvalidArgument, "header.format"},
      {"chunk before the header",
       [&] { return SendUpload(stub_.get(), chunk_first); },
       absl::StatusCode::kInvalidArgument, "header"},
      {"header twice",
       [&] { return SendUpload(stub_.get(), header_twice); },
       absl::StatusCode::kInvalidArgument, "header: sent twice"},
      {"message after the trailer",
       [&] { return SendUpload(stub_.get(), after_trailer); },
       absl::StatusCode::kInvalidArgument, "trailer"},
      {"message with no kind",
       [&] { return SendUpload(stub_.get(), empty_kind); },
       absl::StatusCode::kInvalidArgument, "kind"},
      {"empty stream",
       [&] { return SendUpload(stub_.get(), {}); },
       absl::StatusCode::kInvalidArgument, "header"},
      {"CSV declaring a labels part",
       [&] { Messages m = Stream("lie", v1::DATA_FORMAT_CSV, csv, "");
             m[0].mutable_header()->set_labels_bytes(3);
             return SendUpload(stub_.get(), m); },
       absl::StatusCode::kInvalidArgument, "header.labels_bytes"},
  };
  RunCases(cases);
}

TEST_F(HostileInputTest, InterruptedUploadsStoreNothing) {
  const std::string x = data_.IdxImages(), y = data_.IdxLabels();
  Messages stream = Stream("cut", v1::DATA_FORMAT_IDX, x, y);
  // Many small chunks, so the cut lands mid-part.
  Messages chunked = {stream[0]};
  for (size_t at = 0; at < x.size(); at += 64) {
    chunked.push_back(ChunkMessage(v1::DATASET_PART_FEATURES, x.substr(at, 64)));
  }
  chunked.push_back(stream[2]);
  chunked.push_back(stream[3]);
  const std::vector<HostileCase> cases = {
      {"cancelled after the header",
       [&] { return SendUpload(stub_.get(), chunked, 1); },
       absl::StatusCode::kCancelled, ""},
      {"cancelled mid-features",
       [&] { return SendUpload(stub_.get(), chunked, 10); },
       absl::StatusCode::kCancelled, ""},
      {"cancelled after every byte and the trailer (never closed)",
       [&] { return SendUpload(stub_.get(), chunked,
                               static_cast<int>(chunked.size())); },
       absl::StatusCode::kCancelled, ""},
      {"deadline passes mid-stream",
       [&] {
         grpc::ClientContext context;
         context.set_deadline(std::chrono::system_clock::now() +
                              std::chrono::milliseconds(300));
         v1::Dataset response;
         auto writer = stub_->UploadDataset(&context, &response);
         for (size_t i = 0; i < chunked.size(); ++i) {
           if (i == 3) std::this_thread::sleep_for(std::chrono::milliseconds(600));
           if (!writer->Write(chunked[i])) break;
         }
         writer->WritesDone();
         return FromGrpcStatus(writer->Finish());
       },
       absl::StatusCode::kDeadlineExceeded, ""},
  };
  RunCases(cases);
}

TEST_F(HostileInputTest, NonFiniteAndOversizedDataIsRefused) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  Synthetic two;
  two.rows = 2;
  const std::string idx_labels = two.IdxLabels();
  auto idx_x = [](float bad) { return IdxFloats(2, 2, {1, 2, bad, 4}); };
  const std::string npy_y = NpyLabels({0, 1});
  auto upload = [&](v1::DataFormat format, const std::string& f,
                    const std::string& l) {
    return SendUpload(stub_.get(), Stream("bad", format, f, l));
  };
  // 1001 rows of 1 feature; 101 features in 1 row.
  std::string many_rows = "f,label\n";
  for (int r = 0; r < 1001; ++r) absl::StrAppend(&many_rows, r, ",0\n");
  std::string wide;  // no header: 101 feature columns, then the label
  for (int c = 0; c < 101; ++c) absl::StrAppend(&wide, c, ",");
  absl::StrAppend(&wide, "0\n");
  // IDX shapes whose product would overflow int64 (and a zero dimension).
  std::string overflow;
  testing::PutBigEndian32(&overflow, 0x00000805);
  for (uint32_t d : {3u, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0u}) {
    testing::PutBigEndian32(&overflow, d);
  }
  std::string lying_rows;  // declares 2^32-1 rows of 4 bytes, has 4 bytes
  testing::PutBigEndian32(&lying_rows, 0x00000802);
  testing::PutBigEndian32(&lying_rows, 0xffffffffu);
  testing::PutBigEndian32(&lying_rows, 4);
  lying_rows += "abcd";
  // Gzip IDX: a header declaring 1000 x 300 ubyte (1.2 MB as float32) in a
  // few hundred bytes, and a gzip bomb: a 2x2 header then 16 MiB of zeros.
  std::string big_header;
  testing::PutBigEndian32(&big_header, 0x00000802);
  testing::PutBigEndian32(&big_header, 1000);
  testing::PutBigEndian32(&big_header, 300);
  const std::string gzip_big =
      Gzip(big_header + std::string(1000 * 300, '\0'));
  std::string small_header;
  testing::PutBigEndian32(&small_header, 0x00000802);
  testing::PutBigEndian32(&small_header, 2);
  testing::PutBigEndian32(&small_header, 2);
  const std::string gzip_bomb =
      Gzip(small_header + std::string(16 << 20, '\0'));
  std::string zero_width;
  testing::PutBigEndian32(&zero_width, 0x00000802);
  testing::PutBigEndian32(&zero_width, 2);
  testing::PutBigEndian32(&zero_width, 0);

  const std::vector<HostileCase> cases = {
      {"IDX float features with NaN",
       [&] { return upload(v1::DATA_FORMAT_IDX, idx_x(nan), idx_labels); },
       absl::StatusCode::kInvalidArgument, "features: IDX data has a non-finite value"},
      {"IDX float features with Inf",
       [&] { return upload(v1::DATA_FORMAT_IDX, idx_x(-inf), idx_labels); },
       absl::StatusCode::kInvalidArgument, "features: IDX data has a non-finite value"},
      {"NPY features with NaN",
       [&] { return upload(v1::DATA_FORMAT_NPY, NpyFloats(2, 2, {1, nan, 3, 4}), npy_y); },
       absl::StatusCode::kInvalidArgument, "features: npy data has a non-finite value"},
      {"NPY labels with Inf",
       [&] { return upload(v1::DATA_FORMAT_NPY, NpyFloats(2, 2, {1, 2, 3, 4}),
                           NpyFloats(2, 1, {0, inf})); },
       absl::StatusCode::kInvalidArgument, "labels: npy data has a non-finite value"},
      {"CSV cell nan",
       [&] { return upload(v1::DATA_FORMAT_CSV, "a,b,label\n1,nan,0\n", ""); },
       absl::StatusCode::kInvalidArgument, "features: line 2, column 2 (b)"},
      {"CSV cell inf",
       [&] { return upload(v1::DATA_FORMAT_CSV, "a,b,label\n1,-inf,0\n", ""); },
       absl::StatusCode::kInvalidArgument, "features: line 2, column 2 (b)"},
      {"CSV cell beyond float range",
       [&] { return upload(v1::DATA_FORMAT_CSV, "a,b,label\n1,1e39,0\n", ""); },
       absl::StatusCode::kInvalidArgument, "features: line 2, column 2 (b)"},
      {"negative class label",
       [&] { return upload(v1::DATA_FORMAT_NPY, NpyFloats(2, 2, {1, 2, 3, 4}),
                           NpyLabels({0, -1})); },
       absl::StatusCode::kInvalidArgument, "labels: row 1"},
      {"rows beyond --max_dataset_rows",
       [&] { return upload(v1::DATA_FORMAT_CSV, many_rows, ""); },
       absl::StatusCode::kResourceExhausted,
       "features: rows is 1001; the server's --max_dataset_rows is 1000"},
      {"features beyond --max_features",
       [&] { return upload(v1::DATA_FORMAT_CSV, wide, ""); },
       absl::StatusCode::kResourceExhausted, "the server's --max_features is 100"},
      {"IDX shape whose product overflows int64",
       [&] { return upload(v1::DATA_FORMAT_IDX, overflow, idx_labels); },
       absl::StatusCode::kInvalidArgument, "features: each row has 0 values"},
      {"IDX header declaring more rows than sent",
       [&] { return upload(v1::DATA_FORMAT_IDX, lying_rows, idx_labels); },
       absl::StatusCode::kInvalidArgument, "features: IDX: truncated data"},
      {"gzip IDX declaring more than --max_dataset_bytes",
       [&] { return upload(v1::DATA_FORMAT_IDX, gzip_big, idx_labels); },
       absl::StatusCode::kResourceExhausted,
       "features and labels: decoded size in bytes is 1200000; the server's "
       "--max_dataset_bytes is 1048576"},
      {"gzip IDX bomb inflating past its header",
       [&] { return upload(v1::DATA_FORMAT_IDX, gzip_bomb, idx_labels); },
       absl::StatusCode::kInvalidArgument,
       "features: IDX: the gzip data decompresses to more than the 16 bytes "
       "its header declares ([2, 2] ubyte)"},
      {"IDX rows of zero values",
       [&] { return upload(v1::DATA_FORMAT_IDX, zero_width, idx_labels); },
       absl::StatusCode::kInvalidArgument, "features: each row has 0 values"},
  };
  RunCases(cases);
}

// --------------------------------------------------------------- specs

TEST_F(HostileInputTest, EnormousAndMalformedSpecsAreRefused) {
  auto with = [](std::function<void(v1::ModelSpec*)> edit) {
    v1::ModelSpec spec = TinySpec();
    edit(&spec);
    return spec;
  };
  const v1::ModelSpec thousands = with([](v1::ModelSpec* s) {
    for (int i = 0; i < 1000; ++i) s->add_layers()->mutable_dropout()->set_rate(0.1);
  });
  const v1::ModelSpec huge_units = with([](v1::ModelSpec* s) {
    s->mutable_layers(1)->mutable_dense()->set_units(kHuge);
  });
  // At the engine's cap of 2^24 units: 16 x 2^24 + 2^24 weights, refused
  // before anything is allocated.
  const v1::ModelSpec capped_units = with([](v1::ModelSpec* s) {
    s->mutable_layers(1)->mutable_dense()->set_units(int64_t{1} << 24);
    s->mutable_layers(2)->mutable_dense()->set_units(int64_t{1} << 24);
  });
  const v1::ModelSpec just_over = with([](v1::ModelSpec* s) {
    // 16 x 600 + 600 = 10,200 weights in the first dense layer.
    s->mutable_layers(1)->mutable_dense()->set_units(600);
  });
  const v1::ModelSpec big_schedule = with([](v1::ModelSpec* s) {
    auto* pw = s->mutable_optimizer()
                   ->mutable_learning_rate_schedule()
                   ->mutable_piecewise_constant_decay();
    for (int i = 0; i < 20'000; ++i) {
      pw->add_boundaries(i + 1);
      pw->add_values(0.01);
    }
    pw->add_values(0.001);
  });
  v1::ModelSpec unknown_layer = TinySpec();
  unknown_layer.mutable_layers(1)->clear_dense();
  unknown_layer.mutable_layers(1)->GetReflection()
      ->MutableUnknownFields(unknown_layer.mutable_layers(1))
      ->AddVarint(999, 1);  // a layer kind from the future
  const double nan = std::numeric_limits<double>::quiet_NaN();

  const std::vector<HostileCase> cases = {
      {"1003 layers", [&] { return Validate(thousands); },
       absl::StatusCode::kResourceExhausted,
       "spec.layers count is 1003; the server's --max_layers is 50"},
      {"1003 layers (submit)", [&] { return Submit(thousands); },
       absl::StatusCode::kResourceExhausted, "--max_layers"},
      {"units 2^40", [&] { return Validate(huge_units); },
       absl::StatusCode::kInvalidArgument, "spec.layers[1].dense.units"},
      {"units 2^24", [&] { return Validate(capped_units); },
       absl::StatusCode::kResourceExhausted,
       "spec.layers[1].dense: the model has 285212672 parameters"},
      {"units 2^24 (submit)", [&] { return Submit(capped_units); },
       absl::StatusCode::kResourceExhausted, "--max_model_params"},
      {"just over --max_model_params", [&] { return Submit(just_over); },
       absl::StatusCode::kResourceExhausted,
       "the model has 10200 parameters up to this layer, more than the limit "
       "of 10000 (the server's --max_model_params)"},
      {"spec beyond --max_spec_bytes", [&] { return Validate(big_schedule); },
       absl::StatusCode::kResourceExhausted, "the server's --max_spec_bytes is 65536"},
      {"layer kind from the future (unknown field)",
       [&] { return Submit(unknown_layer); },
       absl::StatusCode::kInvalidArgument, "spec.layers[1] has no layer type"},
      {"unknown activation", [&] { return Validate(with([](v1::ModelSpec* s) {
           s->mutable_layers(1)->mutable_dense()->set_activation("999"); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[1].dense.activation"},
      {"negative units", [&] { return Validate(with([](v1::ModelSpec* s) {
           s->mutable_layers(1)->mutable_dense()->set_units(-3); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[1].dense.units"},
      {"negative input_shape", [&] { return Validate(with([](v1::ModelSpec* s) {
           s->mutable_layers(0)->mutable_flatten()->set_input_shape(0, -4); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[0].flatten.input_shape"},
      {"huge input_shape", [&] { return Validate(with([](v1::ModelSpec* s) {
           s->mutable_layers(0)->mutable_flatten()->set_input_shape(0, kHuge); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[0].flatten.input_shape"},
      {"NaN dropout rate", [&] { return Validate(with([&](v1::ModelSpec* s) {
           s->mutable_layers()->AddAllocated(new v1::Layer());
           s->mutable_layers()->SwapElements(2, 3);
           s->mutable_layers(2)->mutable_dropout()->set_rate(nan); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[2].dropout.rate"},
      {"NaN learning rate", [&] { return Submit(with([&](v1::ModelSpec* s) {
           s->mutable_optimizer()->set_learning_rate(nan); })); },
       absl::StatusCode::kInvalidArgument, "spec.optimizer.learning_rate"},
      {"Inf learning rate", [&] { return Submit(with([](v1::ModelSpec* s) {
           s->mutable_optimizer()->set_learning_rate(
               std::numeric_limits<double>::infinity()); })); },
       absl::StatusCode::kInvalidArgument, "spec.optimizer.learning_rate"},
      {"NaN validation_split", [&] { return Submit(TinySpec(), [&](v1::SubmitJobRequest* r) {
           r->mutable_config()->set_validation_split(nan); }); },
       absl::StatusCode::kInvalidArgument, "config.validation_split"},
      {"unknown job state filter 999", [&] {
         v1::ListJobsRequest r;
         r.set_state(static_cast<v1::JobState>(999));
         return Call(stub_.get(), &Stub::ListJobs, r).status(); },
       absl::StatusCode::kInvalidArgument, "state"},
  };
  RunCases(cases);
}

// ------------------------------------------------------------- predict

TEST_F(HostileInputTest, HostilePredictInputsAreRefused) {
  const std::string model_id = TrainTinyModel();
  ASSERT_FALSE(model_id.empty());
  auto predict = [&](std::function<void(v1::PredictRequest*)> edit) {
    v1::PredictRequest r;
    r.set_model_id(model_id);
    r.mutable_inputs()->add_shape(2);
    r.mutable_inputs()->add_shape(16);
    for (int i = 0; i < 32; ++i) r.mutable_inputs()->add_values(i % 7);
    edit(&r);
    return Call(stub_.get(), &Stub::Predict, r).status();
  };
  // Sanity: the unedited request works.
  ASSERT_TRUE(predict([](v1::PredictRequest*) {}).ok());
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();

  const std::vector<HostileCase> cases = {
      {"NaN value", [&] { return predict([&](v1::PredictRequest* r) {
           r->mutable_inputs()->set_values(17, nan); }); },
       absl::StatusCode::kInvalidArgument, "inputs has a non-finite value (nan) at [1, 1]"},
      {"Inf in packed data", [&] { return predict([&](v1::PredictRequest* r) {
           std::vector<float> v(32, 1.0f);
           v[5] = -inf;
           r->mutable_inputs()->clear_values();
           r->mutable_inputs()->set_data(std::string(
               reinterpret_cast<const char*>(v.data()), v.size() * 4)); }); },
       absl::StatusCode::kInvalidArgument, "inputs has a non-finite value (-inf) at [0, 5]"},
      {"negative dimension", [&] { return predict([](v1::PredictRequest* r) {
           r->mutable_inputs()->set_shape(1, -16); }); },
       absl::StatusCode::kInvalidArgument, "inputs.shape[1] is -16"},
      {"zero rows", [&] { return predict([](v1::PredictRequest* r) {
           r->mutable_inputs()->set_shape(0, 0); }); },
       absl::StatusCode::kInvalidArgument, "inputs.shape[0] is 0"},
      {"no shape", [&] { return predict([](v1::PredictRequest* r) {
           r->mutable_inputs()->clear_shape(); }); },
       absl::StatusCode::kInvalidArgument, "inputs.shape"},
      {"rows beyond --max_predict_rows", [&] { return predict([](v1::PredictRequest* r) {
           r->mutable_inputs()->set_shape(0, 5000); }); },
       absl::StatusCode::kResourceExhausted,
       "inputs.shape[0] is 5000; the server's --max_predict_rows is 64"},
      {"huge rows", [&] { return predict([](v1::PredictRequest* r) {
           r->mutable_inputs()->set_shape(0, kHuge); }); },
       absl::StatusCode::kResourceExhausted, "--max_predict_rows"},
      {"shape product overflowing int64", [&] { return predict([](v1::PredictRequest* r) {
           r->mutable_inputs()->set_shape(0, 1);
           r->mutable_inputs()->set_shape(1, int64_t{1} << 62);
           r->mutable_inputs()->add_shape(int64_t{1} << 62); }); },
       absl::StatusCode::kInvalidArgument, "inputs.values has 32 values"},
      {"shape/data length mismatch", [&] { return predict([](v1::PredictRequest* r) {
           r->mutable_inputs()->set_shape(0, 3); }); },
       absl::StatusCode::kInvalidArgument, "inputs.values has 32 values; shape [3, 16]"},
      {"packed data not a multiple of 4 bytes", [&] { return predict([](v1::PredictRequest* r) {
           r->mutable_inputs()->clear_values();
           r->mutable_inputs()->set_data(std::string(127, '\0')); }); },
       absl::StatusCode::kInvalidArgument, "inputs.data has 127 bytes"},
      {"values and data both set", [&] { return predict([](v1::PredictRequest* r) {
           r->mutable_inputs()->set_data(std::string(128, '\0')); }); },
       absl::StatusCode::kInvalidArgument, "inputs: set either values or data"},
      {"row size not the model's input", [&] { return predict([](v1::PredictRequest* r) {
           r->mutable_inputs()->set_shape(0, 4);
           r->mutable_inputs()->set_shape(1, 8); }); },
       absl::StatusCode::kInvalidArgument, "inputs.shape [4, 8]: each row must have 16 values"},
      {"negative mc_samples", [&] { return predict([](v1::PredictRequest* r) {
           r->set_mc_samples(-1); }); },
       absl::StatusCode::kInvalidArgument, "mc_samples is -1"},
      {"mc_samples beyond --max_mc_samples", [&] { return predict([](v1::PredictRequest* r) {
           r->set_mc_samples(21); }); },
       absl::StatusCode::kResourceExhausted,
       "mc_samples is 21; the server's --max_mc_samples is 20"},
      {"negative batch_size", [&] { return predict([](v1::PredictRequest* r) {
           r->set_batch_size(-1); }); },
       absl::StatusCode::kInvalidArgument, "batch_size"},
      {"negative version", [&] { return predict([](v1::PredictRequest* r) {
           r->set_version(-1); }); },
       absl::StatusCode::kInvalidArgument, "version"},
      {"unknown version", [&] { return predict([](v1::PredictRequest* r) {
           r->set_version(999); }); },
       absl::StatusCode::kNotFound, "version"},
  };
  RunCases(cases);
}

// A Predict whose caller went away (cancel, deadline) stops: dropped before
// it runs, or between chunks of rows. Checked on a Predictor over the
// server's own store, with a cancellation the test controls.
TEST_F(HostileInputTest, PredictStopsWhenTheCallerGoesAway) {
  const std::string model_id = TrainTinyModel();
  ASSERT_FALSE(model_id.empty());
  auto catalog = SqliteCatalog::Open(dir_ + "/catalog.db");
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  BlobStore blobs(Env::Default(), dir_ + "/blobs");
  Predictor::Options options;
  options.limits.max_predict_rows = 5000;
  Predictor predictor(catalog->get(), &blobs, options);

  v1::PredictRequest request;
  request.set_model_id(model_id);
  const int rows = 3000;  // three chunks of at most 1024 rows
  request.mutable_inputs()->add_shape(rows);
  request.mutable_inputs()->add_shape(16);
  for (int i = 0; i < rows * 16; ++i) request.mutable_inputs()->add_values(i % 9);

  auto run = [&](int answer_true_after) {
    std::atomic<int> asked{0};
    Notification done;
    absl::StatusOr<v1::PredictResponse> result;
    predictor.Predict(
        request, [&] { return asked.fetch_add(1) >= answer_true_after; },
        [&](absl::StatusOr<v1::PredictResponse> r) {
          result = std::move(r);
          done.Notify();
        });
    done.WaitForNotification();
    return std::make_pair(result, asked.load());
  };
  // Never cancelled: asked before the run and before each of 3 chunks.
  auto [all, asked_all] = run(1 << 30);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->top_class_size(), rows);
  EXPECT_EQ(asked_all, 4);
  // Gone while queued: nothing runs.
  auto [queued, asked_queued] = run(0);
  EXPECT_EQ(queued.status().code(), absl::StatusCode::kCancelled) << queued.status();
  EXPECT_EQ(asked_queued, 1);
  // Gone after the first chunk: stops before the second.
  auto [midway, asked_midway] = run(2);
  EXPECT_EQ(midway.status().code(), absl::StatusCode::kCancelled) << midway.status();
  EXPECT_EQ(asked_midway, 3);
  predictor.Shutdown();
}

}  // namespace
}  // namespace profundo::server
