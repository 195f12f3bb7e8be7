// WeightGradientRows against a reference chain of std::fma over the rows n
// in order: the same bits, for row counts around the kernel's 4-row groups,
// column counts around its 16-lane vectors and 96-column tiles, and a src
// whose rows are wider than the block (a view into [rows, fan_in]).
#include "engine/layers/rows_product.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "engine/rng.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

std::vector<float> Random(int64_t n, Rng& rng) {
  std::vector<float> v(n);
  for (float& x : v) x = rng.Normal();
  return v;
}

// Checks out [count, units] (16 guard floats after it, -7) against chains
// of std::fma over n < depth of a(r, n) b[n, k], in order: every element
// the same bits, nothing written past the rows.
void ExpectFmaChains(const std::vector<float>& out, int64_t count,
                     int64_t units, int64_t depth,
                     const std::function<float(int64_t, int64_t)>& a,
                     const std::vector<float>& b) {
  int64_t wrong = 0;
  for (int64_t r = 0; r < count; ++r) {
    for (int64_t k = 0; k < units; ++k) {
      float want = 0.f;
      for (int64_t n = 0; n < depth; ++n) {
        want = std::fma(a(r, n), b[n * units + k], want);
      }
      const float got = out[r * units + k];
      wrong += std::memcmp(&got, &want, sizeof(float)) != 0;
    }
  }
  EXPECT_EQ(wrong, 0);
  for (int64_t i = count * units; i < count * units + 16; ++i) {
    EXPECT_EQ(out[i], -7.f) << "wrote past the rows at " << i;
  }
}

TEST(RowsProductTest, WeightGradientRowsEqualAnFmaChainOverTheRowsInOrder) {
  Rng rng(17);
  for (int64_t rows : {1, 3, 32, 33}) {
    for (int64_t units : {1, 12, 16, 17, 95, 96, 97, 192, 300}) {
      for (int64_t count : {1, 2, 3, 4, 5, 9}) {
        SCOPED_TRACE(testing::Message() << "rows " << rows << " units "
                                        << units << " count " << count);
        const int64_t fan_in = count + 7, first = 5;  // src column 5 on
        const std::vector<float> src = Random(rows * fan_in, rng);
        const std::vector<float> diff = Random(rows * units, rng);
        std::vector<float> block(count * units + 16, -7.f);
        WeightGradientRows(src.data() + first - 2, fan_in,
                           diff.data(), rows, units, count, block.data());
        ExpectFmaChains(
            block, count, units, rows,
            [&](int64_t r, int64_t n) {
              return src[n * fan_in + first - 2 + r];
            },
            diff);
      }
    }
  }
}

// The forward's layout: out[r, k] = sum over n of src[r, n] kernel[n, k],
// src a view of `depth` columns into rows `stride` floats apart.
TEST(RowsProductTest, ForwardLayoutEqualsAnFmaChainOverTheDepthInOrder) {
  Rng rng(23);
  for (int64_t depth : {1, 7, 392}) {
    for (int64_t units : {1, 16, 47, 48, 49, 100, 300}) {
      for (int64_t count : {1, 3, 4, 7, 8, 9, 12, 13, 16, 32, 33}) {
        SCOPED_TRACE(testing::Message() << "depth " << depth << " units "
                                        << units << " count " << count);
        const int64_t stride = depth + 5, first = 3;
        const std::vector<float> src = Random(count * stride, rng);
        const std::vector<float> kernel = Random(depth * units, rng);
        std::vector<float> out(count * units + 16, -7.f);
        RowsProduct(src.data() + first, stride, 1, kernel.data(), depth,
                    units, count, out.data());
        ExpectFmaChains(
            out, count, units, depth,
            [&](int64_t r, int64_t n) { return src[r * stride + first + n]; },
            kernel);
      }
    }
  }
}

// A row's bits do not depend on the block it is computed in.
TEST(RowsProductTest, ARowIsTheSameAloneOrInABlock) {
  Rng rng(5);
  const int64_t rows = 32, units = 300, fan_in = 20;
  const std::vector<float> src = Random(rows * fan_in, rng);
  const std::vector<float> diff = Random(rows * units, rng);
  std::vector<float> block(fan_in * units), row(units);
  WeightGradientRows(src.data(), fan_in, diff.data(), rows, units, fan_in,
                     block.data());
  for (int64_t r = 0; r < fan_in; ++r) {
    WeightGradientRows(src.data() + r, fan_in, diff.data(), rows, units, 1,
                       row.data());
    EXPECT_EQ(std::memcmp(row.data(), block.data() + r * units,
                          units * sizeof(float)),
              0)
        << "row " << r;
  }
}

}  // namespace
}  // namespace profundo
