// BatchNormalization: parameters (the seed's 3,136 for 784 features),
// training forward and moving statistics against the SPEC.md formulas,
// inference and MC modes on moving statistics, backward against central
// finite differences for every center/scale combination.
#include "engine/layers/batch_normalization.h"

#include <omp.h>

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/layers/layer_test_util.h"

namespace profundo {
namespace {

using ::profundo::testing::Dot;
using ::profundo::testing::ExpectAllNear;
using ::profundo::testing::Harness;
using ::profundo::testing::NumericGradient;
using ::profundo::testing::RandomTensor;
using ::profundo::testing::ToDouble;
using ::testing::HasSubstr;

constexpr double kEps = 1e-3;

// Batch mean and biased variance per channel of x [rows, c].
void RefMoments(const std::vector<double>& x, int64_t c,
                std::vector<double>* mean, std::vector<double>* var) {
  const int64_t rows = x.size() / c;
  mean->assign(c, 0.0);
  var->assign(c, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < c; ++j) (*mean)[j] += x[r * c + j] / rows;
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < c; ++j) {
      const double d = x[r * c + j] - (*mean)[j];
      (*var)[j] += d * d / rows;
    }
  }
}

// gamma (x - mean) / sqrt(var + eps) + beta; empty gamma/beta mean 1/0.
std::vector<double> RefNormalize(const std::vector<double>& x, int64_t c,
                                 const std::vector<double>& mean,
                                 const std::vector<double>& var,
                                 const std::vector<double>& gamma,
                                 const std::vector<double>& beta) {
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t j = i % c;
    const double g = gamma.empty() ? 1.0 : gamma[j];
    const double b = beta.empty() ? 0.0 : beta[j];
    y[i] = g * (x[i] - mean[j]) / std::sqrt(var[j] + kEps) + b;
  }
  return y;
}

std::vector<double> RefTrain(const std::vector<double>& x, int64_t c,
                             const std::vector<double>& gamma,
                             const std::vector<double>& beta) {
  std::vector<double> mean, var;
  RefMoments(x, c, &mean, &var);
  return RefNormalize(x, c, mean, var, gamma, beta);
}

// Channels with different means and spreads.
Tensor ChannelData(int64_t rows, int64_t c, Rng& rng) {
  Tensor x = RandomTensor({rows, c}, rng, -1, 1);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < c; ++j) x.at(r, j) = x.at(r, j) * (1 + j) + 0.5 * j;
  }
  return x;
}

struct BnFixture {
  explicit BnFixture(Shape input, BatchNormalizationOptions o = {})
      : bn("batch_normalization", o) {
    absl::StatusOr<Shape> out = bn.Build(input, h.params);
    EXPECT_TRUE(out.ok()) << out.status();
    h.params.Allocate();
    bn.Initialize(h.params, h.rng);
    c = input.back();
  }
  // Random gamma and beta, so that tests see them.
  void RandomizeAffine() {
    for (int id : {bn.gamma_id(), bn.beta_id()}) {
      if (id < 0) continue;
      float* v = h.params.value(id);
      for (int64_t j = 0; j < c; ++j) v[j] = 0.5f + h.rng.Uniform();
    }
  }
  std::vector<double> Values(int id) const {
    if (id < 0) return {};
    return ToDouble(h.params.value(id), c);
  }
  Harness h;
  BatchNormalization bn;
  int64_t c = 0;
};

TEST(BatchNormalization, SeedParameterCounts) {
  Harness h;
  BatchNormalization bn("batch_normalization", {});
  EXPECT_STREQ(bn.type(), "BatchNormalization");
  ASSERT_EQ(*bn.Build({784}, h.params), (Shape{784}));
  ASSERT_EQ(h.params.params().size(), 4u);
  const char* names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(h.params.param(i).name,
              std::string("batch_normalization/") + names[i]);
    EXPECT_EQ(h.params.param(i).shape, (Shape{784}));
    EXPECT_EQ(h.params.param(i).trainable, i < 2);
  }
  EXPECT_EQ(h.params.trainable_count() + h.params.non_trainable_count(), 3136);
  EXPECT_EQ(h.params.non_trainable_count(), 1568);
}

