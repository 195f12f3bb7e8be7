// Dense: forward against a naive double loop for every activation, backward
// (kernel, bias, diff_src) against central finite differences of
// sum(dst * R), parameters, Build errors and primitive reuse.
#include "engine/layers/dense.h"

#include <memory>
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
using ::profundo::testing::RefActivationRows;
using ::profundo::testing::ToDouble;
using ::profundo::testing::UniformTestInitializer;
using ::testing::HasSubstr;

DenseOptions Options(int64_t units, ActivationKind kind, bool use_bias = true) {
  DenseOptions o;
  o.units = units;
  o.activation = kind;
  o.use_bias = use_bias;
  o.kernel_initializer = std::make_unique<UniformTestInitializer>(-0.8, 0.8);
  if (use_bias) {
    o.bias_initializer = std::make_unique<UniformTestInitializer>(-0.5, 0.5);
  }
  return o;
}

// act(x . w + b) for x [n, in], w [in, units] row-major (Keras layout).
std::vector<double> RefDense(const std::vector<double>& x,
                             const std::vector<double>& w,
                             const std::vector<double>& b, int64_t n,
                             int64_t in, int64_t units, ActivationKind kind,
                             double alpha) {
  std::vector<double> z(n * units);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t j = 0; j < units; ++j) {
      double s = b.empty() ? 0.0 : b[j];
      for (int64_t i = 0; i < in; ++i) s += x[r * in + i] * w[i * units + j];
      z[r * units + j] = s;
    }
  }
  return RefActivationRows(kind, alpha, z, units);
}

// A built and initialized Dense layer with its harness.
struct DenseFixture {
  DenseFixture(int64_t in, int64_t units, ActivationKind kind,
               bool use_bias = true, uint64_t seed = 3)
      : h(seed), dense("dense", Options(units, kind, use_bias)) {
    absl::StatusOr<Shape> out = dense.Build({in}, h.params);
    EXPECT_TRUE(out.ok()) << out.status();
    h.params.Allocate();
    dense.Initialize(h.params, h.rng);
  }
  std::vector<double> kernel() const {
    const Parameter& p = h.params.param(dense.kernel_id());
    return ToDouble(h.params.value(dense.kernel_id()), p.size);
  }
  std::vector<double> bias() const {
    if (dense.bias_id() < 0) return {};
    return ToDouble(h.params.value(dense.bias_id()), dense.units());
  }
  Harness h;
  Dense dense;
};

struct DenseCase {
  ActivationKind kind;
  bool use_bias;
};

std::string CaseName(const ::testing::TestParamInfo<DenseCase>& info) {
  return std::string(ActivationName(info.param.kind)) +
         (info.param.use_bias ? "_bias" : "_nobias");
}

class DenseTest : public ::testing::TestWithParam<DenseCase> {};

constexpr int64_t kN = 5, kIn = 6, kUnits = 4;

TEST_P(DenseTest, ForwardMatchesNaiveLoop) {
  const DenseCase c = GetParam();
  DenseFixture f(kIn, kUnits, c.kind, c.use_bias);
  const double alpha = ActivationOp::DefaultAlpha(c.kind);
  Tensor x = RandomTensor({kN, kIn}, f.h.rng);
  for (Mode mode : {Mode::kTrain, Mode::kInference, Mode::kMcSample}) {
    Tensor y;
    f.dense.Forward(x, &y, mode, f.h.ctx);
    ASSERT_EQ(y.shape(), (Shape{kN, kUnits}));
    ExpectAllNear(y.data(),
                  RefDense(ToDouble(x), f.kernel(), f.bias(), kN, kIn, kUnits,
                           c.kind, alpha),
                  1e-5, 1e-5, "y");
  }
}

