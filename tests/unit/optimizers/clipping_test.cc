// Gradient clipping in Optimizer::Step (SPEC.md "Gradient clipping"), seen
// through the clipped gradients Step leaves in the store.
#include <vector>

#include "engine/optimizers/sgd.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

struct Clip {
  std::optional<double> value, norm, global_norm;
};

// Two trainable tensors of 2 with a non-trainable one between them; returns
// the trainable gradients after one Step.
std::vector<float> ClippedGradients(const Clip& clip,
                                    std::vector<float> grads) {
  ParameterStore store;
  store.Add("a", {2}, true);
  store.Add("moving", {2}, false);
  store.Add("b", {2}, true);
  store.Allocate();
  store.grads() = std::move(grads);
  OptimizerOptions o;
  o.clipvalue = clip.value;
  o.clipnorm = clip.norm;
  o.global_clipnorm = clip.global_norm;
  SGD opt(std::move(o), 0.0, false);
  opt.Step(store);
  return store.grads();
}

TEST(ClippingTest, SeedClipValue) {
  auto g = ClippedGradients({1.0, {}, {}}, {0.9f, 100.0f, 0, 0});
  EXPECT_FLOAT_EQ(g[0], 0.9f);
  EXPECT_FLOAT_EQ(g[1], 1.0f);
  g = ClippedGradients({1.0, {}, {}}, {-3.0f, -0.5f, 0, 0});
  EXPECT_FLOAT_EQ(g[0], -1.0f);
  EXPECT_FLOAT_EQ(g[1], -0.5f);
}

TEST(ClippingTest, SeedClipNorm) {
  auto g = ClippedGradients({{}, 1.0, {}}, {0.9f, 100.0f, 0, 0});
  EXPECT_NEAR(g[0], 0.00899964, 1e-8);
  EXPECT_NEAR(g[1], 0.9999595, 1e-7);
}

TEST(ClippingTest, ClipNormIsPerTensor) {
  // a = [3, 0] (norm 3), b = [0, 0.5] (norm 0.5, below c: unchanged).
  auto g = ClippedGradients({{}, 1.0, {}}, {3, 0, 0, 0.5f});
  EXPECT_FLOAT_EQ(g[0], 1.0f);
  EXPECT_FLOAT_EQ(g[1], 0.0f);
  EXPECT_FLOAT_EQ(g[2], 0.0f);
  EXPECT_FLOAT_EQ(g[3], 0.5f);
}

TEST(ClippingTest, GlobalClipNormAcrossTensors) {
  // a = [3, 0], b = [0, 4]: global norm 5, c = 1 scales all by 1/5.
  auto g = ClippedGradients({{}, {}, 1.0}, {3, 0, 0, 4});
  EXPECT_FLOAT_EQ(g[0], 0.6f);
  EXPECT_FLOAT_EQ(g[1], 0.0f);
  EXPECT_FLOAT_EQ(g[2], 0.0f);
  EXPECT_FLOAT_EQ(g[3], 0.8f);
  // Below the threshold nothing changes.
  g = ClippedGradients({{}, {}, 10.0}, {3, 0, 0, 4});
  EXPECT_FLOAT_EQ(g[0], 3.0f);
  EXPECT_FLOAT_EQ(g[3], 4.0f);
}

TEST(ClippingTest, ClipValueBeforeClipNormAsTfKeras2) {
  // [0.9, 100] -> clipvalue 1 -> [0.9, 1] (norm sqrt(1.81)) -> clipnorm 1.
  auto g = ClippedGradients({1.0, 1.0, {}}, {0.9f, 100.0f, 0, 0});
  EXPECT_NEAR(g[0], 0.9 / 1.3453624047, 1e-7);
  EXPECT_NEAR(g[1], 1.0 / 1.3453624047, 1e-7);
}

}  // namespace
}  // namespace profundo
