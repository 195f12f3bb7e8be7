// Hostile Predict requests (HostileInputTest, hostile_fixture.h): bad
// shapes and values, and callers that go away mid-call.
#include <atomic>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "server/blob_store.h"
#include "server/predictor.h"
#include "server/sqlite_catalog.h"
#include "tests/service/hostile_fixture.h"
#include "tests/service/notification.h"

namespace profundo::server {
namespace {

using ::profundo::server::testing::Call;
using ::profundo::server::testing::HostileCase;
using ::profundo::server::testing::kHuge;
using ::profundo::server::testing::Notification;

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
