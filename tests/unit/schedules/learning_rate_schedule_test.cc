// keras.optimizers.schedules: values at chosen steps, computed by hand from
// the formulas in each header, and MakeLearningRateSchedule's validation.
#include "engine/schedules/learning_rate_schedule.h"

#include <cmath>
#include <string>

#include "engine/schedules/exponential_decay.h"
#include "engine/schedules/inverse_time_decay.h"
#include "engine/schedules/piecewise_constant_decay.h"
#include "engine/schedules/polynomial_decay.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

TEST(ExponentialDecayTest, Smooth) {
  // The seed: ExponentialDecay(0.01, s, 0.1) with s = 20 steps.
  ExponentialDecay lr(0.01, 20, 0.1, false);
  EXPECT_DOUBLE_EQ(lr(0), 0.01);
  EXPECT_NEAR(lr(10), 0.01 * std::sqrt(0.1), 1e-15);  // 0.0031622...
  EXPECT_NEAR(lr(20), 0.001, 1e-15);
  EXPECT_NEAR(lr(40), 0.0001, 1e-15);
}

TEST(ExponentialDecayTest, Staircase) {
  ExponentialDecay lr(0.1, 10, 0.5, true);
  EXPECT_DOUBLE_EQ(lr(0), 0.1);
  EXPECT_DOUBLE_EQ(lr(9), 0.1);
  EXPECT_DOUBLE_EQ(lr(10), 0.05);
  EXPECT_DOUBLE_EQ(lr(25), 0.025);
}

TEST(InverseTimeDecayTest, SeedPowerSchedule) {
  // lr0 / (1 + t / s) with s = 100: halves at s, a third at 2s.
  InverseTimeDecay lr(0.01, 100, 1.0, false);
  EXPECT_DOUBLE_EQ(lr(0), 0.01);
  EXPECT_DOUBLE_EQ(lr(50), 0.01 / 1.5);
  EXPECT_DOUBLE_EQ(lr(100), 0.005);
  EXPECT_DOUBLE_EQ(lr(200), 0.01 / 3);
}

TEST(InverseTimeDecayTest, Staircase) {
  InverseTimeDecay lr(1.0, 10, 0.5, true);
  EXPECT_DOUBLE_EQ(lr(9), 1.0);
  EXPECT_DOUBLE_EQ(lr(10), 1.0 / 1.5);
  EXPECT_DOUBLE_EQ(lr(35), 1.0 / 2.5);
}

TEST(PiecewiseConstantDecayTest, BoundariesBelongToTheLeftInterval) {
  PiecewiseConstantDecay lr({100, 110}, {1.0, 0.5, 0.1});
  EXPECT_DOUBLE_EQ(lr(0), 1.0);
  EXPECT_DOUBLE_EQ(lr(100), 1.0);  // step <= boundaries[0]
  EXPECT_DOUBLE_EQ(lr(101), 0.5);
  EXPECT_DOUBLE_EQ(lr(110), 0.5);
  EXPECT_DOUBLE_EQ(lr(111), 0.1);
  EXPECT_DOUBLE_EQ(lr(100000), 0.1);
}

TEST(PolynomialDecayTest, LinearWithoutCycle) {
  // (0.1 - 0.01) * (1 - min(step, 100) / 100) + 0.01.
  PolynomialDecay lr(0.1, 100, 0.01, 1.0, false);
  EXPECT_DOUBLE_EQ(lr(0), 0.1);
  EXPECT_NEAR(lr(50), 0.055, 1e-15);
  EXPECT_NEAR(lr(100), 0.01, 1e-15);
  EXPECT_NEAR(lr(250), 0.01, 1e-15);
}

TEST(PolynomialDecayTest, PowerAndCycle) {
  PolynomialDecay squared(1.0, 10, 0.0, 2.0, false);
  EXPECT_NEAR(squared(5), 0.25, 1e-15);
  // cycle: decay_steps grows to 10 * ceil(step / 10).
  PolynomialDecay cyc(1.0, 10, 0.0, 1.0, true);
  EXPECT_DOUBLE_EQ(cyc(0), 1.0);
  EXPECT_NEAR(cyc(5), 0.5, 1e-15);
  EXPECT_NEAR(cyc(10), 0.0, 1e-15);
  EXPECT_NEAR(cyc(15), 0.25, 1e-15);  // 1 - 15/20
  EXPECT_NEAR(cyc(20), 0.0, 1e-15);
  EXPECT_NEAR(cyc(21), 1.0 - 21.0 / 30, 1e-15);
}

