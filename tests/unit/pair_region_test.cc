// PairRegion (engine/pair_region.h) and engine/parallel.h's helpers inside
// one: which thread runs which task, that every task and range runs
// exactly once and is finished when Run returns, the barrier, nested work
// running serially, and a region OpenMP gives only one thread.
#include "engine/pair_region.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/parallel.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

// Restores the team size of 1 the other tests expect.
class PairRegionTest : public ::testing::Test {
 protected:
  void SetUp() override { omp_set_num_threads(2); }
  void TearDown() override { omp_set_num_threads(1); }
};

TEST_F(PairRegionTest, RunsTaskZeroHereAndTaskOneOnTheOtherThread) {
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran[2];
  int omp_thread[2] = {-1, -1};
  bool open = false;
  PairRegion::Open([&] {
    open = PairRegion::Current() != nullptr;
    PairRegion::Current()->Run([&](int t) {
      ran[t] = std::this_thread::get_id();
      omp_thread[t] = omp_get_thread_num();
    });
  });
  EXPECT_TRUE(open);
  EXPECT_EQ(ran[0], caller);
  EXPECT_NE(ran[1], caller);
  EXPECT_NE(ran[1], std::thread::id());
  EXPECT_EQ(omp_thread[0], 0);
  EXPECT_EQ(omp_thread[1], 1);
  EXPECT_EQ(PairRegion::Current(), nullptr);  // closed
}

TEST_F(PairRegionTest, ManyTasksEachRunOnceAndFinishBeforeRunReturns) {
  constexpr int kTasks = 20000;
  std::vector<int> count(2 * kTasks, 0);
  int64_t sum = 0;
  PairRegion::Open([&] {
    PairRegion* pair = PairRegion::Current();
    for (int i = 0; i < kTasks; ++i) {
      pair->Run([&](int t) { ++count[2 * i + t]; });
      // Both writes are visible here: task 1's too.
      sum += count[2 * i] + count[2 * i + 1];
    }
  });
  EXPECT_EQ(sum, 2 * kTasks);
  EXPECT_EQ(std::count(count.begin(), count.end(), 1), 2 * kTasks);
}

TEST_F(PairRegionTest, BarrierOrdersBothThreadsWrites) {
  constexpr int kRounds = 2000;
  int mismatches = 0;
  PairRegion::Open([&] {
    PairRegion* pair = PairRegion::Current();
    for (int r = 0; r < kRounds; ++r) {
      int value[2] = {-1, -1};
      int seen[2] = {-1, -1};
      pair->Run([&](int t) {
        value[t] = r + t;
        pair->Barrier(t);
        seen[t] = value[1 - t];  // the other thread's write, before Barrier
        pair->Barrier(t);
      });
      mismatches += seen[0] != r + 1 || seen[1] != r;
    }
  });
  EXPECT_EQ(mismatches, 0);
}

TEST_F(PairRegionTest, HelpersHandWorkToTheOtherThread) {
  std::vector<std::pair<int, int>> pair_calls;  // (t, omp thread)
  std::vector<std::tuple<int64_t, int64_t, int>> ranges;
  std::vector<int> after_saw;
  bool work_outside = true, work_in_task = false;
  PairRegion::Open([&] {
    work_outside = InParallelWork();
    EXPECT_TRUE(TeamOfTwo());
    EXPECT_TRUE(HalvesOnTwoThreads());
    RunPair(true, [&](int t) {
      if (t == 0) work_in_task = InParallelWork();
#pragma omp critical
      pair_calls.emplace_back(t, omp_get_thread_num());
    });
    ParallelRanges(100000, [&](int64_t b, int64_t e) {
#pragma omp critical
      ranges.emplace_back(b, e, omp_get_thread_num());
    });
    int half_done[2] = {0, 0};
    after_saw.assign(2, -1);
    RunHalves([&](int t) { half_done[t] = 1; },
              [&](int t) { after_saw[t] = half_done[0] + half_done[1]; });
  });
  EXPECT_FALSE(work_outside);
  EXPECT_TRUE(work_in_task);
  std::sort(pair_calls.begin(), pair_calls.end());
  EXPECT_EQ(pair_calls, (std::vector<std::pair<int, int>>{{0, 0}, {1, 1}}));
  std::sort(ranges.begin(), ranges.end());
  // ParallelRanges' split of 100,000 over two threads (multiples of 16).
  EXPECT_EQ(ranges, (std::vector<std::tuple<int64_t, int64_t, int>>{
                        {0, 50000, 0}, {50000, 100000, 1}}));
  EXPECT_EQ(after_saw, (std::vector<int>{2, 2}));  // after both halves
}

TEST_F(PairRegionTest, WorkInsideATaskRunsSeriallyOnItsThread) {
  std::vector<std::pair<int, int>> inner;  // (outer t, inner t)
  std::vector<int> inner_thread;
  PairRegion::Open([&] {
    RunPair(true, [&](int t) {
      EXPECT_TRUE(InParallelWork());
      EXPECT_FALSE(TeamOfTwo());
      RunPair(TeamOfTwo(), [&](int u) {
#pragma omp critical
        {
          inner.emplace_back(t, u);
          inner_thread.push_back(omp_get_thread_num() * 10 + t);
        }
      });
    });
  });
  std::sort(inner.begin(), inner.end());
  EXPECT_EQ(inner, (std::vector<std::pair<int, int>>{
                       {0, 0}, {0, 1}, {1, 0}, {1, 1}}));
  // Each outer task's inner pair ran on that task's thread.
  for (int v : inner_thread) EXPECT_EQ(v / 10, v % 10);
}

TEST_F(PairRegionTest, ExceptionsCloseTheRegionAndPropagate) {
  // A task's on thread 1: Run rethrows it on thread 0 once task 0 is done,
  // and the region goes on.
  int after = 0;
  bool task0_done = false;
  PairRegion::Open([&] {
    try {
      PairRegion::Current()->Run([&](int t) {
        if (t == 1) throw std::runtime_error("task 1");
        task0_done = true;
      });
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "task 1");
      EXPECT_TRUE(task0_done);
    }
    RunPair(true, [&](int t) {
      if (t == 1) after = 1;
    });
  });
  EXPECT_EQ(after, 1);
  // The step's own: Open rethrows it after closing the region.
  EXPECT_THROW(PairRegion::Open([] { throw std::runtime_error("step"); }),
               std::runtime_error);
  EXPECT_EQ(PairRegion::Current(), nullptr);
  int calls = 0;
  PairRegion::Open([&] {
    PairRegion::Current()->Run([&](int) {
#pragma omp atomic
      ++calls;
    });
  });
  EXPECT_EQ(calls, 2);
}

TEST_F(PairRegionTest, OnOneThreadTheStepRunsWithoutARegion) {
  // Inside another parallel region OpenMP gives a nested one one thread.
  bool open = true;
  int calls = 0;
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    PairRegion::Open([&] {
      open = PairRegion::Current() != nullptr;
      RunPair(TeamOfTwo(), [&](int) { ++calls; });  // both tasks here
    });
  }
  EXPECT_FALSE(open);
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace profundo
