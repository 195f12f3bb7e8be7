// MaxNorm: Keras's w *= clip(norm, 0, max) / (1e-7 + norm) per column
// (axis 0), per row (axis 1), over a whole vector (1-D), against naive
// loops; MakeMaxNorm's validation.
#include "engine/constraints/max_norm.h"

#include <cmath>
#include <string>
#include <vector>

#include "engine/rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;

// Keras's factor for one norm.
double Factor(double norm, double max_value) {
  return std::min(norm, max_value) / (1e-7 + norm);
}

std::vector<float> RandomWeights(int64_t n, uint64_t seed, double sd) {
  Rng rng(seed);
  std::vector<float> w(n);
  for (float& v : w) v = static_cast<float>(sd * rng.Normal());
  return w;
}

TEST(MaxNormTest, ColumnsByHand) {
  // [3, 2]: column 0 = (3, 4, 0) has norm 5, column 1 = (0.6, 0.8, 0) norm 1.
  std::vector<float> w = {3.0f, 0.6f, 4.0f, 0.8f, 0.0f, 0.0f};
  MaxNorm{2.0, 0}.Apply(w.data(), {3, 2});
  const double f0 = 2.0 / (5.0 + 1e-7), f1 = 1.0 / (1.0 + 1e-7);
  EXPECT_NEAR(w[0], 3 * f0, 1e-6);
  EXPECT_NEAR(w[2], 4 * f0, 1e-6);
  EXPECT_EQ(w[4], 0.0f);
  EXPECT_NEAR(w[1], 0.6 * f1, 1e-7);
  EXPECT_NEAR(w[3], 0.8 * f1, 1e-7);
}

TEST(MaxNormTest, EveryColumnWithinTheBoundOthersUnchanged) {
  const int64_t rows = 100, cols = 50;
  // sd 0.2: column norms around 2, so some are over the bound and some under.
  const std::vector<float> before = RandomWeights(rows * cols, 1, 0.2);
  std::vector<float> w = before;
  MaxNorm{2.0, 0}.Apply(w.data(), {rows, cols});
  int over = 0, under = 0;
  for (int64_t c = 0; c < cols; ++c) {
    double norm_before = 0, norm_after = 0;
    for (int64_t r = 0; r < rows; ++r) {
      norm_before += std::pow(before[r * cols + c], 2);
      norm_after += std::pow(w[r * cols + c], 2);
    }
    norm_before = std::sqrt(norm_before);
    norm_after = std::sqrt(norm_after);
    EXPECT_LE(norm_after, 2.0 * (1 + 1e-6)) << c;
    if (norm_before > 2.0) {
      ++over;
      EXPECT_NEAR(norm_after, 2.0, 2e-6) << c;
    } else {
      ++under;
      for (int64_t r = 0; r < rows; ++r) {
        EXPECT_NEAR(w[r * cols + c], before[r * cols + c],
                    std::fabs(before[r * cols + c]) * 1e-6)
            << r << ", " << c;
      }
    }
  }
  EXPECT_GT(over, 5);
  EXPECT_GT(under, 5);
}

TEST(MaxNormTest, AxisOneConstrainsRows) {
  const int64_t rows = 20, cols = 30;
  const std::vector<float> before = RandomWeights(rows * cols, 2, 0.5);
  for (int axis : {1, -1}) {
    std::vector<float> w = before;
    MaxNorm{1.5, axis}.Apply(w.data(), {rows, cols});
    for (int64_t r = 0; r < rows; ++r) {
      double norm = 0;
      for (int64_t c = 0; c < cols; ++c)
        norm += std::pow(before[r * cols + c], 2);
      const double f = Factor(std::sqrt(norm), 1.5);
      for (int64_t c = 0; c < cols; ++c) {
        EXPECT_NEAR(w[r * cols + c], before[r * cols + c] * f, 1e-6);
      }
    }
  }
}

TEST(MaxNormTest, OneDimensionalIsTheWholeVector) {
  std::vector<float> w = {3.0f, 4.0f};
  MaxNorm{1.0, 0}.Apply(w.data(), {2});
  EXPECT_NEAR(w[0], 0.6, 1e-6);
  EXPECT_NEAR(w[1], 0.8, 1e-6);
  std::vector<float> small = {0.3f, 0.4f};
  MaxNorm{1.0, 0}.Apply(small.data(), {2});
  EXPECT_NEAR(small[0], 0.3, 1e-7);
  EXPECT_NEAR(small[1], 0.4, 1e-7);
}

TEST(MaxNormTest, RankThreeMiddleAxisMatchesNaiveLoop) {
  const std::vector<int64_t> shape = {3, 4, 5};
  const std::vector<float> before = RandomWeights(60, 4, 1.0);
  std::vector<float> w = before;
  MaxNorm{1.0, 1}.Apply(w.data(), shape);
  for (int64_t a = 0; a < 3; ++a) {
    for (int64_t c = 0; c < 5; ++c) {
      double norm = 0;
      for (int64_t b = 0; b < 4; ++b)
        norm += std::pow(before[(a * 4 + b) * 5 + c], 2);
      const double f = Factor(std::sqrt(norm), 1.0);
      for (int64_t b = 0; b < 4; ++b) {
        const int64_t i = (a * 4 + b) * 5 + c;
        EXPECT_NEAR(w[i], before[i] * f, 1e-6);
      }
    }
  }
}

TEST(MaxNormTest, ZeroColumnStaysZero) {
  std::vector<float> w(6, 0.0f);
  MaxNorm{2.0, 0}.Apply(w.data(), {3, 2});
  for (float v : w) EXPECT_EQ(v, 0.0f);
}

TEST(MakeMaxNormTest, DefaultsAndValidation) {
  v1::MaxNorm spec;
  auto c = MakeMaxNorm(spec, {784, 300}, "k");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_value, 2.0);
  EXPECT_EQ(c->axis, 0);

  spec.set_max_value(3.0);
  spec.set_axis(-1);
  c = MakeMaxNorm(spec, {784, 300}, "k");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->max_value, 3.0);
  EXPECT_EQ(c->axis, 1);

  spec.set_axis(2);
  c = MakeMaxNorm(spec, {784, 300},
                  "layers[1].dense.kernel_constraint.max_norm");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("layers[1].dense.kernel_constraint.max_norm.axis must "
                        "be in [-2, 2) for a parameter of rank 2, got 2"));
  spec.set_axis(1);
  c = MakeMaxNorm(spec, {300}, "bias");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("bias.axis must be in [-1, 1)"));

  spec.set_axis(0);
  spec.set_max_value(-1);
  c = MakeMaxNorm(spec, {300}, "bias");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("bias.max_value must be finite and >= 0, got -1"));
}

}  // namespace
}  // namespace profundo
