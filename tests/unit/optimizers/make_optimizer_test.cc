// MakeOptimizer: defaults and INVALID_ARGUMENT messages with field paths.
#include <string>

#include "engine/optimizers/optimizer.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;

v1::Optimizer Parse(const std::string& text) {
  v1::Optimizer spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec))
      << text;
  return spec;
}

std::string Error(const std::string& text) {
  auto opt = MakeOptimizer(Parse(text), "optimizer");
  EXPECT_FALSE(opt.ok()) << text;
  if (opt.ok()) return "";
  EXPECT_EQ(opt.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(opt.status().message());
}

TEST(MakeOptimizerTest, DefaultIsSgd) {
  auto opt = MakeOptimizer(v1::Optimizer(), "optimizer");
  ASSERT_TRUE(opt.ok()) << opt.status();
  EXPECT_STREQ((*opt)->name(), "SGD");
  EXPECT_DOUBLE_EQ((*opt)->learning_rate(), 0.01);
  EXPECT_FALSE((*opt)->has_momentum());
}

TEST(MakeOptimizerTest, DefaultLearningRates) {
  const std::pair<const char*, const char*> kinds[] = {
      {"sgd {}", "SGD"},   {"adagrad {}", "Adagrad"}, {"rmsprop {}", "RMSprop"},
      {"adam {}", "Adam"}, {"adamax {}", "Adamax"},   {"nadam {}", "Nadam"}};
  for (const auto& [text, name] : kinds) {
    auto opt = MakeOptimizer(Parse(text), "optimizer");
    ASSERT_TRUE(opt.ok()) << opt.status();
    EXPECT_STREQ((*opt)->name(), name);
    EXPECT_DOUBLE_EQ((*opt)->learning_rate(),
                     std::string(name) == "SGD" ? 0.01 : 0.001)
        << name;
  }
}

TEST(MakeOptimizerTest, ReadsArguments) {
  auto opt = MakeOptimizer(
      Parse("sgd { momentum: 0.9 nesterov: true } learning_rate: 0.05"),
      "optimizer");
  ASSERT_TRUE(opt.ok()) << opt.status();
  EXPECT_DOUBLE_EQ((*opt)->learning_rate(), 0.05);
  EXPECT_TRUE((*opt)->has_momentum());
  EXPECT_DOUBLE_EQ((*opt)->momentum(), 0.9);

  opt = MakeOptimizer(Parse("adam { beta_1: 0.8 }"), "optimizer");
  ASSERT_TRUE(opt.ok()) << opt.status();
  EXPECT_DOUBLE_EQ((*opt)->momentum(), 0.8);

  opt = MakeOptimizer(
      Parse("rmsprop {} learning_rate_schedule { exponential_decay { "
            "initial_learning_rate: 0.1 decay_steps: 10 decay_rate: 0.5 } }"),
      "optimizer");
  ASSERT_TRUE(opt.ok()) << opt.status();
  EXPECT_TRUE((*opt)->has_schedule());
  EXPECT_DOUBLE_EQ((*opt)->learning_rate(), 0.1);
}

TEST(MakeOptimizerTest, Messages) {
  EXPECT_EQ(Error("sgd { momentum: 1.5 }"),
            "optimizer.sgd.momentum must be in [0, 1]");
  EXPECT_EQ(Error("sgd { momentum: -0.1 }"),
            "optimizer.sgd.momentum must be in [0, 1]");
  EXPECT_EQ(Error("learning_rate: 0"), "optimizer.learning_rate must be > 0");
  EXPECT_EQ(Error("adam {} learning_rate: -1"),
            "optimizer.learning_rate must be > 0");
  EXPECT_EQ(Error("rmsprop { rho: 1 }"),
            "optimizer.rmsprop.rho must be in [0, 1)");
  EXPECT_EQ(Error("rmsprop { momentum: 2 }"),
            "optimizer.rmsprop.momentum must be in [0, 1]");
  EXPECT_EQ(Error("rmsprop { epsilon: -1 }"),
            "optimizer.rmsprop.epsilon must be >= 0");
  EXPECT_EQ(Error("adam { beta_1: 1 }"),
            "optimizer.adam.beta_1 must be in [0, 1)");
  EXPECT_EQ(Error("adamax { beta_2: -0.5 }"),
            "optimizer.adamax.beta_2 must be in [0, 1)");
  EXPECT_EQ(Error("nadam { epsilon: -1e-7 }"),
            "optimizer.nadam.epsilon must be >= 0");
  EXPECT_EQ(Error("adagrad { initial_accumulator_value: -0.1 }"),
            "optimizer.adagrad.initial_accumulator_value must be >= 0");
  EXPECT_EQ(Error("clipvalue: 0"), "optimizer.clipvalue must be > 0");
  EXPECT_EQ(Error("clipnorm: -1"), "optimizer.clipnorm must be > 0");
  EXPECT_EQ(Error("global_clipnorm: 0"),
            "optimizer.global_clipnorm must be > 0");
  EXPECT_EQ(Error("clipnorm: 1 global_clipnorm: 1"),
            "optimizer.clipnorm and optimizer.global_clipnorm cannot both be "
            "set");
  EXPECT_EQ(Error("decay: -0.01"), "optimizer.decay must be >= 0");
  EXPECT_EQ(Error("learning_rate: 0.1 learning_rate_schedule { "
                  "exponential_decay { initial_learning_rate: 0.1 "
                  "decay_steps: 10 decay_rate: 0.5 } }"),
            "optimizer.learning_rate and optimizer.learning_rate_schedule "
            "cannot both be set");
  // Schedule errors carry the optimizer's path.
  EXPECT_THAT(Error("learning_rate_schedule { exponential_decay { "
                    "initial_learning_rate: 0.1 decay_rate: 0.5 } }"),
              HasSubstr("optimizer.learning_rate_schedule.exponential_decay."
                        "decay_steps must be > 0"));
}

TEST(MakeOptimizerTest, ClipValueWithClipNormIsAllowed) {
  EXPECT_TRUE(
      MakeOptimizer(Parse("clipvalue: 1 clipnorm: 1"), "optimizer").ok());
  EXPECT_TRUE(
      MakeOptimizer(Parse("clipvalue: 1 global_clipnorm: 1"), "optimizer")
          .ok());
}

}  // namespace
}  // namespace profundo
