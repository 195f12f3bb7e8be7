#include "engine/tensor.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "engine/parallel.h"
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

// Large enough to be split over the team, with repeated and out-of-order
// rows.
TEST(TensorTest, GatherRowsInParallelEqualsRowByRowCopies) {
  omp_set_num_threads(2);
  const int64_t rows = 500, cols = 784;
  Tensor t({rows, cols});
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(i);
  std::vector<int64_t> order;
  for (int64_t i = 0; i < 100; ++i) order.push_back((i * 337) % rows);
  order.push_back(order.front());
  Tensor batch;
  GatherRows(t, &order, 0, static_cast<int64_t>(order.size()), {cols},
             &batch);
  ASSERT_EQ(batch.shape(), (Shape{static_cast<int64_t>(order.size()), cols}));
  const float* out = batch.data();
  for (size_t i = 0; i < order.size(); ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      ASSERT_EQ(out[i * cols + j], static_cast<float>(order[i] * cols + j))
          << "row " << i << " column " << j;
    }
  }
}

// Fit's sweep: consecutive batches of one order, the last one partial, each
// also prefetching the start of the next (a full one, a partial one, none).
void ExpectSweepEqualsRowByRowCopies(int64_t cols) {
  const int64_t rows = 300, batch_size = 32;
  Tensor t({rows, cols});
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(i);
  std::vector<int64_t> order;
  for (int64_t i = 0; i < 101; ++i) order.push_back((i * 211) % rows);
  const int64_t n = static_cast<int64_t>(order.size());
  Tensor batch;
  for (int64_t b = 0; b < n; b += batch_size) {
    const int64_t e = std::min(n, b + batch_size);
    GatherRows(t, &order, b, e, {cols}, &batch);
    ASSERT_EQ(batch.shape(), (Shape{e - b, cols}));
    for (int64_t i = b; i < e; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        ASSERT_EQ(batch.data()[(i - b) * cols + j],
                  static_cast<float>(order[i] * cols + j))
            << "batch at " << b << ", row " << i << ", column " << j;
      }
    }
  }
}

TEST(TensorTest, GatherRowsBatchesOfASweepEqualRowByRowCopies) {
  omp_set_num_threads(2);
  ExpectSweepEqualsRowByRowCopies(784);
}

// In a kKernelHalves step that splits the input columns, each thread
// gathers its columns of every row (RunInputColumnHalves); an odd count
// splits mid-line.
TEST(TensorTest, GatherRowsByInputColumnHalvesEqualRowByRowCopies) {
  omp_set_num_threads(2);
  for (int64_t cols : {784, 785}) {
    SCOPED_TRACE(cols);
    const ScopedStepTeam step(StepTeam::kKernelHalves, 2, cols);
    ExpectSweepEqualsRowByRowCopies(cols);
  }
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
