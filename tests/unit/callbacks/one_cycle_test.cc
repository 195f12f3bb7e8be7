#include "engine/callbacks/one_cycle.h"

#include <memory>
#include <vector>

#include "engine/optimizers/sgd.h"
#include "gtest/gtest.h"
#include "tests/unit/callbacks/fake_training_control.h"

namespace profundo {
namespace {

// max 0.1: start 0.01, last 1e-5. T = 2 epochs x 50 steps = 100,
// L = floor(100 * 0.1) + 1 = 11, H = (100 - 11) / 2 = 44.
OneCycleOptions Options() {
  OneCycleOptions o;
  o.max_rate = 0.1;
  o.start_rate = 0.01;
  o.last_rate = 1e-5;
  return o;
}

TEST(OneCycleTest, RateAtPhaseBoundariesAndMidpoints) {
  OneCycle cb(Options());
  EXPECT_DOUBLE_EQ(cb.RateAt(0, 100), 0.01);
  EXPECT_NEAR(cb.RateAt(22, 100), 0.055, 1e-15);  // mid of the way up
  EXPECT_NEAR(cb.RateAt(43, 100), 0.01 + 0.09 * 43 / 44, 1e-15);
  EXPECT_DOUBLE_EQ(cb.RateAt(44, 100), 0.1);      // the peak
  EXPECT_NEAR(cb.RateAt(66, 100), 0.055, 1e-15);  // mid of the way down
  EXPECT_DOUBLE_EQ(cb.RateAt(88, 100), 0.01);     // start of the last phase
  EXPECT_NEAR(cb.RateAt(94, 100), 0.01 + (1e-5 - 0.01) * 6 / 12, 1e-15);
  EXPECT_NEAR(cb.RateAt(100, 100), 1e-5, 1e-15);
  EXPECT_NEAR(cb.RateAt(130, 100), 1e-5, 1e-15);  // held past the end
}

TEST(OneCycleTest, MomentumCyclesInversely) {
  OneCycle cb(Options());
  EXPECT_DOUBLE_EQ(cb.MomentumAt(0, 100), 0.95);
  EXPECT_NEAR(cb.MomentumAt(22, 100), 0.90, 1e-15);
  EXPECT_NEAR(cb.MomentumAt(44, 100), 0.85, 1e-15);
  EXPECT_NEAR(cb.MomentumAt(66, 100), 0.90, 1e-15);
  EXPECT_DOUBLE_EQ(cb.MomentumAt(88, 100), 0.95);
  EXPECT_DOUBLE_EQ(cb.MomentumAt(99, 100), 0.95);
}

TEST(OneCycleTest, TinyRunHasOnlyTheLastPhase) {
  // T = 1: L = 1, H = 0.
  OneCycle cb(Options());
  EXPECT_DOUBLE_EQ(cb.RateAt(0, 1), 0.01);
  EXPECT_DOUBLE_EQ(cb.MomentumAt(0, 1), 0.95);
}

// Runs `n` batches; returns (rate, momentum) seen after each OnBatchBegin.
std::vector<std::pair<double, double>> RunBatches(OneCycle& cb,
                                                  FakeTrainingControl& ctl,
                                                  int n) {
  std::vector<std::pair<double, double>> seen;
  for (int i = 0; i < n; ++i) {
    cb.OnBatchBegin(ctl.optimizer().iterations(), ctl);
    seen.emplace_back(ctl.optimizer().learning_rate(),
                      ctl.optimizer().momentum());
  }
  return seen;
}

std::unique_ptr<FakeTrainingControl> Control(double momentum) {
  OptimizerOptions o;
  o.learning_rate = 1.0;
  return std::make_unique<FakeTrainingControl>(
      std::make_unique<SGD>(std::move(o), momentum, false), 2, 50);
}

TEST(OneCycleTest, DrivesOptimizerPerBatch) {
  auto ctl = Control(0.9);
  OneCycle cb(Options());
  auto seen = RunBatches(cb, *ctl, 100);
  EXPECT_DOUBLE_EQ(seen[0].first, 0.01);
  EXPECT_DOUBLE_EQ(seen[0].second, 0.95);
  EXPECT_DOUBLE_EQ(seen[44].first, 0.1);
  EXPECT_NEAR(seen[44].second, 0.85, 1e-15);
  EXPECT_NEAR(seen[99].first, 0.01 + (1e-5 - 0.01) * 11 / 12, 1e-15);
}

TEST(OneCycleTest, LeavesMomentumAloneWithoutMomentum) {
  auto ctl = Control(0.0);
  OneCycle cb(Options());
  auto seen = RunBatches(cb, *ctl, 30);
  EXPECT_FALSE(ctl->optimizer().has_momentum());
  EXPECT_DOUBLE_EQ(seen[29].second, 0.0);
  EXPECT_NEAR(seen[22].first, 0.055, 1e-15);
}

TEST(OneCycleTest, SaveLoadStateResumes) {
  auto ctl = Control(0.9);
  OneCycle first(Options());
  RunBatches(first, *ctl, 60);
  ASSERT_EQ(first.SaveState(), (std::vector<double>{60}));
  OneCycle second(Options());
  ASSERT_TRUE(second.LoadState(first.SaveState()).ok());
  auto seen = RunBatches(second, *ctl, 1);
  EXPECT_NEAR(seen[0].first, 0.1 - 0.09 * 16 / 44, 1e-15);  // step 60
  EXPECT_NEAR(seen[0].second, 0.85 + 0.1 * 16 / 44, 1e-15);
  EXPECT_FALSE(second.LoadState({}).ok());
  EXPECT_FALSE(second.LoadState({-1}).ok());
}

}  // namespace
}  // namespace profundo