TEST(BatchNormalization, InitialValues) {
  BnFixture f({3});
  for (int64_t j = 0; j < 3; ++j) {
    EXPECT_EQ(f.h.params.value(f.bn.gamma_id())[j], 1.f);
    EXPECT_EQ(f.h.params.value(f.bn.beta_id())[j], 0.f);
    EXPECT_EQ(f.h.params.value(f.bn.moving_mean_id())[j], 0.f);
    EXPECT_EQ(f.h.params.value(f.bn.moving_variance_id())[j], 1.f);
  }
}

TEST(BatchNormalization, TrainingUsesBatchStatisticsAndUpdatesMovingOnes) {
  BatchNormalizationOptions o;
  o.momentum = 0.9;
  BnFixture f({5}, o);
  f.RandomizeAffine();
  Tensor x = ChannelData(8, 5, f.h.rng);
  Tensor y;
  f.bn.Forward(x, &y, Mode::kTrain, f.h.ctx);
  std::vector<double> mean, var;
  RefMoments(ToDouble(x), 5, &mean, &var);
  ExpectAllNear(f.bn.batch_mean().data(), mean, 1e-6, 1e-5, "batch mean");
  ExpectAllNear(f.bn.batch_variance().data(), var, 1e-6, 1e-5, "batch var");
  ExpectAllNear(
      y.data(),
      RefNormalize(ToDouble(x), 5, mean, var, f.Values(f.bn.gamma_id()),
                   f.Values(f.bn.beta_id())),
      1e-5, 1e-5, "y");
  // moving = moving * momentum + batch * (1 - momentum), from 0 and 1.
  std::vector<double> mm(5), mv(5);
  for (int j = 0; j < 5; ++j) {
    mm[j] = 0.0 * 0.9 + mean[j] * 0.1;
    mv[j] = 1.0 * 0.9 + var[j] * 0.1;
  }
  ExpectAllNear(f.h.params.value(f.bn.moving_mean_id()), mm, 1e-6, 1e-5,
                "moving_mean");
  ExpectAllNear(f.h.params.value(f.bn.moving_variance_id()), mv, 1e-6, 1e-5,
                "moving_variance");

  // A second step compounds.
  Tensor x2 = ChannelData(8, 5, f.h.rng);
  f.bn.Forward(x2, &y, Mode::kTrain, f.h.ctx);
  RefMoments(ToDouble(x2), 5, &mean, &var);
  for (int j = 0; j < 5; ++j) {
    mm[j] = mm[j] * 0.9 + mean[j] * 0.1;
    mv[j] = mv[j] * 0.9 + var[j] * 0.1;
  }
  ExpectAllNear(f.h.params.value(f.bn.moving_mean_id()), mm, 1e-6, 1e-5,
                "moving_mean 2");
  ExpectAllNear(f.h.params.value(f.bn.moving_variance_id()), mv, 1e-6, 1e-5,
                "moving_variance 2");
}

TEST(BatchNormalization, DefaultMomentumIsKeras) {
  BnFixture f({2});
  Tensor x({2, 2}, {1, 10, 3, 30});  // mean [2, 20], var [1, 100]
  Tensor y;
  f.bn.Forward(x, &y, Mode::kTrain, f.h.ctx);
  EXPECT_NEAR(f.h.params.value(f.bn.moving_mean_id())[0], 0.02, 1e-7);
  EXPECT_NEAR(f.h.params.value(f.bn.moving_mean_id())[1], 0.2, 1e-6);
  EXPECT_NEAR(f.h.params.value(f.bn.moving_variance_id())[0], 1.0, 1e-6);
  EXPECT_NEAR(f.h.params.value(f.bn.moving_variance_id())[1], 1.99, 1e-5);
}

