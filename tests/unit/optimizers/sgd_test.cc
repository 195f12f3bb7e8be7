#include "engine/optimizers/sgd.h"

#include <vector>

#include "engine/schedules/exponential_decay.h"
#include "gtest/gtest.h"
#include "tests/unit/optimizers/optimizer_test_util.h"

namespace profundo {
namespace {

using testing_util::ExpectWeightsNear;
using testing_util::Gradients;
using testing_util::InitialWeights;
using testing_util::RunSteps;

OptimizerOptions WithLr(double lr) {
  OptimizerOptions o;
  o.learning_rate = lr;
  return o;
}

// SPEC: v = mu v - lr g; w += v (Nesterov: w += mu v - lr g, new v).
std::vector<std::vector<double>> Reference(double lr, double mu,
                                           bool nesterov) {
  std::vector<double> w = InitialWeights();
  std::vector<double> v(3, 0.0);
  std::vector<std::vector<double>> out;
  for (const std::vector<double>& g : Gradients()) {
    for (int i = 0; i < 3; ++i) {
      v[i] = mu * v[i] - lr * g[i];
      w[i] += nesterov ? mu * v[i] - lr * g[i] : v[i];
    }
    out.push_back(w);
  }
  return out;
}

TEST(SgdTest, PlainStepsByHand) {
  SGD opt(WithLr(0.1), 0.0, false);
  EXPECT_FALSE(opt.has_momentum());
  auto got = RunSteps(opt, Gradients());
  // w -= 0.1 g, step by step.
  ExpectWeightsNear(
      got, {{0.95, -1.9, 0.3}, {0.94, -1.93, 0.34}, {0.96, -1.93, 0.19}}, 1e-6);
  EXPECT_EQ(opt.iterations(), 3);
  EXPECT_TRUE(opt.slots().empty());
}

TEST(SgdTest, Momentum) {
  SGD opt(WithLr(0.1), 0.9, false);
  EXPECT_TRUE(opt.has_momentum());
  EXPECT_DOUBLE_EQ(opt.momentum(), 0.9);
  auto got = RunSteps(opt, Gradients());
  // Step 2, weight 0: v = 0.9 * -0.05 - 0.01 = -0.055; w = 0.95 - 0.055.
  EXPECT_NEAR(got[1][0], 0.895, 1e-6);
  ExpectWeightsNear(got, Reference(0.1, 0.9, false), 1e-6);
  auto slots = opt.slots();
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].first, "momentum");
}

TEST(SgdTest, Nesterov) {
  SGD opt(WithLr(0.1), 0.9, true);
  auto got = RunSteps(opt, Gradients());
  // Step 1, weight 0: v = -0.05; w = 1 + 0.9 * -0.05 - 0.05 = 0.905.
  EXPECT_NEAR(got[0][0], 0.905, 1e-6);
  ExpectWeightsNear(got, Reference(0.1, 0.9, true), 1e-6);
}

TEST(SgdTest, LegacyDecay) {
  OptimizerOptions o = WithLr(0.1);
  o.decay = 0.5;
  SGD opt(std::move(o), 0.0, false);
  EXPECT_DOUBLE_EQ(opt.current_learning_rate(), 0.1);
  auto got = RunSteps(opt, {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}});
  // lr_k = 0.1 / (1 + 0.5 k) for k = 0, 1, 2: 0.1, 0.0666.., 0.05.
  EXPECT_NEAR(got[0][0], 1.0 - 0.1, 1e-6);
  EXPECT_NEAR(got[2][0], 1.0 - 0.1 - 0.1 / 1.5 - 0.05, 1e-6);
  EXPECT_DOUBLE_EQ(opt.current_learning_rate(), 0.1 / 2.5);
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.1);  // the base rate
}

TEST(SgdTest, ScheduleThenDecay) {
  OptimizerOptions o;
  o.schedule = std::make_unique<ExponentialDecay>(0.1, 1.0, 0.5, false);
  o.decay = 1.0;
  SGD opt(std::move(o), 0.0, false);
  EXPECT_TRUE(opt.has_schedule());
  auto got = RunSteps(opt, {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}});
  // step k: 0.1 * 0.5^k / (1 + k) = 0.1, 0.025, 0.008333...
  EXPECT_NEAR(got[2][0], 1.0 - 0.1 - 0.025 - 0.025 / 3, 1e-6);
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.1 * 0.125);
  opt.set_learning_rate(0.2);  // replaces the schedule
  EXPECT_FALSE(opt.has_schedule());
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.2);
  EXPECT_DOUBLE_EQ(opt.current_learning_rate(), 0.2 / 4);
}

TEST(SgdTest, AppliesMaxNormAfterTheUpdate) {
  ParameterStore store;
  const int kernel = store.Add("dense/kernel", {2}, true);
  const int free = store.Add("dense/bias", {2}, true);
  store.param(kernel).constraint = MaxNorm{1.0, 0};
  store.Allocate();
  store.trainable_values() = {3, 4, 3, 4};
  store.grads() = {-10, 0, -10, 0};  // lr 0.1: w becomes [4, 4] first
  SGD opt(WithLr(0.1), 0.0, false);
  opt.Step(store);
  // ||[4, 4]|| = 5.656854: scaled to norm 1 (SPEC: 1 / (1e-7 + norm)).
  const double scale = 1.0 / (1e-7 + 5.656854249492381);
  EXPECT_NEAR(store.value(kernel)[0], 4 * scale, 1e-6);
  EXPECT_NEAR(store.value(kernel)[1], 4 * scale, 1e-6);
  EXPECT_FLOAT_EQ(store.value(free)[0], 4.0f);
  EXPECT_FLOAT_EQ(store.value(free)[1], 4.0f);
}

}  // namespace
}  // namespace profundo
