// Hostile ids and names (HostileInputTest, hostile_fixture.h): path
// traversal, NUL and control characters, over-long and not-UTF-8 ids and
// names on every RPC that takes one; names are labels, never paths.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/hostile_fixture.h"

namespace profundo::server {
namespace {

using ::profundo::server::testing::Call;
using ::profundo::server::testing::HostileCase;
using ::profundo::server::testing::SendUpload;
using ::profundo::server::testing::Stream;
using ::profundo::server::testing::TinySpec;
using ::profundo::server::testing::UploadIdx;
using ::profundo::server::testing::WatchAll;
using ::testing::MatchesRegex;

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

}  // namespace
}  // namespace profundo::server