TEST(BatchNormalization, InferenceAndMcUseMovingStatistics) {
  BnFixture f({4});
  f.RandomizeAffine();
  const std::vector<float> mm = {0.5f, -1.f, 2.f, 0.f};
  const std::vector<float> mv = {0.25f, 4.f, 1.f, 9.f};
  std::copy(mm.begin(), mm.end(), f.h.params.value(f.bn.moving_mean_id()));
  std::copy(mv.begin(), mv.end(), f.h.params.value(f.bn.moving_variance_id()));
  Tensor x = ChannelData(6, 4, f.h.rng);
  const std::vector<double> want = RefNormalize(
      ToDouble(x), 4, ToDouble(mm.data(), 4), ToDouble(mv.data(), 4),
      f.Values(f.bn.gamma_id()), f.Values(f.bn.beta_id()));
  for (Mode mode : {Mode::kInference, Mode::kMcSample}) {
    Tensor y;
    f.bn.Forward(x, &y, mode, f.h.ctx);
    ExpectAllNear(y.data(), want, 1e-5, 1e-5, "y");
    // Moving statistics are left alone outside training.
    EXPECT_EQ(std::vector<float>(f.h.params.value(f.bn.moving_mean_id()),
                                 f.h.params.value(f.bn.moving_mean_id()) + 4),
              mm);
  }
  // A single sample works in inference.
  Tensor one = x.Rows(0, 1);
  Tensor y1;
  f.bn.Forward(one, &y1, Mode::kInference, f.h.ctx);
  ExpectAllNear(y1.data(), std::vector<double>(want.begin(), want.begin() + 4),
                1e-5, 1e-5, "one sample");
}

struct AffineCase {
  bool center;
  bool scale;
};

void ExpectBackwardMatchesFiniteDifferences(int64_t c, AffineCase affine) {
  BatchNormalizationOptions o;
  o.center = affine.center;
  o.scale = affine.scale;
  BnFixture f({c}, o);
  EXPECT_EQ(f.bn.gamma_id() >= 0, o.scale);
  EXPECT_EQ(f.bn.beta_id() >= 0, o.center);
  EXPECT_EQ(f.h.params.trainable_count(), c * (o.scale + o.center));
  f.RandomizeAffine();
  Tensor x = ChannelData(9, c, f.h.rng);
  Tensor r = RandomTensor({9, c}, f.h.rng, -1, 1);
  Tensor y, dx;
  f.bn.Forward(x, &y, Mode::kTrain, f.h.ctx);
  const std::vector<double> xd = ToDouble(x), rd = ToDouble(r);
  const std::vector<double> g = f.Values(f.bn.gamma_id());
  const std::vector<double> b = f.Values(f.bn.beta_id());
  ExpectAllNear(y.data(), RefTrain(xd, c, g, b), 1e-5, 1e-5, "y");

  f.bn.Backward(x, y, r, &dx, f.h.ctx);
  auto loss = [&](const std::vector<double>& xs, const std::vector<double>& gs,
                  const std::vector<double>& bs) {
    return Dot(RefTrain(xs, c, gs, bs), rd);
  };
  ExpectAllNear(dx.data(),
                NumericGradient([&](auto& v) { return loss(v, g, b); }, xd),
                1e-4, 1e-3, "diff_src");
  if (o.scale) {
    ExpectAllNear(f.h.params.grad(f.bn.gamma_id()),
                  NumericGradient([&](auto& v) { return loss(xd, v, b); }, g),
                  1e-5, 1e-4, "diff_gamma");
  }
  if (o.center) {
    ExpectAllNear(f.h.params.grad(f.bn.beta_id()),
                  NumericGradient([&](auto& v) { return loss(xd, g, v); }, b),
                  1e-5, 1e-4, "diff_beta");
  }
  // Without diff_src (first layer) the parameter gradients are the same.
  const std::vector<float> grads = f.h.params.grads();
  f.bn.Backward(x, y, r, nullptr, f.h.ctx);
  EXPECT_EQ(f.h.params.grads(), grads);
}

