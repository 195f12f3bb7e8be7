// PReLU: parameter, forward against relu(x) - alpha relu(-x), backward
// (diff_src and alpha) against central finite differences.
#include "engine/layers/prelu.h"

#include <memory>
#include <vector>

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
using ::profundo::testing::UniformTestInitializer;

// relu(x) - alpha relu(-x), alpha per element of the per-sample shape.
std::vector<double> RefPReLU(const std::vector<double>& x,
                             const std::vector<double>& alpha) {
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double a = alpha[i % alpha.size()];
    y[i] = std::max(x[i], 0.0) - a * std::max(-x[i], 0.0);
  }
  return y;
}

TEST(PReLU, DefaultAlphaIsZeroSoItStartsAsRelu) {
  Harness h;
  PReLU p("p_re_lu", {});
  EXPECT_STREQ(p.type(), "PReLU");
  ASSERT_EQ(*p.Build({5}, h.params), (Shape{5}));
  h.params.Allocate();
  h.params.trainable_values().assign(5, 9.f);
  p.Initialize(h.params, h.rng);
  const Parameter& alpha = h.params.param(p.alpha_id());
  EXPECT_EQ(alpha.name, "p_re_lu/alpha");
  EXPECT_EQ(alpha.shape, (Shape{5}));
  EXPECT_TRUE(alpha.trainable);
  for (int j = 0; j < 5; ++j) EXPECT_EQ(h.params.value(p.alpha_id())[j], 0.f);
  Tensor x({1, 5}, {-2, -1, 0.5f, 1, 3});
  Tensor y;
  p.Forward(x, &y, Mode::kInference, h.ctx);
  EXPECT_EQ(y.values(), (std::vector<float>{0, 0, 0.5f, 1, 3}));
}

TEST(PReLU, ForwardAndBackwardMatchReference) {
  Harness h(4);
  PReLUOptions o;
  o.alpha_initializer = std::make_unique<UniformTestInitializer>(-0.5, 0.9);
  o.alpha_regularizer.l2 = 0.1;
  PReLU p("p_re_lu", std::move(o));
  ASSERT_EQ(*p.Build({2, 3}, h.params), (Shape{2, 3}));  // alpha per element
  h.params.Allocate();
  p.Initialize(h.params, h.rng);
  EXPECT_EQ(h.params.param(p.alpha_id()).shape, (Shape{2, 3}));
  EXPECT_DOUBLE_EQ(h.params.param(p.alpha_id()).regularizer.l2, 0.1);
  const std::vector<double> alpha = ToDouble(h.params.value(p.alpha_id()), 6);

  Tensor x = RandomTensor({4, 2, 3}, h.rng, -2, 2, /*min_abs=*/0.05);
  Tensor r = RandomTensor({4, 2, 3}, h.rng, -1, 1);
  Tensor y, dx;
  p.Forward(x, &y, Mode::kTrain, h.ctx);
  ASSERT_EQ(y.shape(), x.shape());
  const std::vector<double> xd = ToDouble(x), rd = ToDouble(r);
  ExpectAllNear(y.data(), RefPReLU(xd, alpha), 1e-7, 1e-6, "y");

  p.Backward(x, y, r, &dx, h.ctx);
  ASSERT_EQ(dx.shape(), x.shape());
  ExpectAllNear(
      dx.data(),
      NumericGradient([&](auto& v) { return Dot(RefPReLU(v, alpha), rd); }, xd),
      1e-6, 1e-5, "diff_src");
  ExpectAllNear(
      h.params.grad(p.alpha_id()),
      NumericGradient([&](auto& v) { return Dot(RefPReLU(xd, v), rd); }, alpha),
      1e-6, 1e-5, "diff_alpha");

  // As the first layer: alpha's gradient only, rewritten (not added).
  const std::vector<float> grads = h.params.grads();
  p.Backward(x, y, r, nullptr, h.ctx);
  EXPECT_EQ(h.params.grads(), grads);
}

}  // namespace
}  // namespace profundo
