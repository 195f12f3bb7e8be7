// TeamSizeTuner: chooses, while Fit runs, how each training step uses the
// caller's OpenMP team -- the whole team, one thread, or one thread with
// the split kernels' halves on two (StepTeam, engine/parallel.h) -- by
// timing them now and then.
//
// Why: a step's parallel regions hand data between the team's threads, and
// what that costs depends on where the machine puts them. On the 2-vCPU
// virtual machines this project runs on, the host moves the two vCPUs every
// few seconds between cores that share a cache (a cache line's round trip
// between them ~55 ns) and cores far apart (~320 ns). A batch-32 bf16
// epoch of the seed BN model: near, 0.45 s on the whole team, 0.72 on one
// thread; far apart, 0.75 on the whole team, 0.73 on one thread and 0.58
// with the kernel halves on two threads (only the 784x300 layer's halves
// and their optimizer rows cross cores, not every small layer's data). The
// engine's results do not depend on the mode (every loop is split the same
// way for any team, engine/parallel.h, and the tests check that Fit's
// weights are bit-identical at one and two threads and in every mode), so
// switching changes only the time.
//
// Protocol: a step whose row count has not yet run on the whole team runs on it
// (oneDNN primitives are created for the team that first runs them, and must
// not later run on more threads than that), untimed. The first kWarmupSteps
// timed steps run on the whole team too: a process's first steps are slow while
// its caches, pages and clock warm up (the seed BN model, float32, batch 32,
// vCPUs near: steps 1-12 took 170-305 us, later ones ~150), and a probe among
// them judged the whole team, tried first, by its coldest steps: it picked the
// kernel halves in 4 and 5 of two sets of 8 runs (~172-177 us per step instead
// of ~153 until the next probe, 1.7 epochs later; the first epoch ~0.33 s
// instead of ~0.30), with the warm-up in 0 of 8. Then, and every kPeriodSeconds
// of timed steps after a probe, a probe runs blocks of kBlockSteps steps, each
// mode in turn (the whole team, the kernel halves when the step has split
// kernels, one thread), kBlocks of each; the first step of a block is not timed
// (it pays for moving the data the other mode left in other caches, which made
// single-step alternation pick the wrong mode when the vCPUs were far apart).
// The lowest median decides the mode for the steps until the next probe (ties:
// the earlier mode in that order).
//
// Usage (one step at a time, on the thread that trains):
//   TeamSizeTuner tuner(omp_get_max_threads());
//   {
//     ScopedStepTeam team(tuner.ModeForStep(rows, halves), team_size);
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

#include "engine/parallel.h"

namespace profundo {

class TeamSizeTuner {
 public:
  static constexpr int kWarmupSteps = 32;        // before the first probe
  static constexpr int kBlockSteps = 4;          // consecutive, same mode
  static constexpr int kBlocks = 2;              // per mode and probe
  static constexpr double kPeriodSeconds = 0.5;  // of steps between probes

  // team: the caller's team size (omp_get_max_threads()).
  explicit TeamSizeTuner(int team);

  // The mode of the next step, of `rows` rows; `kernel_halves`: whether
  // the model has kernels that SplitInnerProduct splits at this row count
  // (kKernelHalves is tried only then). A team of one thread always gets
  // kWhole.
  StepTeam ModeForStep(int64_t rows, bool kernel_halves);
  // How long the step just announced by ModeForStep took.
  void StepTook(double seconds);

  // The mode steps use between probes (kWhole until the first probe has
  // decided).
  StepTeam chosen() const { return chosen_; }
  // Steps of the current (or next) probe: kBlocks x kBlockSteps per mode.
  int probe_steps() const {
    return static_cast<int>(modes_.size()) * kBlocks * kBlockSteps;
  }

 private:
  const int team_;
  StepTeam chosen_ = StepTeam::kWhole;
  std::set<int64_t> warm_rows_;  // row counts already run on the whole team
  bool step_timed_ = false;      // the announced step counts
  int warmup_left_ = kWarmupSteps;  // timed steps before the first probe
  bool probing_ = false;         // a probe is under way
  int probe_step_ = 0;           // steps of it so far
  std::vector<StepTeam> modes_;  // the probe's modes, in turn
  std::vector<std::vector<double>> times_;  // its timed steps, per mode
  double since_probe_ = 0;       // seconds of timed steps since the last
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_TEAM_SIZE_TUNER_H_
