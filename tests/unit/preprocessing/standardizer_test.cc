// Standardizer: statistics by hand (population std, zero variance -> 1),
// Apply against a naive loop bit for bit, Set's statistics used by Apply.
#include "engine/preprocessing/standardizer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/rng.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

TEST(Standardizer, FitsMeanAndPopulationStd) {
  // Column 0: 1, 3, 5 (mean 3, std sqrt(8/3)); column 1 constant 2.
  Tensor x({3, 2});
  const float v[] = {1, 2, 3, 2, 5, 2};
  std::copy(v, v + 6, x.data());
  Standardizer s;
  EXPECT_FALSE(s.fitted());
  s.Fit(x, 3);
  ASSERT_TRUE(s.fitted());
  EXPECT_FLOAT_EQ(s.mean()[0], 3.f);
  EXPECT_FLOAT_EQ(s.mean()[1], 2.f);
  EXPECT_FLOAT_EQ(s.std()[0], std::sqrt(8.f / 3.f));
  EXPECT_EQ(s.std()[1], 1.f);  // zero variance: x - mean
  s.Apply(&x);
  EXPECT_FLOAT_EQ(x.at(0, 0), -2.f / std::sqrt(8.f / 3.f));
  EXPECT_FLOAT_EQ(x.at(1, 0), 0.f);
  EXPECT_FLOAT_EQ(x.at(2, 0), 2.f / std::sqrt(8.f / 3.f));
  EXPECT_EQ(x.at(0, 1), 0.f);
}

// Fit's training rows are the first n of the data (a validation split
// holds out the rest, read in place): the statistics ignore the rows after.
TEST(Standardizer, FitsOnTheFirstRowsOnly) {
  Tensor x({4, 1});
  x.values() = {1, 3, 100, -50};
  Standardizer s;
  s.Fit(x, 2);
  EXPECT_FLOAT_EQ(s.mean()[0], 2.f);
  EXPECT_FLOAT_EQ(s.std()[0], 1.f);
  s.Fit(x, 4);
  EXPECT_FLOAT_EQ(s.mean()[0], 13.5f);
}

TEST(Standardizer, ApplyIsTheNaiveLoopBitForBit) {
  Rng rng(3);
  const int64_t n = 5, f = 37;  // not a multiple of any vector width
  std::vector<float> mean(f), stdev(f);
  for (int64_t j = 0; j < f; ++j) {
    mean[j] = static_cast<float>(rng.UniformDouble() * 4 - 2);
    stdev[j] = static_cast<float>(0.1 + rng.UniformDouble() * 3);
  }
  Tensor x({n, f});
  for (float& v : x.values()) v = static_cast<float>(rng.UniformDouble() * 10);
  Tensor want = x;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < f; ++j) {
      want.at(i, j) = (want.at(i, j) - mean[j]) * (1.0f / stdev[j]);
    }
  }
  Standardizer s;
  s.Set(mean, stdev);
  s.Apply(&x);
  EXPECT_EQ(x.values(), want.values());
}

TEST(Standardizer, UnfittedApplyChangesNothing) {
  Tensor x({2, 3});
  x.values() = {1, 2, 3, 4, 5, 6};
  const std::vector<float> before = x.values();
  Standardizer().Apply(&x);
  EXPECT_EQ(x.values(), before);
}

}  // namespace
}  // namespace profundo
