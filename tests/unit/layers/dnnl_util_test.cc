#include "engine/layers/dnnl_util.h"

#include <omp.h>

#include "gtest/gtest.h"

namespace profundo {
namespace {

TEST(ScopedSerialBelowTest, SmallWorkRunsOnTheCallingThreadOnly) {
  omp_set_num_threads(2);
  {
    const ScopedSerialBelow serial(kParallelMinMacs - 1);
    EXPECT_EQ(omp_get_max_threads(), 1);
    int team = 0;
#pragma omp parallel
    {
#pragma omp single
      team = omp_get_num_threads();
    }
    EXPECT_EQ(team, 1);
  }
  EXPECT_EQ(omp_get_max_threads(), 2);  // restored
}

TEST(ScopedSerialBelowTest, LargeWorkKeepsTheTeam) {
  omp_set_num_threads(2);
  {
    const ScopedSerialBelow serial(kParallelMinMacs);
    EXPECT_EQ(omp_get_max_threads(), 2);
  }
  EXPECT_EQ(omp_get_max_threads(), 2);
  omp_set_num_threads(1);
  {
    const ScopedSerialBelow serial(1);
    EXPECT_EQ(omp_get_max_threads(), 1);
  }
  EXPECT_EQ(omp_get_max_threads(), 1);
}

}  // namespace
}  // namespace profundo