TEST_P(DenseTest, BackwardMatchesFiniteDifferences) {
  const DenseCase c = GetParam();
  DenseFixture f(kIn, kUnits, c.kind, c.use_bias);
  const double alpha = ActivationOp::DefaultAlpha(c.kind);
  Tensor x = RandomTensor({kN, kIn}, f.h.rng);
  Tensor r = RandomTensor({kN, kUnits}, f.h.rng, -1, 1);
  Tensor y, dx;
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  std::fill(f.h.params.grads().begin(), f.h.params.grads().end(), 123.f);
  f.dense.Backward(x, y, r, &dx, f.h.ctx);

  const std::vector<double> xd = ToDouble(x), rd = ToDouble(r);
  const std::vector<double> w = f.kernel(), b = f.bias();
  auto loss = [&](const std::vector<double>& xs, const std::vector<double>& ws,
                  const std::vector<double>& bs) {
    return Dot(RefDense(xs, ws, bs, kN, kIn, kUnits, c.kind, alpha), rd);
  };
  ASSERT_EQ(dx.shape(), x.shape());
  ExpectAllNear(dx.data(),
                NumericGradient([&](auto& v) { return loss(v, w, b); }, xd),
                1e-5, 1e-4, "diff_src");
  ExpectAllNear(f.h.params.grad(f.dense.kernel_id()),
                NumericGradient([&](auto& v) { return loss(xd, v, b); }, w),
                1e-5, 1e-4, "diff_kernel");
  if (c.use_bias) {
    ExpectAllNear(f.h.params.grad(f.dense.bias_id()),
                  NumericGradient([&](auto& v) { return loss(xd, w, v); }, b),
                  1e-5, 1e-4, "diff_bias");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Activations, DenseTest,
    ::testing::Values(DenseCase{ActivationKind::kLinear, true},
                      DenseCase{ActivationKind::kLinear, false},
                      DenseCase{ActivationKind::kSigmoid, true},
                      DenseCase{ActivationKind::kTanh, true},
                      DenseCase{ActivationKind::kRelu, true},
                      DenseCase{ActivationKind::kLeakyRelu, true},
                      DenseCase{ActivationKind::kElu, false},
                      DenseCase{ActivationKind::kSelu, true},
                      DenseCase{ActivationKind::kSoftmax, true}),
    CaseName);

TEST(Dense, ParametersInKerasLayout) {
  Harness h;
  DenseOptions o = Options(300, ActivationKind::kRelu);
  o.kernel_regularizer.l2 = 0.01;
  o.bias_regularizer.l1 = 0.5;
  o.kernel_constraint = MaxNorm{1.5, 0};
  Dense dense("dense_1", std::move(o));
  EXPECT_STREQ(dense.type(), "Dense");
  absl::StatusOr<Shape> out = dense.Build({784}, h.params);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, (Shape{300}));
  ASSERT_EQ(h.params.params().size(), 2u);
  const Parameter& kernel = h.params.param(dense.kernel_id());
  const Parameter& bias = h.params.param(dense.bias_id());
  EXPECT_EQ(kernel.name, "dense_1/kernel");
  EXPECT_EQ(kernel.shape, (Shape{784, 300}));
  EXPECT_TRUE(kernel.trainable);
  EXPECT_DOUBLE_EQ(kernel.regularizer.l2, 0.01);
  ASSERT_TRUE(kernel.constraint.has_value());
  EXPECT_DOUBLE_EQ(kernel.constraint->max_value, 1.5);
  EXPECT_EQ(bias.name, "dense_1/bias");
  EXPECT_EQ(bias.shape, (Shape{300}));
  EXPECT_DOUBLE_EQ(bias.regularizer.l1, 0.5);
  EXPECT_FALSE(bias.constraint.has_value());
  EXPECT_EQ(h.params.trainable_count(), 235500);  // the seed's first Dense
}

TEST(Dense, NoBiasParameterWithoutBias) {
  Harness h;
  Dense dense("dense", Options(10, ActivationKind::kLinear, false));
  ASSERT_TRUE(dense.Build({100}, h.params).ok());
  EXPECT_EQ(h.params.params().size(), 1u);
  EXPECT_EQ(dense.bias_id(), -1);
  EXPECT_EQ(h.params.trainable_count(), 1000);
}

TEST(Dense, RejectsNonFlatInput) {
  Harness h;
  Dense dense("dense", Options(10, ActivationKind::kLinear));
  absl::StatusOr<Shape> out = dense.Build({28, 28}, h.params);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("[28, 28]"));
  EXPECT_THAT(out.status().message(), HasSubstr("Flatten"));
}

TEST(Dense, FirstLayerSkipsDiffSrcButWritesGradients) {
  DenseFixture f(kIn, kUnits, ActivationKind::kTanh);
  Tensor x = RandomTensor({kN, kIn}, f.h.rng);
  Tensor r = RandomTensor({kN, kUnits}, f.h.rng, -1, 1);
  Tensor y, dx;
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  f.dense.Backward(x, y, r, &dx, f.h.ctx);
  const std::vector<float> want = f.h.params.grads();
  std::fill(f.h.params.grads().begin(), f.h.params.grads().end(), -7.f);
  f.dense.Backward(x, y, r, nullptr, f.h.ctx);
  EXPECT_EQ(f.h.params.grads(), want);
}

TEST(Dense, ReusesPrimitivesPerBatchSize) {
  DenseFixture f(kIn, kUnits, ActivationKind::kElu);
  Tensor x = RandomTensor({kN, kIn}, f.h.rng);
  Tensor r = RandomTensor({kN, kUnits}, f.h.rng, -1, 1);
  Tensor y, dx;
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  const int64_t after_first = f.dense.primitive_builds();
  EXPECT_EQ(after_first, 1);  // inner product with the elu as a post-op
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  EXPECT_EQ(f.dense.primitive_builds(), after_first);
  f.dense.Backward(x, y, r, &dx, f.h.ctx);
  const int64_t after_backward = f.dense.primitive_builds();
  // + backward data, weights, eltwise backward (and its forward hint).
  EXPECT_EQ(after_backward, 5);
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  f.dense.Backward(x, y, r, &dx, f.h.ctx);
  EXPECT_EQ(f.dense.primitive_builds(), after_backward);

  // A partial last batch builds once more and computes the right values.
  Tensor part = x.Rows(0, 2);
  f.dense.Forward(part, &y, Mode::kInference, f.h.ctx);
  EXPECT_EQ(f.dense.primitive_builds(), after_backward + 1);
  ExpectAllNear(y.data(),
                RefDense(ToDouble(part), f.kernel(), f.bias(), 2, kIn, kUnits,
                         ActivationKind::kElu, 1.0),
                1e-5, 1e-5, "partial");
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  EXPECT_EQ(f.dense.primitive_builds(), after_backward + 1);
}

TEST(Dense, SeedSizedLayerMatchesNaiveLoop) {
  DenseFixture f(784, 300, ActivationKind::kRelu);
  Tensor x = RandomTensor({32, 784}, f.h.rng, 0, 1);
  Tensor y;
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  ExpectAllNear(y.data(),
                RefDense(ToDouble(x), f.kernel(), f.bias(), 32, 784, 300,
                         ActivationKind::kRelu, 0),
                1e-4, 1e-4, "y");
}

}  // namespace
}  // namespace profundo
