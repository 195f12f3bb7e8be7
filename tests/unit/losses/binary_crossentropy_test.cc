// BinaryCrossentropy: values by hand, gradients against finite differences,
// stability on huge logits, and target validation.
#include "engine/losses/binary_crossentropy.h"

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

constexpr double kEps = 1e-7;

TEST(BinaryCrossentropyTest, ValueByHandIsTheMeanOverAllElements) {
  BinaryCrossentropy loss;
  // [N] targets with one output.
  Tensor diff;
  double v =
      loss.Compute(Tensor({2, 1}, {0.9f, 0.2f}), Tensor({2}, {1, 0}), &diff);
  EXPECT_NEAR(v, -(std::log(0.9 + kEps) + std::log(1 - 0.2 + kEps)) / 2, 1e-7);
  EXPECT_NEAR(diff.at(0, 0), -1 / (0.9 + kEps) / 2, 1e-6);
  EXPECT_NEAR(diff.at(1, 0), 1 / (0.8 + kEps) / 2, 1e-6);
  // Two outputs: mean over the last axis, then the batch = mean of all 4.
  v = loss.Compute(Tensor({2, 2}, {0.9f, 0.6f, 0.3f, 0.5f}),
                   Tensor({2, 2}, {1, 0, 0, 0.5f}), nullptr);
  const double expected =
      -(std::log(0.9 + kEps) + std::log(0.4 + kEps) + std::log(0.7 + kEps) +
        0.5 * std::log(0.5 + kEps) + 0.5 * std::log(0.5 + kEps)) /
      4;
  EXPECT_NEAR(v, expected, 1e-6);
}

TEST(BinaryCrossentropyTest, ClipsProbabilities) {
  BinaryCrossentropy loss;
  Tensor diff;
  const double v =
      loss.Compute(Tensor({1, 1}, {1.0f}), Tensor({1, 1}, {0}), &diff);
  // q = 1 - 1e-7: -log(1 - q + 1e-7) = -log(2e-7).
  EXPECT_NEAR(v, -std::log(2e-7), 1e-4);
  EXPECT_EQ(diff.at(0, 0), 0.0f);
}

TEST(BinaryCrossentropyTest, GradientsMatchFiniteDifferences) {
  BinaryCrossentropy loss;
  Rng rng(11);
  Tensor p({3, 2}), t({3, 2}), z({3, 2});
  for (int64_t i = 0; i < 6; ++i) {
    p.data()[i] = static_cast<float>(0.05 + 0.9 * rng.UniformDouble());
    t.data()[i] = static_cast<float>(rng.UniformDouble());
    z.data()[i] = static_cast<float>(-4 + 8 * rng.UniformDouble());
  }
  ExpectLossGradientMatches(loss, /*from_logits=*/false, p, t, 1e-4, 1e-4);
  ExpectLossGradientMatches(loss, /*from_logits=*/true, z, t, 1e-4);
}

TEST(BinaryCrossentropyTest, FromLogitsMatchesComputeOnSigmoid) {
  BinaryCrossentropy loss;
  ASSERT_TRUE(loss.FusesWith(ActivationKind::kSigmoid));
  EXPECT_FALSE(loss.FusesWith(ActivationKind::kSoftmax));
  const Tensor z({2, 2}, {-3.0f, -0.5f, 0.25f, 4.0f});
  const Tensor t({2, 2}, {0, 1, 1, 0.3f});
  Tensor p(z.shape());
  for (int64_t i = 0; i < 4; ++i) {
    p.data()[i] = static_cast<float>(1 / (1 + std::exp(-z.data()[i])));
  }
  Tensor d_z, d_p;
  // Keras's +1e-7 inside the logs makes the two differ by about 1e-7.
  EXPECT_NEAR(loss.ComputeFromLogits(z, t, &d_z), loss.Compute(p, t, &d_p),
              1e-5);
  for (int64_t i = 0; i < 4; ++i) {
    const double s = p.data()[i];
    EXPECT_NEAR(d_z.data()[i], d_p.data()[i] * s * (1 - s), 1e-5);
    EXPECT_NEAR(d_z.data()[i], (s - t.data()[i]) / 4, 1e-6);
  }
}

TEST(BinaryCrossentropyTest, HugeLogitsStayFinite) {
  BinaryCrossentropy loss;
  Tensor diff;
  // x = 1e4, t = 0: loss 1e4; x = -1e4, t = 0: loss 0.
  const double v = loss.ComputeFromLogits(Tensor({2, 1}, {1e4f, -1e4f}),
                                          Tensor({2}, {0, 0}), &diff);
  EXPECT_NEAR(v, 5e3, 1e-6);
  EXPECT_NEAR(diff.data()[0], 0.5, 1e-7);
  EXPECT_NEAR(diff.data()[1], 0.0, 1e-7);
}

TEST(BinaryCrossentropyTest, ValidateTargets) {
  BinaryCrossentropy loss;
  EXPECT_TRUE(loss.ValidateTargets(Tensor({3}, {0, 1, 0.5f}), 1, "y").ok());
  EXPECT_TRUE(loss.ValidateTargets(Tensor({1, 2}, {0, 1}), 2, "y").ok());
  absl::Status s = loss.ValidateTargets(Tensor({2}, {0, 1.5f}), 1, "y");
  EXPECT_THAT(
      std::string(s.message()),
      HasSubstr("y[1, 0] = 1.5 is not in [0, 1] (binary_crossentropy)"));
  s = loss.ValidateTargets(Tensor({1, 2}, {0, std::nanf("")}), 2, "y");
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("y[0, 1] = nan is not finite"));
  s = loss.ValidateTargets(Tensor({3}), 2, "y");
  EXPECT_THAT(std::string(s.message()), HasSubstr("y must be [N, 2]"));
}

}  // namespace
}  // namespace profundo
