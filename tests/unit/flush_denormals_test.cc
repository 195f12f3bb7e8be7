#include "engine/flush_denormals.h"

#include <omp.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace profundo {
namespace {

constexpr float kMin = std::numeric_limits<float>::min();  // smallest normal

// Operands read at run time (volatile: no constant folding), so the
// arithmetic runs under the MXCSR of the executing thread. Only read.
volatile float g_min = kMin;
volatile float g_denorm_min = std::numeric_limits<float>::denorm_min();

float HalfOfMin() { return g_min * 0.5f; }  // kMin / 2 is denormal

TEST(ScopedFlushDenormalsTest, FlushesOnTheCallingThreadAndRestores) {
#if defined(__x86_64__) || defined(__i386__)
  EXPECT_EQ(HalfOfMin(), kMin / 2);  // denormal result, kept
  {
    ScopedFlushDenormals flush;
    EXPECT_EQ(HalfOfMin(), 0.f);
    EXPECT_EQ(g_denorm_min * 1.f, 0.f);  // denormal input read as zero
    EXPECT_EQ(g_min * 2.f, 2 * kMin);     // normal numbers untouched
  }
  EXPECT_EQ(HalfOfMin(), kMin / 2);
#else
  GTEST_SKIP() << "no MXCSR";
#endif
}

TEST(ScopedFlushDenormalsTest, FlushesOnEveryThreadOfTheTeam) {
#if defined(__x86_64__) || defined(__i386__)
  omp_set_num_threads(2);
  std::vector<float> inside(2, -1.f), after(2, -1.f);
  {
    ScopedFlushDenormals flush;
#pragma omp parallel num_threads(2)
    inside[omp_get_thread_num()] = HalfOfMin();
  }
#pragma omp parallel num_threads(2)
  after[omp_get_thread_num()] = HalfOfMin();
  for (int t = 0; t < 2; ++t) {
    EXPECT_EQ(inside[t], 0.f) << "thread " << t;
    EXPECT_EQ(after[t], kMin / 2) << "thread " << t;
  }
#else
  GTEST_SKIP() << "no MXCSR";
#endif
}

}  // namespace
}  // namespace profundo
