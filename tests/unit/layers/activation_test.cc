// ActivationOp (every activation's oneDNN forward/backward), the activation
// layers (Activation, LeakyReLU, ELU) and ParseActivation.
#include "engine/activations/activation.h"

#include <omp.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/layers/activation_layer.h"
#include "engine/layers/activation_op.h"
#include "engine/layers/elu.h"
#include "engine/layers/leaky_relu.h"
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
using ::profundo::testing::RefBf16Bits;
using ::profundo::testing::RefActivationRows;
using ::profundo::testing::ToDouble;
using ::testing::HasSubstr;

struct ActCase {
  ActivationKind kind;
  double alpha;
};

std::string CaseName(const ::testing::TestParamInfo<ActCase>& info) {
  std::string name = ActivationName(info.param.kind);
  const int a = static_cast<int>(std::lround(info.param.alpha * 100));
  return name + "_" + std::to_string(a);
}

class ActivationOpTest : public ::testing::TestWithParam<ActCase> {};

constexpr int64_t kRows = 6;
constexpr int64_t kCols = 7;

TEST_P(ActivationOpTest, ForwardMatchesReference) {
  const ActCase c = GetParam();
  Harness h;
  ActivationOp op(c.kind, c.alpha);
  Tensor x = RandomTensor({kRows, kCols}, h.rng, -3, 3);
  Tensor y({kRows, kCols});
  op.Forward(x.data(), y.data(), kRows, kCols, h.dnnl);
  const std::vector<double> want =
      RefActivationRows(c.kind, c.alpha, ToDouble(x), kCols);
  ExpectAllNear(y.data(), want, 1e-6, 1e-5, "y");

  // In place gives the same values.
  Tensor z = x;
  op.Forward(z.data(), z.data(), kRows, kCols, h.dnnl);
  EXPECT_EQ(z.values(), y.values());
}

TEST_P(ActivationOpTest, BackwardMatchesFiniteDifferences) {
  const ActCase c = GetParam();
  Harness h(2);
  ActivationOp op(c.kind, c.alpha);
  // Keep inputs off the kink at 0 of relu/leaky/elu/selu.
  Tensor x = RandomTensor({kRows, kCols}, h.rng, -3, 3, /*min_abs=*/0.05);
  Tensor r = RandomTensor({kRows, kCols}, h.rng, -1, 1);
  Tensor y({kRows, kCols}), dx({kRows, kCols});
  op.Forward(x.data(), y.data(), kRows, kCols, h.dnnl);
  op.Backward(y.data(), r.data(), dx.data(), kRows, kCols, h.dnnl);

  const std::vector<double> rd = ToDouble(r);
  auto f = [&](const std::vector<double>& xs) {
    return Dot(RefActivationRows(c.kind, c.alpha, xs, kCols), rd);
  };
  const std::vector<double> want = NumericGradient(f, ToDouble(x));
  ExpectAllNear(dx.data(), want, 1e-5, 1e-4, "dx");

  // In place (diff_src == diff_dst) gives the same values.
  Tensor d = r;
  op.Backward(y.data(), d.data(), d.data(), kRows, kCols, h.dnnl);
  EXPECT_EQ(d.values(), dx.values());
}

TEST_P(ActivationOpTest, BackwardToBf16IsTheRoundedBackward) {
  const ActCase c = GetParam();
  if (c.kind == ActivationKind::kSoftmax) GTEST_SKIP() << "f32 only";
  Harness h(4);
  ActivationOp op(c.kind, c.alpha);
  // Large enough for the parallel path and several 1024-element pieces.
  constexpr int64_t rows = 100, cols = 700;
  Tensor x = RandomTensor({rows, cols}, h.rng, -3, 3);
  Tensor r = RandomTensor({rows, cols}, h.rng, -1, 1);
  Tensor y({rows, cols}), dx({rows, cols});
  op.Forward(x.data(), y.data(), rows, cols, h.dnnl);
  op.Backward(y.data(), r.data(), dx.data(), rows, cols, h.dnnl);
  std::vector<uint16_t> bf(rows * cols);
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    op.BackwardToBf16(y.data(), r.data(), bf.data(), rows * cols);
    int failures = 0;
    for (int64_t i = 0; i < rows * cols && failures < 5; ++i) {
      if (bf[i] != RefBf16Bits(dx.data()[i])) {
        ADD_FAILURE() << i << ": " << dx.data()[i] << " -> " << bf[i];
        ++failures;
      }
    }
  }
  omp_set_num_threads(1);
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, ActivationOpTest,
    ::testing::Values(ActCase{ActivationKind::kLinear, 0},
                      ActCase{ActivationKind::kSigmoid, 0},
                      ActCase{ActivationKind::kTanh, 0},
                      ActCase{ActivationKind::kRelu, 0},
                      ActCase{ActivationKind::kLeakyRelu, 0.3},
                      ActCase{ActivationKind::kLeakyRelu, 0.2},
                      ActCase{ActivationKind::kLeakyRelu, 0.0},
                      ActCase{ActivationKind::kElu, 1.0},
                      ActCase{ActivationKind::kElu, 0.5},
                      ActCase{ActivationKind::kSelu, kSeluAlpha},
                      ActCase{ActivationKind::kSoftmax, 0}),
    CaseName);

