// CategoricalCrossentropy: values by hand, gradients against finite
// differences, the loss from the head's softmax against the one from
// logits, stability on huge logits, and target validation.
#include "engine/losses/categorical_crossentropy.h"

#include <cmath>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/losses/loss_test_util.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;
using testing_util::ExpectFromSoftmaxMatchesFromLogits;
using testing_util::ExpectLossGradientMatches;
using testing_util::ExpectSoftmaxChainRule;
using testing_util::RandomTensor;
using testing_util::Softmax;

TEST(CategoricalCrossentropyTest, ValueByHand) {
  CategoricalCrossentropy loss;
  const Tensor p({2, 3}, {0.7f, 0.2f, 0.1f, 0.1f, 0.1f, 0.8f});
  // One-hot and soft targets.
  const Tensor t({2, 3}, {1, 0, 0, 0, 0.5f, 0.5f});
  Tensor diff;
  const double expected =
      (-std::log(0.7) - 0.5 * std::log(0.1) - 0.5 * std::log(0.8)) / 2;
  EXPECT_NEAR(loss.Compute(p, t, &diff), expected, 1e-6);
  // Rows sum to 1: d/dp_k = (-t_k / p_k + sum_j t_j) / N.
  EXPECT_NEAR(diff.at(0, 0), (-1 / 0.7 + 1) / 2, 1e-5);
  EXPECT_NEAR(diff.at(0, 1), 0.5, 1e-5);
  EXPECT_NEAR(diff.at(1, 1), (-0.5 / 0.1 + 1) / 2, 1e-5);
}

TEST(CategoricalCrossentropyTest, NormalizesThenClipsLikeKeras) {
  CategoricalCrossentropy loss;
  // [0.2, 0.2, 0.1] is rescaled to [0.4, 0.4, 0.2].
  EXPECT_NEAR(loss.Compute(Tensor({1, 3}, {0.2f, 0.2f, 0.1f}),
                           Tensor({1, 3}, {1, 0, 0}), nullptr),
              std::log(2.5), 1e-6);
  // A zero probability is clipped to 1e-7.
  EXPECT_NEAR(loss.Compute(Tensor({1, 2}, {0.0f, 1.0f}), Tensor({1, 2}, {1, 0}),
                           nullptr),
              -std::log(1e-7), 1e-5);
}

TEST(CategoricalCrossentropyTest, GradientMatchesFiniteDifferences) {
  CategoricalCrossentropy loss;
  Rng rng(8);
  const Tensor p = RandomTensor({3, 4}, rng, 0.05, 0.5);  // not normalized
  const Tensor t = RandomTensor({3, 4}, rng, 0.0, 1.0);   // soft targets
  ExpectLossGradientMatches(loss, /*from_logits=*/false, p, t, 1e-4, 1e-4);
}

TEST(CategoricalCrossentropyTest, FromLogitsValueAndGradient) {
  CategoricalCrossentropy loss;
  ASSERT_TRUE(loss.FusesWith(ActivationKind::kSoftmax));
  EXPECT_FALSE(loss.FusesWith(ActivationKind::kSigmoid));
  EXPECT_FALSE(loss.sparse_labels());
  Tensor diff;
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  EXPECT_NEAR(loss.ComputeFromLogits(Tensor({1, 3}, {1, 2, 3}),
                                     Tensor({1, 3}, {0, 1, 0}), &diff),
              lse - 2, 1e-6);
  EXPECT_NEAR(diff.at(0, 1), std::exp(2 - lse) - 1, 1e-6);

  Rng rng(9);
  const Tensor logits = RandomTensor({3, 5}, rng, -3, 3);
  const Tensor t =
      RandomTensor({3, 5}, rng, 0.0, 1.0);  // rows not summing to 1
  ExpectLossGradientMatches(loss, /*from_logits=*/true, logits, t, 1e-4);
}

TEST(CategoricalCrossentropyTest, FromLogitsEqualsComputeOnSoftmax) {
  CategoricalCrossentropy loss;
  Rng rng(10);
  const Tensor logits = RandomTensor({5, 10}, rng, -4, 4);
  Tensor t({5, 10});
  for (int64_t i = 0; i < 5; ++i) t.at(i, (3 * i) % 10) = 1;
  Tensor d_logits, d_p;
  const Tensor p = Softmax(logits);
  EXPECT_NEAR(loss.ComputeFromLogits(logits, t, &d_logits),
              loss.Compute(p, t, &d_p), 1e-5);
  ExpectSoftmaxChainRule(p, d_p, d_logits, 1e-5);
}

// From the head's softmax (Model::ApplyHead): one-hot and soft targets
// (rows not summing to 1), huge logits, an infinite logit.
TEST(CategoricalCrossentropyTest, FromSoftmaxEqualsFromLogits) {
  CategoricalCrossentropy loss;
  Rng rng(13);
  Tensor one_hot({5, 10});
  for (int64_t i = 0; i < 5; ++i) one_hot.at(i, (3 * i) % 10) = 1;
  ExpectFromSoftmaxMatchesFromLogits(loss, RandomTensor({5, 10}, rng, -8, 8),
                                     one_hot);
  ExpectFromSoftmaxMatchesFromLogits(loss, RandomTensor({3, 5}, rng, -3, 3),
                                     RandomTensor({3, 5}, rng, 0.0, 1.0));
  ExpectFromSoftmaxMatchesFromLogits(
      loss, Tensor({1, 3}, {1e4f, -1e4f, 0.0f}), Tensor({1, 3}, {0, 1, 0}));
  ExpectFromSoftmaxMatchesFromLogits(
      loss, Tensor({1, 2}, {-std::numeric_limits<float>::infinity(), 1.0f}),
      Tensor({1, 2}, {0, 1}));
}

TEST(CategoricalCrossentropyTest, HugeLogitsStayFinite) {
  CategoricalCrossentropy loss;
  Tensor diff;
  const double v = loss.ComputeFromLogits(Tensor({1, 3}, {1e4f, -1e4f, 0.0f}),
                                          Tensor({1, 3}, {0, 1, 0}), &diff);
  EXPECT_NEAR(v, 2e4, 1e-3);
  EXPECT_NEAR(diff.at(0, 0), 1.0, 1e-6);
  EXPECT_NEAR(diff.at(0, 1), -1.0, 1e-6);
  EXPECT_NEAR(diff.at(0, 2), 0.0, 1e-6);
}

TEST(CategoricalCrossentropyTest, ValidateTargets) {
  CategoricalCrossentropy loss;
  EXPECT_TRUE(loss.ValidateTargets(Tensor({2, 3}), 3, "y").ok());
  absl::Status s = loss.ValidateTargets(Tensor({2}), 3, "y");
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("y must be [N, 3] for categorical_crossentropy (the "
                        "model has 3 outputs), got [2]; for integer class ids "
                        "use sparse_categorical_crossentropy"));
  s = loss.ValidateTargets(Tensor({2, 4}), 3, "y");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  Tensor bad({2, 3});
  bad.at(1, 2) = INFINITY;
  s = loss.ValidateTargets(bad, 3, "y");
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("y[1, 2] = inf is not finite"));
}

}  // namespace
}  // namespace profundo