v1::LearningRateSchedule Parse(const std::string& text) {
  v1::LearningRateSchedule spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec))
      << text;
  return spec;
}

std::string Error(const std::string& text) {
  auto s = MakeLearningRateSchedule(Parse(text), "lrs");
  EXPECT_FALSE(s.ok()) << text;
  if (s.ok()) return "";
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

TEST(MakeLearningRateScheduleTest, Builds) {
  auto s = MakeLearningRateSchedule(
      Parse("polynomial_decay { initial_learning_rate: 0.1 decay_steps: 10 "
            "}"),
      "lrs");
  ASSERT_TRUE(s.ok()) << s.status();
  // Defaults end 0.0001, power 1.
  EXPECT_NEAR((**s)(10), 0.0001, 1e-15);
  EXPECT_NEAR((**s)(5), (0.1 - 0.0001) * 0.5 + 0.0001, 1e-15);

  s = MakeLearningRateSchedule(
      Parse("piecewise_constant_decay { boundaries: [5] values: [0.1, 0.01] "
            "}"),
      "lrs");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_DOUBLE_EQ((**s)(5), 0.1);
  EXPECT_DOUBLE_EQ((**s)(6), 0.01);

  s = MakeLearningRateSchedule(
      Parse("inverse_time_decay { initial_learning_rate: 0.01 decay_steps: "
            "1 decay_rate: 0.0001 }"),
      "lrs");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_DOUBLE_EQ((**s)(10000), 0.005);
}

TEST(MakeLearningRateScheduleTest, Messages) {
  EXPECT_EQ(Error(""),
            "lrs must set one of exponential_decay, inverse_time_decay, "
            "piecewise_constant_decay, polynomial_decay");
  EXPECT_EQ(Error("exponential_decay { decay_steps: 1 decay_rate: 0.5 }"),
            "lrs.exponential_decay.initial_learning_rate must be > 0");
  EXPECT_EQ(Error("exponential_decay { initial_learning_rate: 0.1 "
                  "decay_steps: 0 decay_rate: 0.5 }"),
            "lrs.exponential_decay.decay_steps must be > 0");
  EXPECT_EQ(Error("exponential_decay { initial_learning_rate: 0.1 "
                  "decay_steps: 10 }"),
            "lrs.exponential_decay.decay_rate must be > 0");
  EXPECT_EQ(Error("inverse_time_decay { initial_learning_rate: 0.1 "
                  "decay_steps: 10 decay_rate: -1 }"),
            "lrs.inverse_time_decay.decay_rate must be >= 0");
  EXPECT_EQ(Error("piecewise_constant_decay { boundaries: [1, 2] values: "
                  "[0.1, 0.01] }"),
            "lrs.piecewise_constant_decay.values must have one more entry "
            "than lrs.piecewise_constant_decay.boundaries (got 2 values, 2 "
            "boundaries)");
  EXPECT_EQ(Error("piecewise_constant_decay { boundaries: [5, 5] values: "
                  "[0.1, 0.01, 0.001] }"),
            "lrs.piecewise_constant_decay.boundaries must be strictly "
            "increasing (boundaries[1] = 5 after 5)");
  EXPECT_EQ(Error("piecewise_constant_decay { boundaries: [5] values: [0.1, "
                  "0] }"),
            "lrs.piecewise_constant_decay.values[1] must be > 0");
  EXPECT_EQ(Error("polynomial_decay { initial_learning_rate: 0.1 "
                  "decay_steps: 10 power: -1 }"),
            "lrs.polynomial_decay.power must be >= 0");
  EXPECT_EQ(Error("polynomial_decay { initial_learning_rate: 0.1 "
                  "decay_steps: 10 end_learning_rate: -0.1 }"),
            "lrs.polynomial_decay.end_learning_rate must be >= 0");
}

}  // namespace
}  // namespace profundo
