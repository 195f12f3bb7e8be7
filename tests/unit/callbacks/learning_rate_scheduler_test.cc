#include "engine/callbacks/learning_rate_scheduler.h"

#include <cmath>
#include <memory>

#include "engine/optimizers/sgd.h"
#include "gtest/gtest.h"
#include "tests/unit/callbacks/fake_training_control.h"

namespace profundo {
namespace {

double RateAtEpoch(LearningRateScheduler& cb, int epoch) {
  FakeTrainingControl ctl(std::make_unique<SGD>(OptimizerOptions(), 0.0, false),
                          100, 10);
  cb.OnEpochBegin(epoch, ctl);
  return ctl.optimizer().learning_rate();
}

TEST(LearningRateSchedulerTest, SeedExponential) {
  // The seed's exponential_decay(lr0=0.01, s=20): 0.01 * 0.1^(epoch / 20).
  LearningRateScheduler cb(LearningRateScheduler::Exponential(0.01, 20));
  EXPECT_DOUBLE_EQ(RateAtEpoch(cb, 0), 0.01);
  EXPECT_NEAR(RateAtEpoch(cb, 10), 0.0031622776601683794, 1e-17);
  EXPECT_NEAR(RateAtEpoch(cb, 20), 0.001, 1e-17);
  EXPECT_NEAR(RateAtEpoch(cb, 40), 0.0001, 1e-17);
}

TEST(LearningRateSchedulerTest, SeedPiecewiseConstant) {
  // The seed's piecewise_constant_fn: 0.01 below 5, 0.005 below 15, then
  // 0.001.
  LearningRateScheduler cb(
      LearningRateScheduler::PiecewiseConstant({5, 15}, {0.01, 0.005, 0.001}));
  EXPECT_DOUBLE_EQ(RateAtEpoch(cb, 0), 0.01);
  EXPECT_DOUBLE_EQ(RateAtEpoch(cb, 4), 0.01);
  EXPECT_DOUBLE_EQ(RateAtEpoch(cb, 5), 0.005);
  EXPECT_DOUBLE_EQ(RateAtEpoch(cb, 14), 0.005);
  EXPECT_DOUBLE_EQ(RateAtEpoch(cb, 15), 0.001);
  EXPECT_DOUBLE_EQ(RateAtEpoch(cb, 100), 0.001);
}

}  // namespace
}  // namespace profundo
