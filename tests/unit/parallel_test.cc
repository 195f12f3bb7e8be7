// RunInputColumnHalves, ParallelColumns and ScopedStepTeam
// (engine/parallel.h): which threads get which input columns in each step
// mode.
#include "engine/parallel.h"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace profundo {
namespace {

// (begin, end, thread, team size) of each call of a column body.
using Call = std::tuple<int64_t, int64_t, int, int>;

// Runs `split(cols, body)` with a body recording its calls, sorted.
template <typename Split>
std::vector<Call> CallsOf(int64_t cols, const Split& split) {
  std::vector<Call> calls;
  split(cols, [&](int64_t begin, int64_t end) {
#pragma omp critical
    calls.emplace_back(begin, end, omp_get_thread_num(), omp_get_num_threads());
  });
  std::sort(calls.begin(), calls.end());
  return calls;
}

auto InputHalves() {
  return [](int64_t cols, const auto& body) {
    EXPECT_TRUE(RunInputColumnHalves(cols, body));
  };
}
auto NoInputHalves() {
  return [](int64_t cols, const auto& body) {
    EXPECT_FALSE(RunInputColumnHalves(cols, body));
  };
}

TEST(RunInputColumnHalvesTest, SplitsTheInputColumnsOfAKernelHalvesStep) {
  omp_set_num_threads(2);
  {
    const ScopedStepTeam step(StepTeam::kKernelHalves, 2, 785);
    EXPECT_EQ(CallsOf(785, InputHalves()),
              (std::vector<Call>{{0, 392, 0, 2}, {392, 785, 1, 2}}));
    // Other widths: nothing runs.
    EXPECT_TRUE(CallsOf(784, NoInputHalves()).empty());
    // Inside a parallel region: nothing either.
    bool inside = true;
#pragma omp parallel num_threads(2)
    {
#pragma omp single
      inside = RunInputColumnHalves(785, [](int64_t, int64_t) {});
    }
    EXPECT_FALSE(inside);
  }
  // Other modes, and after the step: nothing.
  for (StepTeam mode : {StepTeam::kWhole, StepTeam::kOne}) {
    const ScopedStepTeam step(mode, 2, 785);
    EXPECT_TRUE(CallsOf(785, NoInputHalves()).empty());
  }
  EXPECT_TRUE(CallsOf(785, NoInputHalves()).empty());
  omp_set_num_threads(1);
}

TEST(RunInputColumnHalvesTest, NestedStepsRestoreTheOuterColumns) {
  omp_set_num_threads(2);
  {
    const ScopedStepTeam outer(StepTeam::kKernelHalves, 2, 10);
    {
      const ScopedStepTeam inner(StepTeam::kKernelHalves, 2, 12);
      EXPECT_TRUE(CallsOf(10, NoInputHalves()).empty());
      EXPECT_EQ(CallsOf(12, InputHalves()).size(), 2u);
    }
    EXPECT_EQ(CallsOf(10, InputHalves()),
              (std::vector<Call>{{0, 5, 0, 2}, {5, 10, 1, 2}}));
  }
  omp_set_num_threads(1);
}

// ParallelColumns takes the input halves in such a step even below its
// size threshold; elsewhere one range per thread from that threshold on.
TEST(ParallelColumnsTest, InputHalvesInAKernelHalvesStepElseTheTeam) {
  omp_set_num_threads(2);
  auto columns_of = [](int64_t rows) {
    return [rows](int64_t cols, const auto& body) {
      ParallelColumns(rows, cols, body);
    };
  };
  {
    const ScopedStepTeam step(StepTeam::kKernelHalves, 2, 100);
    EXPECT_EQ(CallsOf(100, columns_of(1)),
              (std::vector<Call>{{0, 50, 0, 2}, {50, 100, 1, 2}}));
    EXPECT_EQ(CallsOf(300, columns_of(32)),
              (std::vector<Call>{{0, 300, 0, 1}}));
  }
  const int64_t rows = kParallelMinColumnElements / 100 + 1;
  EXPECT_EQ(CallsOf(100, columns_of(rows)),
            (std::vector<Call>{{0, 64, 0, 2}, {64, 100, 1, 2}}));
  EXPECT_EQ(CallsOf(100, columns_of(1)), (std::vector<Call>{{0, 100, 0, 1}}));
  omp_set_num_threads(1);
}

}  // namespace
}  // namespace profundo
