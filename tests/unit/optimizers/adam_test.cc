#include "engine/optimizers/adam.h"

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

// SPEC: m += (g-m)(1-b1); v += (g^2-v)(1-b2);
// w -= lr sqrt(1-b2^t)/(1-b1^t) m/(sqrt v + eps); amsgrad: vhat = max(vhat, v)
// in the denominator.
std::vector<std::vector<double>> Reference(double lr, double b1, double b2,
                                           double eps, bool amsgrad) {
  std::vector<double> w = InitialWeights();
  std::vector<double> m(3, 0.0), v(3, 0.0), vhat(3, 0.0);
  std::vector<std::vector<double>> out;
  int t = 0;
  for (const std::vector<double>& g : Gradients()) {
    ++t;
    const double alpha =
        lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    for (int i = 0; i < 3; ++i) {
      m[i] += (g[i] - m[i]) * (1 - b1);
      v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
      vhat[i] = std::max(vhat[i], v[i]);
      const double denom_v = amsgrad ? vhat[i] : v[i];
      w[i] -= alpha * m[i] / (std::sqrt(denom_v) + eps);
    }
    out.push_back(w);
  }
  return out;
}

TEST(AdamTest, KingmaBa) {
  OptimizerOptions o;
  o.learning_rate = 0.1;
  Adam opt(std::move(o), 0.9, 0.999, 1e-7, false);
  EXPECT_TRUE(opt.has_momentum());
  EXPECT_DOUBLE_EQ(opt.momentum(), 0.9);
  auto got = RunSteps(opt, Gradients());
  // Step 1 moves every weight by lr against the gradient's sign.
  EXPECT_NEAR(got[0][0], 0.9, 1e-6);
  EXPECT_NEAR(got[0][1], -1.9, 1e-6);
  EXPECT_NEAR(got[0][2], 0.4, 1e-6);
  ExpectWeightsNear(got, Reference(0.1, 0.9, 0.999, 1e-7, false), 2e-6);
  EXPECT_EQ(opt.slots().size(), 2u);
}

TEST(AdamTest, Amsgrad) {
  // beta_2 0.5 makes v shrink after the large first gradient, so vhat
  // differs from v.
  OptimizerOptions o;
  o.learning_rate = 0.1;
  Adam opt(std::move(o), 0.9, 0.5, 1e-7, true);
  auto got = RunSteps(opt, Gradients());
  const auto want = Reference(0.1, 0.9, 0.5, 1e-7, true);
  ExpectWeightsNear(got, want, 2e-6);
  const auto plain = Reference(0.1, 0.9, 0.5, 1e-7, false);
  EXPECT_GT(std::abs(plain[2][2] - want[2][2]), 1e-3);  // amsgrad matters
  auto slots = opt.slots();
  ASSERT_EQ(slots.size(), 3u);
  EXPECT_EQ(slots[2].first, "vhat");
}

TEST(AdamTest, SetMomentumChangesBeta1) {
  OptimizerOptions o;
  o.learning_rate = 0.1;
  Adam opt(std::move(o), 0.9, 0.999, 1e-7, false);
  opt.set_momentum(0.5);
  ExpectWeightsNear(RunSteps(opt, Gradients()),
                    Reference(0.1, 0.5, 0.999, 1e-7, false), 2e-6);
}

}  // namespace
}  // namespace profundo