class BatchNormalizationBackwardTest
    : public ::testing::TestWithParam<AffineCase> {};

// 7 columns run the kernels' column-by-column loops only; 70 also one block
// of 64 columns kept in registers (batch_normalization.cc).
TEST_P(BatchNormalizationBackwardTest, MatchesFiniteDifferences) {
  for (int64_t c : {int64_t{7}, int64_t{70}}) {
    SCOPED_TRACE(c);
    ExpectBackwardMatchesFiniteDifferences(c, GetParam());
  }
}

INSTANTIATE_TEST_SUITE_P(
    CenterScale, BatchNormalizationBackwardTest,
    ::testing::Values(AffineCase{true, true}, AffineCase{true, false},
                      AffineCase{false, true}, AffineCase{false, false}),
    [](const auto& info) {
      return std::string(info.param.center ? "center" : "nocenter") +
             (info.param.scale ? "_scale" : "_noscale");
    });

TEST(BatchNormalization, NormalizesLastAxisOfMultiDimInput) {
  BnFixture f({3, 4});
  Tensor x = ChannelData(2 * 3, 4, f.h.rng);
  x.Reshape({2, 3, 4});
  Tensor y;
  f.bn.Forward(x, &y, Mode::kTrain, f.h.ctx);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
  ExpectAllNear(y.data(), RefTrain(ToDouble(x), 4, {}, {}), 1e-5, 1e-5, "y");
}

TEST(BatchNormalization, SeedSizedBatchMatchesReference) {
  BnFixture f({784});
  Tensor x = ChannelData(32, 784, f.h.rng);
  Tensor y;
  f.bn.Forward(x, &y, Mode::kTrain, f.h.ctx);
  ExpectAllNear(y.data(), RefTrain(ToDouble(x), 784, {}, {}), 1e-4, 1e-4, "y");
}

TEST(BatchNormalization, AxisMustBeLast) {
  for (int axis : {-1, 1}) {
    Harness h;
    BatchNormalizationOptions o;
    o.axis = axis;
    BatchNormalization bn("bn", o);
    EXPECT_TRUE(bn.Build({5}, h.params).ok()) << axis;
  }
  Harness h;
  BatchNormalizationOptions o;
  o.axis = 1;
  BatchNormalization bn("bn", o);
  absl::StatusOr<Shape> out = bn.Build({3, 5}, h.params);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("axis must be -1"));
}

TEST(BatchNormalization, SameResultForAnyBatchSizeAndThreadCount) {
  // Large enough to split over threads (256 x 784), then a partial batch.
  BnFixture f({784});
  Tensor x = ChannelData(256, 784, f.h.rng);
  Tensor r = RandomTensor({256, 784}, f.h.rng, -1, 1);
  for (int64_t rows : {int64_t{256}, int64_t{7}}) {
    Tensor part = x.Rows(0, rows), dy = r.Rows(0, rows);
    std::vector<float> y_one, dx_one, grads_one;
    for (int threads : {1, 2}) {
      omp_set_num_threads(threads);
      Tensor y, dx;
      f.bn.Forward(part, &y, Mode::kTrain, f.h.ctx);
      f.bn.Backward(part, y, dy, &dx, f.h.ctx);
      if (threads == 1) {
        y_one = y.values();
        dx_one = dx.values();
        grads_one = f.h.params.grads();
        ExpectAllNear(y.data(), RefTrain(ToDouble(part), 784, {}, {}), 1e-4,
                      1e-4, "y");
      } else {
        EXPECT_EQ(y.values(), y_one) << rows;
        EXPECT_EQ(dx.values(), dx_one) << rows;
        EXPECT_EQ(f.h.params.grads(), grads_one) << rows;
      }
    }
  }
  omp_set_num_threads(1);
}

}  // namespace
}  // namespace profundo
