// TeamSizeTuner's protocol with made-up step times: new row counts run on
// the whole team untimed, a probe runs blocks of steps on the whole team
// and on one thread in turn (the first step of a block untimed), the faster
// median wins until the next probe, kPeriodSeconds later.
#include "engine/team_size_tuner.h"

#include <vector>

#include "gtest/gtest.h"

namespace profundo {
namespace {

constexpr int kTeam = 2;
constexpr int kProbe = TeamSizeTuner::kProbeSteps;
constexpr int kBlock = TeamSizeTuner::kBlockSteps;

// Runs one step of `rows` rows that takes `full` seconds on the whole team
// and `one` on one thread; returns the team it ran on.
int Step(TeamSizeTuner& tuner, int64_t rows, double full, double one) {
  const int team = tuner.TeamForStep(rows);
  tuner.StepTook(team == kTeam ? full : one);
  return team;
}

TEST(TeamSizeTunerTest, ProbesThenKeepsTheFasterTeamUntilThePeriodEnds) {
  TeamSizeTuner tuner(kTeam);
  EXPECT_EQ(Step(tuner, 32, 9.0, 9.0), kTeam);  // first 32-row step: warm-up
  std::vector<int> probe;
  for (int i = 0; i < kProbe; ++i) {
    // The first step of every one-thread block is slow (it pulls the data
    // the team left in the other core's cache) and is not counted; one slow
    // outlier among the timed ones does not move the median either.
    const bool block_start = i % kBlock == 0;
    probe.push_back(Step(tuner, 32, 0.0006,
                         block_start || i == kBlock + 2 ? 0.01 : 0.0004));
  }
  for (int i = 0; i < kProbe; ++i) {
    EXPECT_EQ(probe[i], (i / kBlock) % 2 == 0 ? kTeam : 1) << "probe step " << i;
  }
  EXPECT_EQ(tuner.chosen(), 1);
  // 0.0004 s steps on one thread: 1249 of them stay under kPeriodSeconds.
  const int run = static_cast<int>(TeamSizeTuner::kPeriodSeconds / 0.0004);
  for (int i = 0; i < run - 1; ++i) {
    ASSERT_EQ(Step(tuner, 32, 0.0006, 0.0004), 1) << "step " << i;
  }
  // A slow step ends the period: a new probe, in which the whole team is
  // faster now.
  EXPECT_EQ(Step(tuner, 32, 0.0003, 0.01), 1);
  for (int i = 0; i < kProbe; ++i) Step(tuner, 32, 0.0003, 0.0004);
  EXPECT_EQ(tuner.chosen(), kTeam);
  EXPECT_EQ(Step(tuner, 32, 0.0003, 0.0004), kTeam);
}

TEST(TeamSizeTunerTest, ANewRowCountRunsOnTheWholeTeamFirst) {
  TeamSizeTuner tuner(kTeam);
  Step(tuner, 32, 1, 1);
  for (int i = 0; i < kProbe; ++i) Step(tuner, 32, 0.002, 0.001);
  ASSERT_EQ(tuner.chosen(), 1);
  // The epoch's last, shorter batch: whole team (its primitives are new),
  // untimed; the second time it follows the choice.
  EXPECT_EQ(Step(tuner, 24, 0.002, 0.001), kTeam);
  EXPECT_EQ(Step(tuner, 24, 0.002, 0.001), 1);
  EXPECT_EQ(Step(tuner, 32, 0.002, 0.001), 1);
}

TEST(TeamSizeTunerTest, TiesAndOneThreadTeamsKeepTheWholeTeam) {
  TeamSizeTuner tuner(kTeam);
  for (int i = 0; i < 1 + kProbe; ++i) Step(tuner, 8, 0.001, 0.001);
  EXPECT_EQ(tuner.chosen(), kTeam);
  TeamSizeTuner single(1);
  for (int i = 0; i < 1 + kProbe; ++i) {
    EXPECT_EQ(single.TeamForStep(8), 1);
    single.StepTook(0.001);
  }
}

}  // namespace
}  // namespace profundo