TEST(ActivationOp, DefaultAlphasAreKeras) {
  EXPECT_DOUBLE_EQ(ActivationOp(ActivationKind::kLeakyRelu).alpha(), 0.3);
  EXPECT_DOUBLE_EQ(ActivationOp(ActivationKind::kElu).alpha(), 1.0);
}

TEST(ActivationOp, SeluValuesAtKnownPoints) {
  Harness h;
  ActivationOp op(ActivationKind::kSelu);
  std::vector<float> x = {1.0f, -1.0f, 0.0f, -20.0f};
  std::vector<float> y(4);
  op.Forward(x.data(), y.data(), 1, 4, h.dnnl);
  EXPECT_NEAR(y[0], 1.0507009873554805, 1e-6);
  EXPECT_NEAR(y[1], -1.1113307378125625, 1e-6);  // scale * alpha * (e^-1 - 1)
  EXPECT_NEAR(y[2], 0.0, 1e-7);
  EXPECT_NEAR(y[3], -1.7580993408473766, 1e-5);  // the saturation alpha'
}

TEST(ActivationOp, SoftmaxIsStableForLargeInputs) {
  Harness h;
  ActivationOp op(ActivationKind::kSoftmax);
  std::vector<float> x = {1000.f, 999.f, -1000.f, 88.f, 89.f, 90.f};
  std::vector<float> y(6);
  op.Forward(x.data(), y.data(), 2, 3, h.dnnl);
  const double e1 = std::exp(-1.0);
  ExpectAllNear(y.data(),
                {1 / (1 + e1), e1 / (1 + e1), 0.0,
                 std::exp(-2.0) / (1 + e1 + std::exp(-2.0)),
                 e1 / (1 + e1 + std::exp(-2.0)), 1 / (1 + e1 + std::exp(-2.0))},
                1e-6, 1e-5, "softmax");
}

TEST(ActivationOp, ReusesPrimitivesPerShape) {
  Harness h;
  ActivationOp op(ActivationKind::kElu);
  Tensor x = RandomTensor({5, 4}, h.rng);
  Tensor y({5, 4}), dx({5, 4});
  op.Forward(x.data(), y.data(), 5, 4, h.dnnl);
  EXPECT_EQ(op.primitive_builds(), 1);
  op.Forward(x.data(), y.data(), 5, 4, h.dnnl);
  EXPECT_EQ(op.primitive_builds(), 1);
  // elu's backward is a hand-written loop: no primitive.
  op.Backward(y.data(), x.data(), dx.data(), 5, 4, h.dnnl);
  op.Backward(y.data(), x.data(), dx.data(), 5, 4, h.dnnl);
  EXPECT_EQ(op.primitive_builds(), 1);
  op.Forward(x.data(), y.data(), 3, 4, h.dnnl);  // a partial batch
  EXPECT_EQ(op.primitive_builds(), 2);
  op.Forward(x.data(), y.data(), 5, 4, h.dnnl);
  EXPECT_EQ(op.primitive_builds(), 2);

  ActivationOp softmax(ActivationKind::kSoftmax);
  softmax.Forward(x.data(), y.data(), 5, 4, h.dnnl);
  softmax.Backward(y.data(), x.data(), dx.data(), 5, 4, h.dnnl);
  softmax.Backward(y.data(), x.data(), dx.data(), 5, 4, h.dnnl);
  EXPECT_EQ(softmax.primitive_builds(), 2);
}

