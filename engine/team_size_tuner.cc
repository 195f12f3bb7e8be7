#include "engine/team_size_tuner.h"

#include <algorithm>

namespace profundo {

namespace {

// The lower median (the probe's sizes are even).
double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + (v.size() - 1) / 2, v.end());
  return v[(v.size() - 1) / 2];
}

}  // namespace

TeamSizeTuner::TeamSizeTuner(int team)
    : team_(std::max(team, 1)),
      modes_{StepTeam::kWhole, StepTeam::kOne},
      times_(modes_.size()) {}

StepTeam TeamSizeTuner::ModeForStep(int64_t rows, bool kernel_halves) {
  step_timed_ = false;
  if (team_ == 1) return StepTeam::kWhole;
  if (warm_rows_.insert(rows).second) return StepTeam::kWhole;  // untimed
  step_timed_ = true;
  if (!probing_) {
    return chosen_ == StepTeam::kKernelHalves && !kernel_halves
               ? StepTeam::kOne
               : chosen_;
  }
  if (probe_step_ == 0) {  // a probe starts: which modes it tries
    modes_ = {StepTeam::kWhole};
    if (kernel_halves) modes_.push_back(StepTeam::kKernelHalves);
    modes_.push_back(StepTeam::kOne);
    times_.assign(modes_.size(), {});
  }
  return modes_[(probe_step_ / kBlockSteps) % modes_.size()];
}

void TeamSizeTuner::StepTook(double seconds) {
  if (!step_timed_) return;
  step_timed_ = false;
  if (!probing_) {
    if (warmup_left_ > 0) {
      probing_ = --warmup_left_ == 0;
      return;
    }
    since_probe_ += seconds;
    if (since_probe_ >= kPeriodSeconds) {
      probing_ = true;
      probe_step_ = 0;
    }
    return;
  }
  if (probe_step_ % kBlockSteps != 0) {
    times_[(probe_step_ / kBlockSteps) % modes_.size()].push_back(seconds);
  }
  if (++probe_step_ < probe_steps()) return;
  size_t best = 0;
  for (size_t m = 1; m < modes_.size(); ++m) {
    if (Median(times_[m]) < Median(times_[best])) best = m;
  }
  chosen_ = modes_[best];
  probing_ = false;
  since_probe_ = 0;
}

}  // namespace profundo
