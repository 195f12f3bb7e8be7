#include "engine/tensor.h"

#include "engine/rng.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

TEST(TensorTest, ShapeAndRows) {
  Tensor t({3, 2}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(t.size(), 6);
  EXPECT_EQ(t.row_size(), 2);
  EXPECT_EQ(ShapeToString(t.shape()), "[3, 2]");
  Tensor r = t.Rows(1, 3);
  EXPECT_EQ(r.shape(), (Shape{2, 2}));
  EXPECT_EQ(r.values(), (std::vector<float>{3, 4, 5, 6}));
  Tensor g = t.Gather({2, 0});
  EXPECT_EQ(g.values(), (std::vector<float>{5, 6, 1, 2}));
}

TEST(RngTest, SameSeedSameStream) {
  Rng a(7), b(7), c(8);
  for (int i = 0; i < 100; ++i) {
    uint64_t va = a.Next();
    EXPECT_EQ(va, b.Next());
    EXPECT_NE(va, c.Next());
  }
}

TEST(RngTest, UniformAndNormalMoments) {
  Rng rng(1);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    float u = rng.Uniform();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    su += u;
    double z = rng.Normal();
    sn += z;
    sn2 += z * z;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.01);
}

TEST(RngTest, PermutationIsAPermutation) {
  Rng rng(3);
  std::vector<int64_t> p;
  rng.Permutation(1000, &p);
  std::vector<int> seen(1000, 0);
  for (int64_t v : p) seen[v]++;
  for (int s : seen) EXPECT_EQ(s, 1);
}

}  // namespace
}  // namespace profundo
