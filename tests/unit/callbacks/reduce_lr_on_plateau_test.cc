#include "engine/callbacks/reduce_lr_on_plateau.h"

#include <cmath>
#include <memory>
#include <vector>

#include "engine/optimizers/sgd.h"
#include "gtest/gtest.h"
#include "tests/unit/callbacks/fake_training_control.h"

namespace profundo {
namespace {

std::unique_ptr<FakeTrainingControl> Control(double lr) {
  OptimizerOptions o;
  o.learning_rate = lr;
  return std::make_unique<FakeTrainingControl>(
      std::make_unique<SGD>(std::move(o), 0.0, false), 20, 10);
}

// Drives `cb` through `values` from epoch `first`; returns the rate after
// each epoch end.
std::vector<double> Drive(Callback& cb, FakeTrainingControl& ctl,
                          const std::vector<double>& values, int first = 0) {
  std::vector<double> rates;
  for (size_t i = 0; i < values.size(); ++i) {
    cb.OnEpochEnd(LogsWith(first + static_cast<int>(i), values[i]), ctl);
    rates.push_back(ctl.optimizer().learning_rate());
  }
  return rates;
}

ReduceLROnPlateauOptions Options() {
  ReduceLROnPlateauOptions o;
  o.factor = 0.5;
  o.patience = 2;
  o.min_delta = 0.0;
  o.cooldown = 2;
  o.min_lr = 0.02;
  return o;
}

// The script, epoch by epoch (patience 2, cooldown 2, factor 0.5,
// min_lr 0.02):
//   e0 1.0 best; e1 0.9 best; e2 0.95 wait 1; e3 0.95 wait 2 -> lr 0.05,
//   cooldown 2; e4 0.97 cooldown 1 (no counting); e5 0.97 cooldown 0, wait 1;
//   e6 0.97 wait 2 -> lr 0.025, cooldown 2; e7, e8 cooldown ... e8 wait 1;
//   e9 wait 2 -> lr max(0.0125, 0.02) = 0.02; e10, e11 cooldown/wait 1;
//   e12 wait 2 but lr == min_lr: unchanged; e13 0.5 improves.
const std::vector<double> kScript = {1.0,  0.9,  0.95, 0.95, 0.97, 0.97, 0.97,
                                     0.97, 0.97, 0.97, 0.97, 0.97, 0.97, 0.5};
const std::vector<double> kRates = {0.1,   0.1,   0.1,  0.05, 0.05, 0.05, 0.025,
                                    0.025, 0.025, 0.02, 0.02, 0.02, 0.02, 0.02};

TEST(ReduceLROnPlateauTest, ScriptedPlateaus) {
  auto ctl = Control(0.1);
  ReduceLROnPlateau cb(Options());
  const std::vector<double> rates = Drive(cb, *ctl, kScript);
  ASSERT_EQ(rates.size(), kRates.size());
  for (size_t e = 0; e < rates.size(); ++e) {
    EXPECT_DOUBLE_EQ(rates[e], kRates[e]) << "epoch " << e;
  }
}

TEST(ReduceLROnPlateauTest, MinDeltaAndMaxMode) {
  auto ctl = Control(0.1);
  ReduceLROnPlateauOptions o;
  o.monitor = "val_accuracy";
  o.maximize = true;
  o.patience = 1;
  o.min_delta = 0.01;
  ReduceLROnPlateau cb(o);
  // 0.5 best; 0.505 is not > 0.5 + 0.01: wait 1 -> lr 0.01 (factor 0.1).
  const std::vector<double> rates = Drive(cb, *ctl, {0.5, 0.505, 0.6, 0.55});
  EXPECT_DOUBLE_EQ(rates[0], 0.1);
  EXPECT_NEAR(rates[1], 0.01, 1e-15);
  EXPECT_NEAR(rates[2], 0.01, 1e-15);   // 0.6 improves
  EXPECT_NEAR(rates[3], 0.001, 1e-15);  // 0.55 does not
}

TEST(ReduceLROnPlateauTest, MissingMonitorChangesNothing) {
  auto ctl = Control(0.1);
  ReduceLROnPlateauOptions o;
  o.patience = 0;
  ReduceLROnPlateau cb(o);
  EpochLogs logs;  // no val_loss
  for (int e = 0; e < 3; ++e) {
    logs.epoch = e;
    cb.OnEpochEnd(logs, *ctl);
  }
  EXPECT_DOUBLE_EQ(ctl->optimizer().learning_rate(), 0.1);
  EXPECT_EQ(cb.SaveState()[1], 0.0);
}

TEST(ReduceLROnPlateauTest, SaveLoadStateResumesTheScript) {
  for (size_t split = 1; split < kScript.size(); ++split) {
    auto ctl = Control(0.1);
    ReduceLROnPlateau first(Options());
    Drive(first, *ctl, {kScript.begin(), kScript.begin() + split});
    const std::vector<double> state = first.SaveState();
    ASSERT_EQ(state.size(), 3u);
    ReduceLROnPlateau second(Options());
    ASSERT_TRUE(second.LoadState(state).ok());
    const std::vector<double> rest =
        Drive(second, *ctl, {kScript.begin() + split, kScript.end()},
              static_cast<int>(split));
    for (size_t e = split; e < kScript.size(); ++e) {
      EXPECT_DOUBLE_EQ(rest[e - split], kRates[e])
          << "split " << split << " epoch " << e;
    }
  }
  ReduceLROnPlateau cb(Options());
  EXPECT_FALSE(cb.LoadState({1.0}).ok());
  EXPECT_FALSE(cb.LoadState({1.0, std::nan(""), 0}).ok());
  EXPECT_FALSE(cb.LoadState({1.0, 0, -2}).ok());
}

}  // namespace
}  // namespace profundo