TEST(ActivationLayer, SoftmaxOverLastAxisOfAnyShape) {
  Harness h;
  Activation layer("activation", ActivationKind::kSoftmax);
  EXPECT_STREQ(layer.type(), "Activation");
  ASSERT_EQ(*layer.Build({3, 4}, h.params), (Shape{3, 4}));
  Tensor x = RandomTensor({2, 3, 4}, h.rng, -3, 3);
  Tensor y;
  layer.Forward(x, &y, Mode::kInference, h.ctx);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
  ExpectAllNear(y.data(),
                RefActivationRows(ActivationKind::kSoftmax, 0, ToDouble(x), 4),
                1e-6, 1e-5, "y");

  Tensor r = RandomTensor({2, 3, 4}, h.rng, -1, 1);
  Tensor dx;
  layer.Backward(x, y, r, &dx, h.ctx);
  ASSERT_EQ(dx.shape(), x.shape());
  const std::vector<double> rd = ToDouble(r);
  auto f = [&](const std::vector<double>& xs) {
    return Dot(RefActivationRows(ActivationKind::kSoftmax, 0, xs, 4), rd);
  };
  ExpectAllNear(dx.data(), NumericGradient(f, ToDouble(x)), 1e-6, 1e-4, "dx");
  layer.Backward(x, y, r, nullptr, h.ctx);  // first layer: nothing to do
}

TEST(ActivationLayer, LeakyReluAndEluLayers) {
  Harness h;
  LeakyReLU leaky("leaky_re_lu");
  ELU elu("elu", 0.7);
  EXPECT_STREQ(leaky.type(), "LeakyReLU");
  EXPECT_STREQ(elu.type(), "ELU");
  EXPECT_DOUBLE_EQ(leaky.alpha(), 0.3);  // tf.keras 2.x default
  EXPECT_DOUBLE_EQ(elu.alpha(), 0.7);
  ASSERT_TRUE(leaky.Build({5}, h.params).ok());
  ASSERT_TRUE(elu.Build({5}, h.params).ok());
  EXPECT_EQ(h.params.params().size(), 0u);

  Tensor x({2, 5}, {-2, -1, -0.5, 0.5, 1, 2, -3, 3, -0.1f, 0.1f});
  Tensor y;
  for (Mode mode : {Mode::kTrain, Mode::kInference, Mode::kMcSample}) {
    leaky.Forward(x, &y, mode, h.ctx);
    ExpectAllNear(
        y.data(),
        RefActivationRows(ActivationKind::kLeakyRelu, 0.3, ToDouble(x), 5),
        1e-7, 1e-6, "leaky");
    elu.Forward(x, &y, mode, h.ctx);
    ExpectAllNear(y.data(),
                  RefActivationRows(ActivationKind::kElu, 0.7, ToDouble(x), 5),
                  1e-7, 1e-5, "elu");
  }
  Tensor dy({2, 5});
  dy.Fill(1.0f);
  Tensor dx;
  elu.Backward(x, y, dy, &dx, h.ctx);
  // elu'(x) = 1 for x > 0, alpha e^x otherwise.
  for (int64_t i = 0; i < x.size(); ++i) {
    const double xi = x.data()[i];
    EXPECT_NEAR(dx.data()[i], xi > 0 ? 1.0 : 0.7 * std::exp(xi), 1e-6) << i;
  }
}

TEST(ParseActivation, AcceptsKerasNames) {
  for (ActivationKind kind :
       {ActivationKind::kLinear, ActivationKind::kSigmoid,
        ActivationKind::kTanh, ActivationKind::kRelu,
        ActivationKind::kLeakyRelu, ActivationKind::kElu, ActivationKind::kSelu,
        ActivationKind::kSoftmax}) {
    absl::StatusOr<ActivationKind> parsed =
        ParseActivation(ActivationName(kind), "f");
    ASSERT_TRUE(parsed.ok()) << ActivationName(kind);
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_EQ(*ParseActivation("", "f"), ActivationKind::kLinear);
  EXPECT_STREQ(ActivationName(ActivationKind::kLeakyRelu), "leaky_relu");
}

TEST(ParseActivation, UnknownNameNamesFieldAndChoices) {
  absl::StatusOr<ActivationKind> parsed =
      ParseActivation("swish", "layers[1].dense.activation");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(),
              HasSubstr("layers[1].dense.activation must be one of linear, "
                        "sigmoid, tanh, relu, leaky_relu, elu, selu, softmax"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("\"swish\""));
  EXPECT_FALSE(ParseActivation("Relu", "f").ok());  // names are exact
}

}  // namespace
}  // namespace profundo
