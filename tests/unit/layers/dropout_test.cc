// Dropout, MCDropout, AlphaDropout, MCAlphaDropout: which modes are active,
// the dropped fraction, kept-value scaling, the SPEC.md a/b coefficients,
// AlphaDropout's preservation of mean 0 / variance 1, backward masks.
#include "engine/layers/dropout.h"

#include <cmath>
#include <memory>
#include <vector>

#include "engine/layers/alpha_dropout.h"
#include "engine/layers/mc_alpha_dropout.h"
#include "engine/layers/mc_dropout.h"
#include "gtest/gtest.h"
#include "tests/unit/layers/layer_test_util.h"

namespace profundo {
namespace {

using ::profundo::testing::Harness;
using ::profundo::testing::RandomTensor;

constexpr int64_t kRows = 200, kCols = 500;  // 100,000 units

// Values in [1, 2): never 0, so a dropped unit is visible.
Tensor PositiveInput(Rng& rng) {
  return RandomTensor({kRows, kCols}, rng, 1, 2);
}

double DroppedFraction(const Tensor& y) {
  int64_t zeros = 0;
  for (float v : y.values()) zeros += v == 0.f;
  return static_cast<double>(zeros) / y.size();
}

TEST(Dropout, DropsRateAndScalesKeptUnitsInTraining) {
  Harness h;
  Dropout d("dropout", 0.3);
  EXPECT_STREQ(d.type(), "Dropout");
  EXPECT_TRUE(d.stochastic());
  ASSERT_EQ(*d.Build({kCols}, h.params), (Shape{kCols}));
  Tensor x = PositiveInput(h.rng);
  for (Mode mode : {Mode::kTrain, Mode::kMcSample}) {
    Tensor y;
    d.Forward(x, &y, mode, h.ctx);
    ASSERT_EQ(y.shape(), x.shape());
    // Binomial sd is 0.0015: 5 sd.
    EXPECT_NEAR(DroppedFraction(y), 0.3, 0.0075);
    const float scale = static_cast<float>(1.0 / 0.7);
    for (int64_t i = 0; i < x.size(); ++i) {
      if (y.data()[i] != 0.f) {
        ASSERT_EQ(y.data()[i], scale * x.data()[i]) << i;
      }
    }
  }
}

TEST(Dropout, IdentityInInference) {
  Harness h;
  Dropout d("dropout", 0.5);
  Tensor x = PositiveInput(h.rng);
  Tensor y, dx;
  d.Forward(x, &y, Mode::kInference, h.ctx);
  EXPECT_EQ(y.values(), x.values());
}

TEST(Dropout, BackwardUsesTheForwardMask) {
  Harness h;
  Dropout d("dropout", 0.25);
  Tensor x = PositiveInput(h.rng);
  Tensor dy = RandomTensor({kRows, kCols}, h.rng, 1, 2);
  Tensor y, dx;
  d.Forward(x, &y, Mode::kTrain, h.ctx);
  d.Backward(x, y, dy, &dx, h.ctx);
  ASSERT_EQ(dx.shape(), x.shape());
  const float scale = static_cast<float>(1.0 / 0.75);
  for (int64_t i = 0; i < x.size(); ++i) {
    const float want = y.data()[i] == 0.f ? 0.f : scale * dy.data()[i];
    ASSERT_EQ(dx.data()[i], want) << i;
  }
  d.Backward(x, y, dy, nullptr, h.ctx);  // first layer: nothing to do
}

TEST(Dropout, MasksDifferPerCallAndRepeatPerSeed) {
  Harness a(9), b(9);
  Dropout da("dropout", 0.5), db("dropout", 0.5);
  Tensor x({4, 64});
  x.Fill(1.f);
  Tensor ya1, ya2, yb1;
  da.Forward(x, &ya1, Mode::kTrain, a.ctx);
  da.Forward(x, &ya2, Mode::kTrain, a.ctx);
  db.Forward(x, &yb1, Mode::kTrain, b.ctx);
  EXPECT_NE(ya1.values(), ya2.values());
  EXPECT_EQ(ya1.values(), yb1.values());
}

TEST(Dropout, RateZeroIsIdentity) {
  Harness h;
  Dropout d("dropout", 0.0);
  Tensor x = PositiveInput(h.rng);
  Tensor y, dx;
  d.Forward(x, &y, Mode::kTrain, h.ctx);
  EXPECT_EQ(y.values(), x.values());
  d.Backward(x, y, x, &dx, h.ctx);
  EXPECT_EQ(dx.values(), x.values());
}

TEST(MCDropout, ActiveInEveryMode) {
  Harness h;
  MCDropout d("mc_dropout", 0.2);
  EXPECT_STREQ(d.type(), "MCDropout");
  EXPECT_TRUE(d.stochastic());
  Tensor x = PositiveInput(h.rng);
  for (Mode mode : {Mode::kTrain, Mode::kInference, Mode::kMcSample}) {
    Tensor y;
    d.Forward(x, &y, mode, h.ctx);
    EXPECT_NEAR(DroppedFraction(y), 0.2, 0.007);
  }
}

TEST(AlphaDropout, CoefficientsMatchSpec) {
  EXPECT_DOUBLE_EQ(kAlphaDropoutAlphaP, -1.7580993408473766);
  AlphaDropoutCoefficients c1 = AlphaDropoutCoefficientsFor(0.1);
  EXPECT_NEAR(c1.a, 0.92128, 5e-6);
  EXPECT_NEAR(c1.b, 0.16197, 5e-6);
  AlphaDropoutCoefficients c2 = AlphaDropoutCoefficientsFor(0.2);
  EXPECT_NEAR(c2.a, 0.87890, 5e-6);
  EXPECT_NEAR(c2.b, 0.30904, 5e-6);
}

TEST(AlphaDropout, ForwardValuesAndBackwardMask) {
  Harness h;
  AlphaDropout d("alpha_dropout", 0.2);
  EXPECT_STREQ(d.type(), "AlphaDropout");
  EXPECT_TRUE(d.stochastic());
  const AlphaDropoutCoefficients c = AlphaDropoutCoefficientsFor(0.2);
  const float dropped = static_cast<float>(c.a * kAlphaDropoutAlphaP + c.b);
  Tensor x = RandomTensor({kRows, kCols}, h.rng, -3, 3);
  Tensor dy = RandomTensor({kRows, kCols}, h.rng, 1, 2);
  Tensor y, dx;
  d.Forward(x, &y, Mode::kTrain, h.ctx);
  d.Backward(x, y, dy, &dx, h.ctx);
  int64_t n_dropped = 0;
  for (int64_t i = 0; i < x.size(); ++i) {
    const double kept = c.a * x.data()[i] + c.b;
    if (dx.data()[i] == 0.f) {
      ++n_dropped;
      ASSERT_EQ(y.data()[i], dropped) << i;
    } else {
      ASSERT_NEAR(y.data()[i], kept, 1e-6) << i;
      ASSERT_NEAR(dx.data()[i], c.a * dy.data()[i], 1e-6) << i;
    }
  }
  EXPECT_NEAR(static_cast<double>(n_dropped) / x.size(), 0.2, 0.0065);
}

TEST(AlphaDropout, KeepsMeanZeroAndVarianceOne) {
  for (double rate : {0.1, 0.2, 0.5}) {
    Harness h(rate * 100);
    AlphaDropout d("alpha_dropout", rate);
    Tensor x({kRows, kCols});
    for (float& v : x.values()) v = static_cast<float>(h.rng.Normal());
    Tensor y;
    d.Forward(x, &y, Mode::kTrain, h.ctx);
    double sum = 0, sum2 = 0;
    for (float v : y.values()) {
      sum += v;
      sum2 += double(v) * v;
    }
    const double mean = sum / y.size();
    const double var = sum2 / y.size() - mean * mean;
    // Standard errors: about 0.003 for the mean, 0.006 for the variance.
    EXPECT_NEAR(mean, 0.0, 0.015) << rate;
    EXPECT_NEAR(var, 1.0, 0.03) << rate;
  }
}

TEST(AlphaDropout, ActiveInTrainingAndMcNotInference) {
  Harness h;
  AlphaDropout d("alpha_dropout", 0.1);
  Tensor x = RandomTensor({8, 100}, h.rng);
  Tensor y;
  d.Forward(x, &y, Mode::kInference, h.ctx);
  EXPECT_EQ(y.values(), x.values());
  d.Forward(x, &y, Mode::kMcSample, h.ctx);
  EXPECT_NE(y.values(), x.values());
  Tensor dx;
  d.Forward(x, &y, Mode::kInference, h.ctx);
  d.Backward(x, y, x, &dx, h.ctx);  // after an inactive forward: identity
  EXPECT_EQ(dx.values(), x.values());
}

TEST(MCAlphaDropout, ActiveInInference) {
  Harness h;
  MCAlphaDropout d("mc_alpha_dropout", 0.1);
  EXPECT_STREQ(d.type(), "MCAlphaDropout");
  EXPECT_TRUE(d.ActiveIn(Mode::kInference));
  Tensor x = RandomTensor({8, 100}, h.rng);
  Tensor y;
  d.Forward(x, &y, Mode::kInference, h.ctx);
  const AlphaDropoutCoefficients c = AlphaDropoutCoefficientsFor(0.1);
  int64_t kept = 0;
  for (int64_t i = 0; i < x.size(); ++i) {
    kept += std::abs(y.data()[i] - (c.a * x.data()[i] + c.b)) < 1e-6;
  }
  EXPECT_GT(kept, 600);
  EXPECT_LT(kept, 780);
}

}  // namespace
}  // namespace profundo
