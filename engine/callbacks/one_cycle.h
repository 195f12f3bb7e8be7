// OneCycle: the seed's 1cycle schedule (Smith 2018), as the OneCycleScheduler
// of Geron's notebook for the seed's chapter computes it, per batch.
// With T = epochs * steps_per_epoch total steps,
//   L = floor(T * last_fraction) + 1  (last_fraction 0.1: Geron's T // 10 + 1)
//   H = (T - L) / 2                    (integer division)
// the rate at the callback's own step i (from 0) is linear between
//   i in [0, H):   start_rate -> max_rate
//   i in [H, 2H):  max_rate   -> start_rate
//   i in [2H, T]:  start_rate -> last_rate (held at last_rate past T)
// Momentum, only when the optimizer has_momentum() (SGD/RMSprop with
// momentum, Adam-family beta_1): max_momentum -> min_momentum over [0, H),
// back to max_momentum over [H, 2H), then held at max_momentum.
// Defaults: start_rate = max_rate / 10, last_rate = start_rate / 1000,
// last_fraction 0.1, momentum 0.95 -> 0.85 -> 0.95.
// State: the step counter i.
//
// Not thread-safe; owned by the fit (see callback.h).
#ifndef PROFUNDO_ENGINE_CALLBACKS_ONE_CYCLE_H_
#define PROFUNDO_ENGINE_CALLBACKS_ONE_CYCLE_H_

#include <cstdint>
#include <vector>

#include "engine/callbacks/callback.h"

namespace profundo {

struct OneCycleOptions {
  double max_rate = 0.0;  // > 0
  double start_rate = 0.0;
  double last_rate = 0.0;
  double last_fraction = 0.1;  // in [0, 1)
  double max_momentum = 0.95;
  double min_momentum = 0.85;
};

class OneCycle final : public Callback {
 public:
  explicit OneCycle(OneCycleOptions options);

  void OnBatchBegin(int64_t step, TrainingControl& ctl) override;

  // The rate and momentum at step i of a run of total_steps steps.
  double RateAt(int64_t i, int64_t total_steps) const;
  double MomentumAt(int64_t i, int64_t total_steps) const;

  // {i}.
  std::vector<double> SaveState() const override;
  absl::Status LoadState(const std::vector<double>& state) override;

 private:
  // H for a run of total_steps steps.
  int64_t HalfCycle(int64_t total_steps) const;

  const OneCycleOptions options_;
  int64_t iteration_ = 0;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_CALLBACKS_ONE_CYCLE_H_
