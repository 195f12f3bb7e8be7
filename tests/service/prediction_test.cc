// Predict through the service (ServiceTest, service_fixture.h): MC dropout,
// the latest READY version, and concurrent requests sharing batched passes.
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/predictor.h"
#include "server/server.h"
#include "tests/service/service_fixture.h"
#include "tests/service/service_test_util.h"

namespace profundo::server {

using ::profundo::server::testing::Call;
using ::profundo::server::testing::Config;
using ::profundo::server::testing::ParseSpec;
using ::profundo::server::testing::Synthetic;
using ::profundo::server::testing::TinySpec;
using ::testing::ElementsAre;

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

namespace {

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

// A batched forward pass runs up to 8 rows as they are and more padded to
// the next multiple of 8: at most 15 shapes per model, which each layer's
// primitive cache keeps.
TEST(PredictorTest, BatchRowsArePaddedToMultiplesOfEightPastEight) {
  EXPECT_EQ(Predictor::PaddedRows(1), 1);
  EXPECT_EQ(Predictor::PaddedRows(7), 7);
  EXPECT_EQ(Predictor::PaddedRows(8), 8);
  EXPECT_EQ(Predictor::PaddedRows(9), 16);
  EXPECT_EQ(Predictor::PaddedRows(50), 56);
  EXPECT_EQ(Predictor::PaddedRows(Predictor::kMaxBatchRows), 64);
}

}  // namespace
}  // namespace profundo::server
