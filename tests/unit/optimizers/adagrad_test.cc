#include "engine/optimizers/adagrad.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/optimizers/optimizer_test_util.h"

namespace profundo {
namespace {

using testing_util::ExpectWeightsNear;
using testing_util::Gradients;
using testing_util::InitialWeights;
using testing_util::RunSteps;

// SPEC: acc += g^2; w -= lr g / sqrt(acc + eps), acc from init.
std::vector<std::vector<double>> Reference(double lr, double init, double eps) {
  std::vector<double> w = InitialWeights();
  std::vector<double> acc(3, init);
  std::vector<std::vector<double>> out;
  for (const std::vector<double>& g : Gradients()) {
    for (int i = 0; i < 3; ++i) {
      acc[i] += g[i] * g[i];
      w[i] -= lr * g[i] / std::sqrt(acc[i] + eps);
    }
    out.push_back(w);
  }
  return out;
}

TEST(AdagradTest, StartsFromInitialAccumulator) {
  OptimizerOptions o;
  o.learning_rate = 0.1;
  Adagrad opt(std::move(o), 0.1, 1e-7);
  EXPECT_FALSE(opt.has_momentum());
  auto got = RunSteps(opt, Gradients());
  // Step 1, weight 0: acc = 0.1 + 0.25; w = 1 - 0.05 / sqrt(0.35 + 1e-7).
  EXPECT_NEAR(got[0][0], 0.9154845, 1e-6);
  ExpectWeightsNear(got, Reference(0.1, 0.1, 1e-7), 1e-6);
  auto slots = opt.slots();
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].first, "accumulator");
  // acc of weight 2 = 0.1 + 4 + 0.16 + 2.25.
  EXPECT_NEAR((*slots[0].second)[2], 6.51, 1e-5);
}

TEST(AdagradTest, OtherInitialValue) {
  OptimizerOptions o;
  o.learning_rate = 0.5;
  Adagrad opt(std::move(o), 1.0, 0.0);
  ExpectWeightsNear(RunSteps(opt, Gradients()), Reference(0.5, 1.0, 0.0), 1e-6);
}

}  // namespace
}  // namespace profundo
