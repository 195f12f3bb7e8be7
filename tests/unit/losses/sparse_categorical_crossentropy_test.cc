// SparseCategoricalCrossentropy: values by hand, gradients against finite
// differences, the loss from the head's softmax against the one from
// logits, stability on huge logits, and target validation.
#include "engine/losses/sparse_categorical_crossentropy.h"

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

TEST(SparseCategoricalCrossentropyTest, ValueByHand) {
  SparseCategoricalCrossentropy loss;
  const Tensor p({2, 3}, {0.7f, 0.2f, 0.1f, 0.1f, 0.1f, 0.8f});
  const Tensor y({2}, {0, 2});
  Tensor diff;
  const double expected = -(std::log(0.7) + std::log(0.8)) / 2;
  EXPECT_NEAR(loss.Compute(p, y, &diff), expected, 1e-7);
  // d/dp_j = (1/sum - [j == y] / p_y) / N with sum = 1.
  EXPECT_NEAR(diff.at(0, 0), (1 - 1 / 0.7) / 2, 1e-6);
  EXPECT_NEAR(diff.at(0, 1), 0.5, 1e-6);
  EXPECT_NEAR(diff.at(1, 2), (1 - 1 / 0.8) / 2, 1e-6);
  // [N, 1] labels are the same labels.
  EXPECT_NEAR(loss.Compute(p, Tensor({2, 1}, {0, 2}), nullptr), expected, 1e-7);
}

TEST(SparseCategoricalCrossentropyTest, RenormalizesLikeKeras) {
  // tf.keras: clip, log, then softmax cross-entropy: -log(q_y / sum q).
  SparseCategoricalCrossentropy loss;
  EXPECT_NEAR(loss.Compute(Tensor({1, 3}, {0.2f, 0.2f, 0.1f}), Tensor({1}, {0}),
                           nullptr),
              std::log(2.5), 1e-6);
}

TEST(SparseCategoricalCrossentropyTest, ClipsProbabilities) {
  SparseCategoricalCrossentropy loss;
  Tensor diff;
  // p_y = 0 is clipped to 1e-7 (and 1 to 1 - 1e-7): loss = -log(1e-7).
  const double v =
      loss.Compute(Tensor({1, 2}, {0.0f, 1.0f}), Tensor({1}, {0}), &diff);
  EXPECT_NEAR(v, -std::log(1e-7), 1e-5);
  // Both entries lie outside the clip range: no gradient flows.
  EXPECT_EQ(diff.at(0, 0), 0.0f);
  EXPECT_EQ(diff.at(0, 1), 0.0f);
}

TEST(SparseCategoricalCrossentropyTest, GradientMatchesFiniteDifferences) {
  SparseCategoricalCrossentropy loss;
  Rng rng(5);
  const Tensor p = RandomTensor({4, 5}, rng, 0.05, 0.5);  // rows not normalized
  const Tensor y({4}, {0, 4, 2, 2});
  ExpectLossGradientMatches(loss, /*from_logits=*/false, p, y, 1e-4, 1e-4);
}

TEST(SparseCategoricalCrossentropyTest, FromLogitsValueAndGradient) {
  SparseCategoricalCrossentropy loss;
  ASSERT_TRUE(loss.FusesWith(ActivationKind::kSoftmax));
  EXPECT_FALSE(loss.FusesWith(ActivationKind::kSigmoid));
  const Tensor z({1, 3}, {1, 2, 3});
  Tensor diff;
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  EXPECT_NEAR(loss.ComputeFromLogits(z, Tensor({1}, {2}), &diff), lse - 3,
              1e-6);
  EXPECT_NEAR(diff.at(0, 0), std::exp(1 - lse), 1e-6);
  EXPECT_NEAR(diff.at(0, 2), std::exp(3 - lse) - 1, 1e-6);

  Rng rng(6);
  const Tensor logits = RandomTensor({3, 4}, rng, -3, 3);
  const Tensor y({3}, {3, 0, 1});
  ExpectLossGradientMatches(loss, /*from_logits=*/true, logits, y, 1e-4);
}

// Past the 64 exps the row keeps for its softmax (loss_util.h), and across
// that boundary.
TEST(SparseCategoricalCrossentropyTest, WideRowsMatchFiniteDifferences) {
  SparseCategoricalCrossentropy loss;
  Rng rng(8);
  const Tensor logits = RandomTensor({3, 70}, rng, -3, 3);
  const Tensor y({3}, {69, 2, 64});
  ExpectLossGradientMatches(loss, /*from_logits=*/true, logits, y, 1e-4);
}

TEST(SparseCategoricalCrossentropyTest, FromLogitsEqualsComputeOnSoftmax) {
  SparseCategoricalCrossentropy loss;
  Rng rng(7);
  const Tensor logits = RandomTensor({6, 10}, rng, -4, 4);
  const Tensor y({6}, {0, 9, 3, 3, 7, 1});
  const Tensor p = Softmax(logits);
  Tensor d_logits, d_p;
  const double a = loss.ComputeFromLogits(logits, y, &d_logits);
  const double b = loss.Compute(p, y, &d_p);
  EXPECT_NEAR(a, b, 1e-5);
  ExpectSoftmaxChainRule(p, d_p, d_logits, 1e-5);
}

