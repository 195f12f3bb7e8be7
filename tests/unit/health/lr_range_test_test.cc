// LR range test on synthetic blobs.
#include "engine/health/lr_range_test.h"

#include <cmath>
#include <cstdio>

#include "engine/model.h"
#include "gtest/gtest.h"
#include "tests/unit/model/test_models.h"

namespace profundo {
namespace {

constexpr char kSpec[] = R"({"layers": [{"flatten": {"input_shape": [16]}},
    {"dense": {"units": 32, "activation": "elu", "kernel_initializer": "he_normal"}},
    {"dense": {"units": 10, "activation": "softmax"}}],
    "optimizer": {"sgd": {}, "learning_rate": 0.01}})";

TEST(LrRangeTest, GrowsTheRateExponentiallyAndStopsWhenTheLossExplodes) {
  Dataset d = Blobs(4096, 16, 10, 3);
  LrRangeOptions o;
  o.min_lr = 1e-4;
  o.max_lr = 1e4;
  o.batch_size = 32;  // 128 steps
  auto r = LrRangeTest(SpecFromJson(kSpec), d, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_GE(r->points.size(), 20u);
  EXPECT_TRUE(r->exploded);
  EXPECT_LT(r->points.size(), 128u);
  // Step i uses 1e-4 * 1e8^(i / 127).
  for (size_t i = 0; i < r->points.size(); ++i) {
    EXPECT_NEAR(std::log10(r->points[i].lr), -4 + 8.0 * i / 127, 1e-9) << i;
  }
  EXPECT_DOUBLE_EQ(r->points[0].smoothed_loss, r->points[0].loss);
  std::printf(
      "min-loss lr %.4g, steepest %.4g, suggested max_rate %.4g (%zu steps)\n",
      r->min_loss_lr, r->steepest_lr, r->suggested_max_rate, r->points.size());
  EXPECT_DOUBLE_EQ(r->suggested_max_rate, r->min_loss_lr / 10);
  EXPECT_GT(r->min_loss_lr, 1e-2);
  EXPECT_LT(r->min_loss_lr, 1e3);
  EXPECT_LE(r->steepest_lr, r->min_loss_lr);

  // The suggestion trains: one epoch with it beats the untrained loss.
  auto model = Model::Create(SpecFromJson(kSpec), 42);
  ASSERT_TRUE(model.ok());
  (*model)->optimizer().set_learning_rate(r->suggested_max_rate);
  FitOptions fit;
  auto h = (*model)->Fit(d, std::move(fit));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_GT(h->epochs[0].accuracy, 0.7);
}

TEST(LrRangeTest, StopsAfterTheRequestedSteps) {
  Dataset d = Blobs(256, 16, 10, 3);
  LrRangeOptions o;
  o.min_lr = 1e-6;
  o.max_lr = 1e-5;  // too small to explode
  o.steps = 20;     // 8 steps per epoch: spans 3 epochs
  auto r = LrRangeTest(SpecFromJson(kSpec), d, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->points.size(), 20u);
  EXPECT_FALSE(r->exploded);
  EXPECT_NEAR(r->points.back().lr, 1e-5, 1e-12);
}

TEST(LrRangeTest, SuggestFromPointsPicksTheMinimumAndSteepestDescent) {
  LrRangeResult r;
  // Smoothed loss: flat, steep drop between 1e-2 and 1e-1, minimum at 1.
  const double lrs[] = {1e-4, 1e-3, 1e-2, 1e-1, 1, 10};
  const double losses[] = {2.3, 2.29, 2.2, 1.0, 0.8, 5.0};
  for (int i = 0; i < 6; ++i)
    r.points.push_back({lrs[i], losses[i], losses[i]});
  SuggestFromPoints(&r);
  EXPECT_DOUBLE_EQ(r.min_loss_lr, 1);
  EXPECT_DOUBLE_EQ(r.steepest_lr, 1e-1);
  EXPECT_DOUBLE_EQ(r.suggested_max_rate, 0.1);
}

TEST(LrRangeTest, RejectsBadOptions) {
  Dataset d = Blobs(64, 16, 10, 3);
  LrRangeOptions o;
  o.min_lr = 1;
  o.max_lr = 0.1;
  EXPECT_EQ(LrRangeTest(SpecFromJson(kSpec), d, o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace profundo
