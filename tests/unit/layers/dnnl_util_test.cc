// TeamForMacs and ScopedTeamSize (engine/parallel.h): small primitives run
// on the calling thread alone, and the team size comes back afterwards.
#include "engine/layers/dnnl_util.h"

#include <omp.h>

#include "engine/parallel.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

TEST(TeamForMacsTest, SmallWorkRunsOnTheCallingThreadOnly) {
  omp_set_num_threads(2);
  {
    const ScopedTeamSize team(TeamForMacs(kParallelMinMacs - 1));
    EXPECT_EQ(omp_get_max_threads(), 1);
    int size = 0;
#pragma omp parallel
    {
#pragma omp single
      size = omp_get_num_threads();
    }
    EXPECT_EQ(size, 1);
  }
  EXPECT_EQ(omp_get_max_threads(), 2);  // restored
}

TEST(TeamForMacsTest, LargeWorkKeepsTheTeam) {
  omp_set_num_threads(2);
  EXPECT_EQ(TeamForMacs(kParallelMinMacs), 2);
  omp_set_num_threads(1);
  EXPECT_EQ(TeamForMacs(kParallelMinMacs), 1);
  EXPECT_EQ(TeamForMacs(1), 1);
}

TEST(ScopedTeamSizeTest, SetsAndRestoresTheCallersTeamSize) {
  omp_set_num_threads(2);
  {
    ScopedTeamSize one(1);
    EXPECT_EQ(omp_get_max_threads(), 1);
    {
      ScopedTeamSize two(2);  // nested: back to 2, then to 1
      EXPECT_EQ(omp_get_max_threads(), 2);
    }
    EXPECT_EQ(omp_get_max_threads(), 1);
  }
  EXPECT_EQ(omp_get_max_threads(), 2);
  {
    ScopedTeamSize same(2);
    EXPECT_EQ(omp_get_max_threads(), 2);
  }
  EXPECT_EQ(omp_get_max_threads(), 2);
}

}  // namespace
}  // namespace profundo
