// Keras's accuracy: sparse, categorical and binary counting by hand.
#include "engine/metrics/accuracy.h"

#include <cmath>

#include "gtest/gtest.h"

namespace profundo {
namespace {

TEST(AccuracyTest, SparseCategorical) {
  const Tensor p({4, 3}, {0.1f, 0.7f, 0.2f,    // argmax 1
                          0.5f, 0.2f, 0.3f,    // argmax 0
                          0.2f, 0.2f, 0.6f,    // argmax 2
                          0.4f, 0.4f, 0.2f});  // tie: first, 0
  EXPECT_EQ(CountCorrect(AccuracyKind::kSparseCategorical, p,
                         Tensor({4}, {1, 0, 1, 0})),
            3);
  // [N, 1] labels; a tie broken toward the later index would score 3.
  EXPECT_EQ(CountCorrect(AccuracyKind::kSparseCategorical, p,
                         Tensor({4, 1}, {1, 1, 2, 1})),
            2);
  EXPECT_EQ(CountedItems(AccuracyKind::kSparseCategorical, p), 4);
  // Out-of-range and NaN labels are simply wrong.
  EXPECT_EQ(CountCorrect(AccuracyKind::kSparseCategorical, p,
                         Tensor({4}, {7, std::nanf(""), -1, 0})),
            1);
}

TEST(AccuracyTest, Categorical) {
  const Tensor p({3, 3},
                 {0.1f, 0.7f, 0.2f, 0.5f, 0.2f, 0.3f, 0.2f, 0.2f, 0.6f});
  const Tensor t({3, 3}, {0, 1, 0, 0, 0, 1, 0.1f, 0.3f, 0.6f});
  EXPECT_EQ(CountCorrect(AccuracyKind::kCategorical, p, t), 2);
  EXPECT_EQ(CountedItems(AccuracyKind::kCategorical, p), 3);
}

TEST(AccuracyTest, BinaryCountsElements) {
  // 0.5 is not > 0.5: predicted 0.
  const Tensor p({3, 2}, {0.9f, 0.1f, 0.5f, 0.51f, 0.2f, 0.7f});
  const Tensor t({3, 2}, {1, 0, 0, 1, 1, 1});
  EXPECT_EQ(CountCorrect(AccuracyKind::kBinary, p, t), 5);
  EXPECT_EQ(CountedItems(AccuracyKind::kBinary, p), 6);
  // One output with [N] targets; a soft target 0.3 never equals 0 or 1.
  const Tensor p1({3, 1}, {0.8f, 0.3f, 0.1f});
  EXPECT_EQ(CountCorrect(AccuracyKind::kBinary, p1, Tensor({3}, {1, 0, 0.3f})),
            2);
  EXPECT_EQ(CountedItems(AccuracyKind::kBinary, p1), 3);
}

TEST(AccuracyTest, MismatchedTargetsCountNothing) {
  const Tensor p({2, 3}, {1, 0, 0, 0, 1, 0});
  EXPECT_EQ(CountCorrect(AccuracyKind::kSparseCategorical, p, Tensor({1}, {0})),
            0);
  EXPECT_EQ(CountCorrect(AccuracyKind::kCategorical, p, Tensor({2}, {0, 1})),
            0);
  EXPECT_EQ(CountCorrect(AccuracyKind::kSparseCategorical, Tensor(), Tensor()),
            0);
  EXPECT_EQ(CountedItems(AccuracyKind::kCategorical, Tensor()), 0);
}

}  // namespace
}  // namespace profundo
