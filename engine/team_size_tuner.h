// TeamSizeTuner: chooses, while Fit runs, whether each training step uses
// the caller's whole OpenMP team or one thread, by timing both now and then.
//
// Why: a step's parallel regions hand data between the team's threads, and
// what that costs depends on where the machine puts them. On the 2-vCPU
// virtual machines this project runs on, the host moves the two vCPUs every
// few seconds between cores that share a cache (a cache line's round trip
// between them ~55 ns) and cores far apart (~320 ns); far apart, a batch-32
// step of the seed BN model took 640 us on two threads and 475 on one, near
// 330 on two. The engine's results do not depend on the team size (every
// loop is split the same way for any team, engine/parallel.h, and the tests
// check that Fit's weights are bit-identical at one and two threads), so
// switching changes only the time.
//
// Protocol: a step whose row count has not yet run on the whole team runs on
// it (oneDNN primitives are created for the team that first runs them, and
// must not later run on more threads than that), untimed. Otherwise, every
// kPeriodSeconds of timed steps, a probe runs blocks of kBlockSteps steps,
// the whole team and one thread in turn, kBlocks of each; the first step of
// a block is not timed (it pays for moving the data the other team size
// left in other caches, which made single-step alternation pick the wrong
// size when the vCPUs were far apart). The lower median of the two decides
// the team for the steps until the next probe.
//
// Usage (one step at a time, on the thread that trains):
//   TeamSizeTuner tuner(omp_get_max_threads());
//   {
//     ScopedTeamSize team(tuner.TeamForStep(rows));   // engine/parallel.h
//     ... the step ...
//   }
//   tuner.StepTook(seconds);
//
// Not thread-safe; one per Fit call.
#ifndef PROFUNDO_ENGINE_TEAM_SIZE_TUNER_H_
#define PROFUNDO_ENGINE_TEAM_SIZE_TUNER_H_

#include <cstdint>
#include <set>
#include <vector>

namespace profundo {

class TeamSizeTuner {
 public:
  static constexpr int kBlockSteps = 4;          // consecutive, same team
  static constexpr int kBlocks = 2;              // per team size and probe
  static constexpr int kProbeSteps = 2 * kBlocks * kBlockSteps;
  static constexpr double kPeriodSeconds = 0.5;  // of steps between probes

  // team: the caller's team size (omp_get_max_threads()).
  explicit TeamSizeTuner(int team);

  // The team size for the next step, of `rows` rows.
  int TeamForStep(int64_t rows);
  // How long the step just announced by TeamForStep took.
  void StepTook(double seconds);

  // The team size steps use between probes (the whole team until the first
  // probe has decided).
  int chosen() const { return chosen_; }

 private:
  const int team_;
  int chosen_;
  std::set<int64_t> warm_rows_;  // row counts already run on the whole team
  bool step_timed_ = false;      // the announced step counts
  int step_team_ = 0;            // its team size
  bool probing_ = true;          // a probe is under way
  int probe_step_ = 0;           // steps of it so far
  std::vector<double> full_, one_;  // the probe's timed steps per team size
  double since_probe_ = 0;          // seconds of timed steps since the last
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_TEAM_SIZE_TUNER_H_
