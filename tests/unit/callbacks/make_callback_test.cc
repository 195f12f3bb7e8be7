// MakeCallback's defaults and INVALID_ARGUMENT messages, and EpochLogs::Get.
#include <memory>
#include <string>

#include "engine/callbacks/callback.h"
#include "engine/callbacks/early_stopping.h"
#include "engine/callbacks/one_cycle.h"
#include "engine/callbacks/reduce_lr_on_plateau.h"
#include "engine/optimizers/sgd.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/unit/callbacks/fake_training_control.h"

namespace profundo {
namespace {

v1::Callback Parse(const std::string& text) {
  v1::Callback spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec))
      << text;
  return spec;
}

std::string Error(const std::string& text, bool has_schedule = false) {
  auto cb = MakeCallback(Parse(text), "callbacks[1]", has_schedule);
  EXPECT_FALSE(cb.ok()) << text;
  if (cb.ok()) return "";
  EXPECT_EQ(cb.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(cb.status().message());
}

TEST(EpochLogsTest, Get) {
  EpochLogs logs;
  logs.loss = 0.5;
  logs.accuracy = 0.8;
  logs.lr = 0.01;
  logs.val_accuracy = 0.7;
  EXPECT_EQ(logs.Get("loss"), 0.5);
  EXPECT_EQ(logs.Get("accuracy"), 0.8);
  EXPECT_EQ(logs.Get("lr"), 0.01);
  EXPECT_EQ(logs.Get("val_accuracy"), 0.7);
  EXPECT_FALSE(logs.Get("val_loss").has_value());
  EXPECT_FALSE(logs.Get("acc").has_value());
}

TEST(MakeCallbackTest, ReduceLROnPlateauDefaults) {
  // Defaults: val_loss, factor 0.1, patience 10, min_delta 1e-4.
  auto cb =
      MakeCallback(Parse("reduce_lr_on_plateau {}"), "callbacks[0]", false);
  ASSERT_TRUE(cb.ok()) << cb.status();
  OptimizerOptions o;
  o.learning_rate = 1.0;
  FakeTrainingControl ctl(std::make_unique<SGD>(std::move(o), 0.0, false), 20,
                          1);
  (*cb)->OnEpochEnd(LogsWith(0, 1.0), ctl);
  for (int e = 1; e <= 10; ++e) {
    // 0.99995 is within min_delta 1e-4 of the best 1.0: no improvement, so
    // the 10th such epoch (patience 10) multiplies the rate by 0.1.
    EXPECT_DOUBLE_EQ(ctl.optimizer().learning_rate(), 1.0) << e;
    (*cb)->OnEpochEnd(LogsWith(e, 1.0 - 0.00005), ctl);
  }
  EXPECT_NEAR(ctl.optimizer().learning_rate(), 0.1, 1e-15);
}

TEST(MakeCallbackTest, ModeAutoFollowsTheMonitorName) {
  auto cb = MakeCallback(
      Parse("early_stopping { monitor: 'val_accuracy' patience: 1 }"),
      "callbacks[0]", false);
  ASSERT_TRUE(cb.ok()) << cb.status();
  FakeTrainingControl ctl(std::make_unique<SGD>(OptimizerOptions(), 0.0, false),
                          20, 1);
  (*cb)->OnEpochEnd(LogsWith(0, 0.5), ctl);
  (*cb)->OnEpochEnd(LogsWith(1, 0.6), ctl);  // higher accuracy: improves
  EXPECT_FALSE(ctl.stopped);
  (*cb)->OnEpochEnd(LogsWith(2, 0.55), ctl);
  EXPECT_TRUE(ctl.stopped);

  cb = MakeCallback(
      Parse("early_stopping { monitor: 'val_accuracy' mode: 'min' }"),
      "callbacks[0]", false);
  ASSERT_TRUE(cb.ok()) << cb.status();
  FakeTrainingControl ctl2(
      std::make_unique<SGD>(OptimizerOptions(), 0.0, false), 20, 1);
  (*cb)->OnEpochEnd(LogsWith(0, 0.5), ctl2);
  (*cb)->OnEpochEnd(LogsWith(1, 0.6), ctl2);  // min mode: no improvement
  EXPECT_TRUE(ctl2.stopped);
}

TEST(MakeCallbackTest, OneCycleDefaults) {
  auto cb = MakeCallback(Parse("one_cycle { max_rate: 0.05 }"), "callbacks[0]",
                         false);
  ASSERT_TRUE(cb.ok()) << cb.status();
  auto* one_cycle = dynamic_cast<OneCycle*>(cb->get());
  ASSERT_NE(one_cycle, nullptr);
  // start = max / 10; last = start / 1000; momentum 0.95 -> 0.85.
  EXPECT_DOUBLE_EQ(one_cycle->RateAt(0, 100), 0.005);
  EXPECT_NEAR(one_cycle->RateAt(100, 100), 0.000005, 1e-18);
  EXPECT_DOUBLE_EQ(one_cycle->MomentumAt(0, 100), 0.95);
  EXPECT_NEAR(one_cycle->MomentumAt(44, 100), 0.85, 1e-15);
}

TEST(MakeCallbackTest, RejectsRateSettersWithASchedule) {
  const std::string suffix =
      " sets the learning rate and cannot be used with an optimizer "
      "learning_rate_schedule";
  EXPECT_EQ(Error("reduce_lr_on_plateau {}", true),
            "callbacks[1].reduce_lr_on_plateau" + suffix);
  EXPECT_EQ(Error("learning_rate_scheduler { exponential { lr0: 0.01 s: 20 "
                  "} }",
                  true),
            "callbacks[1].learning_rate_scheduler" + suffix);
  EXPECT_EQ(Error("one_cycle { max_rate: 0.1 }", true),
            "callbacks[1].one_cycle" + suffix);
  EXPECT_TRUE(
      MakeCallback(Parse("early_stopping {}"), "callbacks[1]", true).ok());
}

TEST(MakeCallbackTest, Messages) {
  EXPECT_EQ(Error(""),
            "callbacks[1] must set one of reduce_lr_on_plateau, "
            "early_stopping, learning_rate_scheduler, one_cycle");
  EXPECT_EQ(Error("reduce_lr_on_plateau { factor: 1.0 }"),
            "callbacks[1].reduce_lr_on_plateau.factor must be in (0, 1)");
  EXPECT_EQ(Error("reduce_lr_on_plateau { factor: 0 }"),
            "callbacks[1].reduce_lr_on_plateau.factor must be in (0, 1)");
  EXPECT_EQ(Error("reduce_lr_on_plateau { patience: -1 }"),
            "callbacks[1].reduce_lr_on_plateau.patience must be >= 0");
  EXPECT_EQ(Error("reduce_lr_on_plateau { cooldown: -2 }"),
            "callbacks[1].reduce_lr_on_plateau.cooldown must be >= 0");
  EXPECT_EQ(Error("reduce_lr_on_plateau { min_lr: -0.1 }"),
            "callbacks[1].reduce_lr_on_plateau.min_lr must be >= 0");
  EXPECT_EQ(Error("reduce_lr_on_plateau { monitor: 'val_acc' }"),
            "callbacks[1].reduce_lr_on_plateau.monitor must be one of loss, "
            "accuracy, val_loss, val_accuracy (got \"val_acc\")");
  EXPECT_EQ(Error("early_stopping { mode: 'up' }"),
            "callbacks[1].early_stopping.mode must be one of auto, min, max "
            "(got \"up\")");
  EXPECT_EQ(Error("early_stopping { min_delta: -1 }"),
            "callbacks[1].early_stopping.min_delta must be >= 0");
  EXPECT_EQ(Error("early_stopping { patience: -1 }"),
            "callbacks[1].early_stopping.patience must be >= 0");
  EXPECT_EQ(Error("learning_rate_scheduler {}"),
            "callbacks[1].learning_rate_scheduler must set one of "
            "exponential, piecewise_constant");
  EXPECT_EQ(Error("learning_rate_scheduler { exponential { lr0: 0.01 } }"),
            "callbacks[1].learning_rate_scheduler.exponential.s must be > 0");
  EXPECT_EQ(Error("learning_rate_scheduler { piecewise_constant { "
                  "boundaries: [5, 15] values: [0.01, 0.005] } }"),
            "callbacks[1].learning_rate_scheduler.piecewise_constant.values "
            "must have one more entry than "
            "callbacks[1].learning_rate_scheduler.piecewise_constant."
            "boundaries (got 2 values, 2 boundaries)");
  EXPECT_EQ(Error("learning_rate_scheduler { piecewise_constant { "
                  "boundaries: [15, 5] values: [0.01, 0.005, 0.001] } }"),
            "callbacks[1].learning_rate_scheduler.piecewise_constant."
            "boundaries must be strictly increasing (boundaries[1] = 5 "
            "after 15)");
  EXPECT_EQ(Error("one_cycle {}"),
            "callbacks[1].one_cycle.max_rate must be > 0");
  EXPECT_EQ(Error("one_cycle { max_rate: 0.1 last_fraction: 1 }"),
            "callbacks[1].one_cycle.last_fraction must be in [0, 1)");
  EXPECT_EQ(Error("one_cycle { max_rate: 0.1 min_momentum: 1.5 }"),
            "callbacks[1].one_cycle.min_momentum must be in [0, 1]");
  EXPECT_EQ(Error("one_cycle { max_rate: 0.1 start_rate: 0 }"),
            "callbacks[1].one_cycle.start_rate must be > 0");
}

}  // namespace
}  // namespace profundo
