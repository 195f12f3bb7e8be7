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
    : team_(std::max(team, 1)), chosen_(team_) {}

int TeamSizeTuner::TeamForStep(int64_t rows) {
  step_timed_ = false;
  step_team_ = team_;
  if (team_ == 1) return 1;
  if (warm_rows_.insert(rows).second) return team_;  // first run: untimed
  step_timed_ = true;
  if (!probing_) {
    step_team_ = chosen_;
  } else {
    // Blocks in turn, the whole team first.
    step_team_ = (probe_step_ / kBlockSteps) % 2 == 0 ? team_ : 1;
  }
  return step_team_;
}

void TeamSizeTuner::StepTook(double seconds) {
  if (!step_timed_) return;
  step_timed_ = false;
  if (!probing_) {
    since_probe_ += seconds;
    if (since_probe_ >= kPeriodSeconds) {
      probing_ = true;
      probe_step_ = 0;
      full_.clear();
      one_.clear();
    }
    return;
  }
  if (probe_step_ % kBlockSteps != 0) {
    (step_team_ == team_ ? full_ : one_).push_back(seconds);
  }
  if (++probe_step_ < kProbeSteps) return;
  chosen_ = Median(one_) < Median(full_) ? 1 : team_;
  probing_ = false;
  since_probe_ = 0;
}

}  // namespace profundo
