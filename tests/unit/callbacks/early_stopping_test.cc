#include "engine/callbacks/early_stopping.h"

#include <memory>
#include <vector>

#include "engine/optimizers/sgd.h"
#include "gtest/gtest.h"
#include "tests/unit/callbacks/fake_training_control.h"

namespace profundo {
namespace {

std::unique_ptr<FakeTrainingControl> Control() {
  return std::make_unique<FakeTrainingControl>(
      std::make_unique<SGD>(OptimizerOptions(), 0.0, false), 20, 10);
}

// Runs epochs from `first` until the callback stops the fit or `values`
// runs out; before each epoch end the "trained" weights are {epoch, -epoch}.
// Returns the epoch at which it stopped, or -1.
int Drive(EarlyStopping& cb, FakeTrainingControl& ctl,
          const std::vector<double>& values, int first = 0) {
  for (size_t i = 0; i < values.size(); ++i) {
    const int epoch = first + static_cast<int>(i);
    ctl.weights = {float(epoch), float(-epoch)};
    cb.OnEpochEnd(LogsWith(epoch, values[i]), ctl);
    if (ctl.stopped) return epoch;
  }
  return -1;
}

EarlyStoppingOptions Options(int patience, bool restore) {
  EarlyStoppingOptions o;
  o.patience = patience;
  o.restore_best_weights = restore;
  return o;
}

// Best at epoch 1, then two epochs without improvement.
const std::vector<double> kScript = {1.0, 0.8, 0.85, 0.9, 0.7, 0.6};

TEST(EarlyStoppingTest, StopsAfterPatienceAndRestoresBest) {
  auto ctl = Control();
  EarlyStopping cb(Options(2, true));
  EXPECT_EQ(Drive(cb, *ctl, kScript), 3);
  EXPECT_EQ(cb.stopped_epoch(), 3);
  EXPECT_EQ(cb.best_epoch(), 1);
  EXPECT_EQ(ctl->weights, (std::vector<float>{1, -1}));  // epoch 1's
  EXPECT_EQ(ctl->set_weights_calls, 1);
}

TEST(EarlyStoppingTest, WithoutRestoreKeepsTheLastWeights) {
  auto ctl = Control();
  EarlyStopping cb(Options(2, false));
  EXPECT_EQ(Drive(cb, *ctl, kScript), 3);
  EXPECT_EQ(ctl->weights, (std::vector<float>{3, -3}));
  EXPECT_EQ(ctl->set_weights_calls, 0);
}

TEST(EarlyStoppingTest, PatienceZeroStopsAtTheFirstNonImprovement) {
  auto ctl = Control();
  EarlyStopping cb(Options(0, false));
  EXPECT_EQ(Drive(cb, *ctl, {1.0, 0.9, 0.8, 0.85}), 3);
}

TEST(EarlyStoppingTest, NeverStopsOnTheFirstEpoch) {
  // The first monitored value always improves on +inf; nothing to stop.
  auto ctl = Control();
  EarlyStopping cb(Options(0, false));
  EXPECT_EQ(Drive(cb, *ctl, {5.0}), -1);
}

TEST(EarlyStoppingTest, MinDelta) {
  // min_delta 0.1: 0.95 and 0.91 are not improvements on 1.0.
  auto ctl = Control();
  EarlyStoppingOptions o = Options(1, true);
  o.min_delta = 0.1;
  EarlyStopping cb(o);
  EXPECT_EQ(Drive(cb, *ctl, {1.0, 0.95, 0.91}), 1);
  EXPECT_EQ(ctl->weights, (std::vector<float>{0, 0}));
}

TEST(EarlyStoppingTest, MaxModeForAccuracy) {
  auto ctl = Control();
  EarlyStoppingOptions o = Options(1, true);
  o.monitor = "val_accuracy";
  o.maximize = true;
  EarlyStopping cb(o);
  EXPECT_EQ(Drive(cb, *ctl, {0.5, 0.6, 0.7, 0.65}), 3);
  EXPECT_EQ(ctl->weights, (std::vector<float>{2, -2}));
}

TEST(EarlyStoppingTest, NoRestoreWhenTrainingEndsWithoutStopping) {
  // tf.keras 2.x: best weights come back only when the callback stops.
  auto ctl = Control();
  EarlyStopping cb(Options(5, true));
  EXPECT_EQ(Drive(cb, *ctl, {1.0, 0.5, 0.7}), -1);
  cb.OnTrainEnd(*ctl);
  EXPECT_EQ(ctl->weights, (std::vector<float>{2, -2}));
  EXPECT_EQ(ctl->set_weights_calls, 0);
}

TEST(EarlyStoppingTest, SaveLoadStateResumes) {
  for (size_t split = 1; split <= 3; ++split) {
    auto ctl = Control();
    EarlyStopping first(Options(2, true));
    ASSERT_EQ(Drive(first, *ctl, {kScript.begin(), kScript.begin() + split}),
              -1);
    const std::vector<double> state = first.SaveState();
    // wait, stopped, best, best epoch, has weights, 2 weights.
    ASSERT_EQ(state.size(), 7u);
    EarlyStopping second(Options(2, true));
    ASSERT_TRUE(second.LoadState(state).ok());
    EXPECT_EQ(Drive(second, *ctl, {kScript.begin() + split, kScript.end()},
                    static_cast<int>(split)),
              3)
        << "split " << split;
    EXPECT_EQ(second.best_epoch(), 1);
    EXPECT_EQ(ctl->weights, (std::vector<float>{1, -1})) << "split " << split;
  }
}

TEST(EarlyStoppingTest, LoadStateRejectsWrongSizes) {
  EarlyStopping cb(Options(2, false));
  EXPECT_FALSE(cb.LoadState({}).ok());
  EXPECT_FALSE(cb.LoadState({0, 0, 1, 0, 0, 3.0}).ok());
  EXPECT_FALSE(cb.LoadState({-1, 0, 1, 0, 0}).ok());   // negative wait
  EXPECT_FALSE(cb.LoadState({0, 0.5, 1, 0, 0}).ok());  // fractional epoch
  EXPECT_TRUE(cb.LoadState({0, 0, 1, 0, 0}).ok());
}

}  // namespace
}  // namespace profundo
