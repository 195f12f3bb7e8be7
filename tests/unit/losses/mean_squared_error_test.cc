// MeanSquaredError: value by hand, gradient against finite differences,
// targets shapes.
#include "engine/losses/mean_squared_error.h"

#include <cmath>
#include <string>

#include "engine/rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/losses/loss_test_util.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;
using testing_util::ExpectLossGradientMatches;

TEST(MeanSquaredErrorTest, ValueAndGradientByHand) {
  MeanSquaredError loss;
  const Tensor p({2, 2}, {1, 2, 3, 4});
  const Tensor t({2, 2}, {0, 2, 1, 1});
  Tensor diff;
  // Row means (1 + 0) / 2 and (4 + 9) / 2, batch mean 3.5.
  EXPECT_DOUBLE_EQ(loss.Compute(p, t, &diff), 3.5);
  EXPECT_EQ(diff.values(), (std::vector<float>{0.5f, 0.0f, 1.0f, 1.5f}));
}

TEST(MeanSquaredErrorTest, FlatTargetsForOneOutput) {
  MeanSquaredError loss;
  EXPECT_DOUBLE_EQ(
      loss.Compute(Tensor({3, 1}, {1, 2, 3}), Tensor({3}, {1, 0, 0}), nullptr),
      (0 + 4 + 9) / 3.0);
}

TEST(MeanSquaredErrorTest, GradientMatchesFiniteDifferences) {
  MeanSquaredError loss;
  Rng rng(12);
  Tensor p({4, 3}), t({4, 3});
  for (float& v : p.values()) v = static_cast<float>(rng.Normal());
  for (float& v : t.values()) v = static_cast<float>(rng.Normal());
  ExpectLossGradientMatches(loss, /*from_logits=*/false, p, t, 1e-5);
}

TEST(MeanSquaredErrorTest, FusesWithNoHead) {
  MeanSquaredError loss;
  EXPECT_FALSE(loss.FusesWith(ActivationKind::kSoftmax));
  EXPECT_FALSE(loss.FusesWith(ActivationKind::kSigmoid));
  EXPECT_FALSE(loss.FusesWith(ActivationKind::kLinear));
  Tensor diff;
  EXPECT_TRUE(std::isnan(
      loss.ComputeFromLogits(Tensor({1, 2}), Tensor({1, 2}), &diff)));
  EXPECT_EQ(diff.values(), (std::vector<float>{0, 0}));
}

TEST(MeanSquaredErrorTest, ValidateTargets) {
  MeanSquaredError loss;
  EXPECT_TRUE(loss.ValidateTargets(Tensor({4}, {1, -2, 30, 0}), 1, "y").ok());
  EXPECT_TRUE(loss.ValidateTargets(Tensor({4, 2}), 2, "y").ok());
  absl::Status s = loss.ValidateTargets(Tensor({4}), 2, "val targets");
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("val targets must be [N, 2] for mse (the model has 2 "
                        "outputs), got [4]"));
  s = loss.ValidateTargets(Tensor({1, 1}, {-INFINITY}), 1, "y");
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("y[0, 0] = -inf is not finite"));
}

}  // namespace
}  // namespace profundo
