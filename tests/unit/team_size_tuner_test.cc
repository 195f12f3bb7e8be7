// TeamSizeTuner's protocol with made-up step times: new row counts run on
// the whole team untimed, the first kWarmupSteps timed steps on the whole
// team too, then a probe runs blocks of steps in each mode in turn
// (the whole team, the kernel halves when the model splits kernels, one
// thread; the first step of a block untimed), the fastest median wins until
// the next probe, kPeriodSeconds later.
#include "engine/team_size_tuner.h"

#include <vector>

#include "gtest/gtest.h"

namespace profundo {
namespace {

constexpr int kTeam = 2;
constexpr int kBlock = TeamSizeTuner::kBlockSteps;
constexpr int kTwoModeProbe = 2 * TeamSizeTuner::kBlocks * kBlock;
constexpr StepTeam kWhole = StepTeam::kWhole;
constexpr StepTeam kHalves = StepTeam::kKernelHalves;
constexpr StepTeam kOne = StepTeam::kOne;

// Step times per mode, in seconds.
struct Times {
  double whole, halves, one;
  double Of(StepTeam mode) const {
    return mode == kWhole ? whole : mode == kHalves ? halves : one;
  }
};

// Runs one step of `rows` rows that takes `t.Of(mode)` seconds; returns the
// mode it ran in.
StepTeam Step(TeamSizeTuner& tuner, int64_t rows, Times t,
              bool kernel_halves = false) {
  const StepTeam mode = tuner.ModeForStep(rows, kernel_halves);
  tuner.StepTook(t.Of(mode));
  return mode;
}

// The first step of `rows` rows (untimed) and the warm-up's timed steps:
// all on the whole team, whatever the times.
void WarmUp(TeamSizeTuner& tuner, int64_t rows, Times t,
            bool kernel_halves = false) {
  for (int i = 0; i < 1 + TeamSizeTuner::kWarmupSteps; ++i) {
    ASSERT_EQ(Step(tuner, rows, t, kernel_halves), kWhole) << "step " << i;
  }
}

TEST(TeamSizeTunerTest, TheFirstProbeWaitsForTheWarmUp) {
  TeamSizeTuner tuner(kTeam);
  // The whole team's first steps are slow (cold caches): no probe yet.
  WarmUp(tuner, 32, {0.0003, 0.0002, 0.0001}, true);
  EXPECT_EQ(tuner.chosen(), kWhole);
  // Then the probe, whose first block is the whole team's, and the
  // fastest mode afterwards.
  const int probe_steps = 3 * TeamSizeTuner::kBlocks * kBlock;
  for (int i = 0; i < probe_steps; ++i) {
    const StepTeam mode = Step(tuner, 32, {0.00015, 0.0002, 0.0003}, true);
    const StepTeam order[] = {kWhole, kHalves, kOne};
    EXPECT_EQ(mode, order[i / kBlock % 3]) << "probe step " << i;
  }
  EXPECT_EQ(tuner.chosen(), kWhole);
}

TEST(TeamSizeTunerTest, ProbesThenKeepsTheFasterTeamUntilThePeriodEnds) {
  TeamSizeTuner tuner(kTeam);
  WarmUp(tuner, 32, {9.0, 9.0, 9.0});
  EXPECT_EQ(tuner.probe_steps(), kTwoModeProbe);
  std::vector<StepTeam> probe;
  for (int i = 0; i < kTwoModeProbe; ++i) {
    // The first step of every one-thread block is slow (it pulls the data
    // the team left in the other core's cache) and is not counted; one slow
    // outlier among the timed ones does not move the median either.
    const bool block_start = i % kBlock == 0;
    const double one = block_start || i == kBlock + 2 ? 0.01 : 0.0004;
    probe.push_back(Step(tuner, 32, {0.0006, 1.0, one}));
  }
  for (int i = 0; i < kTwoModeProbe; ++i) {
    EXPECT_EQ(probe[i], (i / kBlock) % 2 == 0 ? kWhole : kOne)
        << "probe step " << i;
  }
  EXPECT_EQ(tuner.chosen(), kOne);
  // 0.0004 s steps on one thread: 1249 of them stay under kPeriodSeconds.
  const int run = static_cast<int>(TeamSizeTuner::kPeriodSeconds / 0.0004);
  for (int i = 0; i < run - 1; ++i) {
    ASSERT_EQ(Step(tuner, 32, {0.0006, 1.0, 0.0004}), kOne) << "step " << i;
  }
  // A slow step ends the period: a new probe, in which the whole team is
  // faster now.
  EXPECT_EQ(Step(tuner, 32, {0.0003, 1.0, 0.01}), kOne);
  for (int i = 0; i < kTwoModeProbe; ++i) {
    Step(tuner, 32, {0.0003, 1.0, 0.0004});
  }
  EXPECT_EQ(tuner.chosen(), kWhole);
  EXPECT_EQ(Step(tuner, 32, {0.0003, 1.0, 0.0004}), kWhole);
}

// A model whose Dense layers split their kernels (SplitInnerProduct): the
// probe tries the kernel halves between the whole team and one thread.
TEST(TeamSizeTunerTest, WithSplitKernelsTheProbeTriesTheKernelHalves) {
  TeamSizeTuner tuner(kTeam);
  const Times far = {0.00075, 0.00058, 0.00073};  // the vCPUs far apart
  WarmUp(tuner, 32, far, true);
  const int probe_steps = 3 * TeamSizeTuner::kBlocks * kBlock;
  std::vector<StepTeam> probe;
  for (int i = 0; i < probe_steps; ++i) {
    probe.push_back(Step(tuner, 32, far, true));
  }
  EXPECT_EQ(tuner.probe_steps(), probe_steps);
  const StepTeam order[] = {kWhole, kHalves, kOne};
  for (int i = 0; i < probe_steps; ++i) {
    EXPECT_EQ(probe[i], order[(i / kBlock) % 3]) << "probe step " << i;
  }
  EXPECT_EQ(tuner.chosen(), kHalves);
  EXPECT_EQ(Step(tuner, 32, far, true), kHalves);
  // A step without split kernels cannot run halves: one thread instead.
  EXPECT_EQ(Step(tuner, 32, far, false), kOne);
  EXPECT_EQ(Step(tuner, 32, far, true), kHalves);
  // The vCPUs come near: the next probe picks the whole team.
  const Times near = {0.00026, 0.00034, 0.00042};
  int steps = 0;
  while (tuner.chosen() != kWhole && steps < 10000) {
    Step(tuner, 32, near, true);
    ++steps;
  }
  EXPECT_EQ(tuner.chosen(), kWhole);
  EXPECT_EQ(Step(tuner, 32, near, true), kWhole);
}

TEST(TeamSizeTunerTest, ANewRowCountRunsOnTheWholeTeamFirst) {
  TeamSizeTuner tuner(kTeam);
  WarmUp(tuner, 32, {1, 1, 1});
  for (int i = 0; i < kTwoModeProbe; ++i) Step(tuner, 32, {0.002, 1.0, 0.001});
  ASSERT_EQ(tuner.chosen(), kOne);
  // The epoch's last, shorter batch: whole team (its primitives are new),
  // untimed; the second time it follows the choice.
  EXPECT_EQ(Step(tuner, 24, {0.002, 1.0, 0.001}), kWhole);
  EXPECT_EQ(Step(tuner, 24, {0.002, 1.0, 0.001}), kOne);
  EXPECT_EQ(Step(tuner, 32, {0.002, 1.0, 0.001}), kOne);
}

TEST(TeamSizeTunerTest, TiesAndOneThreadTeamsKeepTheWholeTeam) {
  TeamSizeTuner tuner(kTeam);
  WarmUp(tuner, 8, {0.001, 0.001, 0.001}, true);
  for (int i = 0; i < 3 * TeamSizeTuner::kBlocks * kBlock; ++i) {
    const StepTeam order[] = {kWhole, kHalves, kOne};
    EXPECT_EQ(Step(tuner, 8, {0.001, 0.001, 0.001}, true),
              order[i / kBlock % 3]);
  }
  EXPECT_EQ(tuner.chosen(), kWhole);
  TeamSizeTuner single(1);
  for (int i = 0; i < 1 + TeamSizeTuner::kWarmupSteps + kTwoModeProbe; ++i) {
    EXPECT_EQ(single.ModeForStep(8, true), kWhole);
    single.StepTook(0.001);
  }
}

}  // namespace
}  // namespace profundo
