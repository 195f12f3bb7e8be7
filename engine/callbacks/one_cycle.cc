#include "engine/callbacks/one_cycle.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace profundo {

namespace {

// Linear from y1 at x1 to y2 at x2, evaluated at x (x1 < x2).
double Interpolate(int64_t x, int64_t x1, int64_t x2, double y1, double y2) {
  return (y2 - y1) * static_cast<double>(x - x1) /
             static_cast<double>(x2 - x1) +
         y1;
}

}  // namespace

OneCycle::OneCycle(OneCycleOptions options) : options_(std::move(options)) {}

int64_t OneCycle::HalfCycle(int64_t total_steps) const {
  const int64_t last =
      static_cast<int64_t>(std::floor(static_cast<double>(total_steps) *
                                      options_.last_fraction)) +
      1;
  return std::max<int64_t>(total_steps - last, 0) / 2;
}

double OneCycle::RateAt(int64_t i, int64_t total_steps) const {
  const int64_t h = HalfCycle(total_steps);
  if (i < h)
    return Interpolate(i, 0, h, options_.start_rate, options_.max_rate);
  if (i < 2 * h) {
    return Interpolate(i, h, 2 * h, options_.max_rate, options_.start_rate);
  }
  if (total_steps <= 2 * h) return options_.last_rate;
  return Interpolate(std::min(i, total_steps), 2 * h, total_steps,
                     options_.start_rate, options_.last_rate);
}

double OneCycle::MomentumAt(int64_t i, int64_t total_steps) const {
  const int64_t h = HalfCycle(total_steps);
  if (i < h) {
    return Interpolate(i, 0, h, options_.max_momentum, options_.min_momentum);
  }
  if (i < 2 * h) {
    return Interpolate(i, h, 2 * h, options_.min_momentum,
                       options_.max_momentum);
  }
  return options_.max_momentum;
}

void OneCycle::OnBatchBegin(int64_t step, TrainingControl& ctl) {
  const int64_t total =
      static_cast<int64_t>(ctl.epochs()) * ctl.steps_per_epoch();
  Optimizer& optimizer = ctl.optimizer();
  optimizer.set_learning_rate(RateAt(iteration_, total));
  if (optimizer.has_momentum()) {
    optimizer.set_momentum(MomentumAt(iteration_, total));
  }
  ++iteration_;
}

std::vector<double> OneCycle::SaveState() const {
  return {static_cast<double>(iteration_)};
}

absl::Status OneCycle::LoadState(const std::vector<double>& state) {
  if (state.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("OneCycle state must have 1 value, got ", state.size()));
  }
  if (!(state[0] >= 0 && state[0] < 9.0e15 &&
        state[0] == std::floor(state[0]))) {
    return absl::InvalidArgumentError(
        "OneCycle step must be a non-negative integer");
  }
  iteration_ = static_cast<int64_t>(state[0]);
  return absl::OkStatus();
}

}  // namespace profundo
