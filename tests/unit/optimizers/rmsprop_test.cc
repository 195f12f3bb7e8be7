#include "engine/optimizers/rmsprop.h"

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

// Keras: ms = rho ms + (1-rho) g^2; centered: mg = rho mg + (1-rho) g and
// denom = ms - mg^2 + eps, else ms + eps; inc = lr g / sqrt(denom);
// momentum: mom = mu mom + inc, w -= mom; else w -= inc.
std::vector<std::vector<double>> Reference(double lr, double rho, double mu,
                                           double eps, bool centered) {
  std::vector<double> w = InitialWeights();
  std::vector<double> ms(3, 0.0), mg(3, 0.0), mom(3, 0.0);
  std::vector<std::vector<double>> out;
  for (const std::vector<double>& g : Gradients()) {
    for (int i = 0; i < 3; ++i) {
      ms[i] = rho * ms[i] + (1 - rho) * g[i] * g[i];
      double denom = ms[i] + eps;
      if (centered) {
        mg[i] = rho * mg[i] + (1 - rho) * g[i];
        denom = ms[i] - mg[i] * mg[i] + eps;
      }
      const double inc = lr * g[i] / std::sqrt(denom);
      if (mu > 0) {
        mom[i] = mu * mom[i] + inc;
        w[i] -= mom[i];
      } else {
        w[i] -= inc;
      }
    }
    out.push_back(w);
  }
  return out;
}

RMSprop Make(double mu, bool centered) {
  OptimizerOptions o;
  o.learning_rate = 0.01;
  return RMSprop(std::move(o), 0.9, mu, 1e-7, centered);
}

TEST(RmspropTest, Plain) {
  RMSprop opt = Make(0.0, false);
  EXPECT_FALSE(opt.has_momentum());
  auto got = RunSteps(opt, Gradients());
  // Step 1: ms = 0.1 g^2, so w -= 0.01 g / (sqrt(0.1) |g|) ~ 0.0316228 sign g.
  EXPECT_NEAR(got[0][0], 1.0 - 0.0316228, 1e-6);
  ExpectWeightsNear(got, Reference(0.01, 0.9, 0.0, 1e-7, false), 1e-6);
  ASSERT_EQ(opt.slots().size(), 1u);
}

TEST(RmspropTest, Momentum) {
  RMSprop opt = Make(0.9, false);
  EXPECT_TRUE(opt.has_momentum());
  ExpectWeightsNear(RunSteps(opt, Gradients()),
                    Reference(0.01, 0.9, 0.9, 1e-7, false), 1e-6);
  auto slots = opt.slots();
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[1].first, "momentum");
}

TEST(RmspropTest, Centered) {
  RMSprop opt = Make(0.0, true);
  auto got = RunSteps(opt, Gradients());
  // Step 1: ms - mg^2 = 0.1 g^2 - 0.01 g^2 = 0.09 g^2: w -= 0.01 / 0.3.
  EXPECT_NEAR(got[0][0], 1.0 - 0.01 / 0.3, 1e-6);
  ExpectWeightsNear(got, Reference(0.01, 0.9, 0.0, 1e-7, true), 1e-6);
  auto slots = opt.slots();
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[1].first, "average_gradient");
}

TEST(RmspropTest, CenteredWithMomentum) {
  RMSprop opt = Make(0.5, true);
  ExpectWeightsNear(RunSteps(opt, Gradients()),
                    Reference(0.01, 0.9, 0.5, 1e-7, true), 1e-6);
  EXPECT_EQ(opt.slots().size(), 3u);
}

}  // namespace
}  // namespace profundo