// From the head's softmax (Model::ApplyHead): no exp computed again, the
// same loss and gradient; rows narrow and wide, huge logits, a label out
// of range (skipped), an infinite logit (the logits' path).
TEST(SparseCategoricalCrossentropyTest, FromSoftmaxEqualsFromLogits) {
  SparseCategoricalCrossentropy loss;
  Rng rng(12);
  ExpectFromSoftmaxMatchesFromLogits(loss, RandomTensor({6, 10}, rng, -8, 8),
                                     Tensor({6}, {0, 9, 3, 3, 7, 1}));
  ExpectFromSoftmaxMatchesFromLogits(loss, RandomTensor({3, 70}, rng, -3, 3),
                                     Tensor({3}, {69, 2, 64}));
  ExpectFromSoftmaxMatchesFromLogits(
      loss, Tensor({2, 3}, {1e4f, 0.0f, -1e4f, -1e4f, 1e4f, 0.0f}),
      Tensor({2}, {2, 1}));
  ExpectFromSoftmaxMatchesFromLogits(loss, RandomTensor({3, 4}, rng, -2, 2),
                                     Tensor({3}, {7, 1, -1}));
  ExpectFromSoftmaxMatchesFromLogits(
      loss, Tensor({2, 2}, {std::numeric_limits<float>::infinity(), 0.0f,
                            1.0f, 2.0f}),
      Tensor({2}, {1, 0}));
  // The value by hand: lse(1, 2, 3) - 3.
  const Tensor z({1, 3}, {1, 2, 3});
  Tensor p, diff;
  SoftmaxRows(z, &p);
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  EXPECT_NEAR(loss.ComputeFromSoftmax(z, p, Tensor({1}, {2}), &diff), lse - 3,
              1e-6);
  EXPECT_NEAR(diff.at(0, 0), std::exp(1 - lse), 1e-6);
  EXPECT_NEAR(diff.at(0, 2), std::exp(3 - lse) - 1, 1e-6);
}

TEST(SparseCategoricalCrossentropyTest, HugeLogitsStayFinite) {
  SparseCategoricalCrossentropy loss;
  const Tensor z({2, 3}, {1e4f, 0.0f, -1e4f, -1e4f, 1e4f, 0.0f});
  Tensor diff;
  // Sample 0: label 2, loss 2e4; sample 1: label 1, loss 0.
  const double v = loss.ComputeFromLogits(z, Tensor({2}, {2, 1}), &diff);
  EXPECT_NEAR(v, 1e4, 1e-3);
  for (float d : diff.values()) EXPECT_TRUE(std::isfinite(d));
  EXPECT_NEAR(diff.at(0, 0), 0.5, 1e-6);
  EXPECT_NEAR(diff.at(0, 2), -0.5, 1e-6);
  EXPECT_NEAR(diff.at(1, 1), 0.0, 1e-6);
}

TEST(SparseCategoricalCrossentropyTest, OutOfRangeLabelsAreSkippedNotRead) {
  SparseCategoricalCrossentropy loss;
  const Tensor p({3, 2}, {0.5f, 0.5f, 0.25f, 0.75f, 0.5f, 0.5f});
  const Tensor y({3}, {7, 1, std::nanf("")});
  Tensor diff;
  // Only sample 1 counts, still divided by N = 3.
  EXPECT_NEAR(loss.Compute(p, y, &diff), -std::log(0.75) / 3, 1e-7);
  EXPECT_EQ(diff.at(0, 0), 0.0f);
  EXPECT_EQ(diff.at(2, 1), 0.0f);
  EXPECT_NEAR(loss.ComputeFromLogits(p, y, &diff),
              (std::log(std::exp(0.25) + std::exp(0.75)) - 0.75) / 3, 1e-7);
  EXPECT_EQ(diff.at(0, 1), 0.0f);
}

TEST(SparseCategoricalCrossentropyTest, MismatchedShapesGiveNaN) {
  SparseCategoricalCrossentropy loss;
  EXPECT_TRUE(std::isnan(
      loss.Compute(Tensor({2, 3}), Tensor({3}, {0, 0, 0}), nullptr)));
}

TEST(SparseCategoricalCrossentropyTest, ValidateTargets) {
  SparseCategoricalCrossentropy loss;
  EXPECT_TRUE(loss.sparse_labels());
  EXPECT_TRUE(loss.ValidateTargets(Tensor({3}, {0, 9, 4}), 10, "y").ok());
  EXPECT_TRUE(loss.ValidateTargets(Tensor({2, 1}, {0, 1}), 2, "y").ok());
  struct Case {
    Tensor y;
    std::string expected;
  };
  const Case cases[] = {
      {Tensor({3}, {0, 10, 4}),
       "train targets[1] = 10 is not a class id: labels must be integers in "
       "[0, 10)"},
      {Tensor({1}, {-1}), "train targets[0] = -1 is not a class id"},
      {Tensor({2}, {1, 2.5f}), "train targets[1] = 2.5 is not a class id"},
      {Tensor({1}, {std::nanf("")}), "train targets[0] = nan is not a class"},
      {Tensor({2, 10}),
       "train targets must be [N] integer class ids for "
       "sparse_categorical_crossentropy, got [2, 10]; for one-hot targets "
       "use categorical_crossentropy"},
  };
  for (const Case& c : cases) {
    absl::Status s = loss.ValidateTargets(c.y, 10, "train targets");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.expected));
  }
}

}  // namespace
}  // namespace profundo
