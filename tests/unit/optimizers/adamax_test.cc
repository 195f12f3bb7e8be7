#include "engine/optimizers/adamax.h"

#include <algorithm>
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

// SPEC: m += (g-m)(1-b1); u = max(b2 u, |g|); w -= lr/(1-b1^t) m/(u + eps).
std::vector<std::vector<double>> Reference(double lr, double b1, double b2,
                                           double eps) {
  std::vector<double> w = InitialWeights();
  std::vector<double> m(3, 0.0), u(3, 0.0);
  std::vector<std::vector<double>> out;
  int t = 0;
  for (const std::vector<double>& g : Gradients()) {
    ++t;
    for (int i = 0; i < 3; ++i) {
      m[i] += (g[i] - m[i]) * (1 - b1);
      u[i] = std::max(b2 * u[i], std::abs(g[i]));
      w[i] -= lr / (1 - std::pow(b1, t)) * m[i] / (u[i] + eps);
    }
    out.push_back(w);
  }
  return out;
}

TEST(AdamaxTest, InfinityNorm) {
  OptimizerOptions o;
  o.learning_rate = 0.1;
  Adamax opt(std::move(o), 0.9, 0.999, 1e-7);
  EXPECT_TRUE(opt.has_momentum());
  auto got = RunSteps(opt, Gradients());
  // Step 1: m = 0.1 g, u = |g|: w -= 0.1 / 0.1 * 0.1 g / |g| = 0.1 sign g.
  EXPECT_NEAR(got[0][0], 0.9, 1e-6);
  // Step 2, weight 0: m = 0.045 + 0.01 = 0.055, u = max(0.4995, 0.1).
  EXPECT_NEAR(got[1][0], 0.9 - 0.1 / 0.19 * 0.055 / (0.4995 + 1e-7), 1e-6);
  ExpectWeightsNear(got, Reference(0.1, 0.9, 0.999, 1e-7), 1e-6);
  auto slots = opt.slots();
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[1].first, "u");
}

}  // namespace
}  // namespace profundo
