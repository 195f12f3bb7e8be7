// Flatten: shapes and data through forward and backward.
#include "engine/layers/flatten.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/layers/layer_test_util.h"

namespace profundo {
namespace {

using ::profundo::testing::Harness;
using ::profundo::testing::RandomTensor;

TEST(Flatten, PerSampleShapeBecomesItsProduct) {
  Harness h;
  Flatten f("flatten");
  EXPECT_STREQ(f.type(), "Flatten");
  EXPECT_FALSE(f.stochastic());
  ASSERT_EQ(*f.Build({28, 28}, h.params), (Shape{784}));
  EXPECT_TRUE(h.params.params().empty());

  Tensor x = RandomTensor({3, 28, 28}, h.rng);
  Tensor y;
  f.Forward(x, &y, Mode::kTrain, h.ctx);
  EXPECT_EQ(y.shape(), (Shape{3, 784}));
  EXPECT_EQ(y.values(), x.values());

  Tensor dy = RandomTensor({3, 784}, h.rng);
  Tensor dx;
  f.Backward(x, y, dy, &dx, h.ctx);
  EXPECT_EQ(dx.shape(), (Shape{3, 28, 28}));
  EXPECT_EQ(dx.values(), dy.values());
  f.Backward(x, y, dy, nullptr, h.ctx);  // first layer: nothing to do

  // A smaller batch reuses the tensors.
  Tensor x1 = x.Rows(2, 3);
  f.Forward(x1, &y, Mode::kInference, h.ctx);
  EXPECT_EQ(y.shape(), (Shape{1, 784}));
  EXPECT_EQ(y.values(), x1.values());
}

}  // namespace
}  // namespace profundo
