// ExponentialDecay: keras.optimizers.schedules.ExponentialDecay(
// initial_learning_rate, decay_steps, decay_rate, staircase=False):
//   lr0 * decay_rate^(step / decay_steps), the exponent floored if staircase.
// The seed's exponential schedule lr0 * 0.1^(t / s) is decay_rate 0.1,
// decay_steps s.
//
// Immutable; thread-safe for concurrent const use.
#ifndef PROFUNDO_ENGINE_SCHEDULES_EXPONENTIAL_DECAY_H_
#define PROFUNDO_ENGINE_SCHEDULES_EXPONENTIAL_DECAY_H_

#include <cstdint>

#include "engine/schedules/learning_rate_schedule.h"

namespace profundo {

class ExponentialDecay final : public LearningRateSchedule {
 public:
  // decay_steps > 0 (checked by MakeLearningRateSchedule).
  ExponentialDecay(double initial_learning_rate, double decay_steps,
                   double decay_rate, bool staircase);
  double operator()(int64_t step) const override;

 private:
  const double initial_learning_rate_;
  const double decay_steps_;
  const double decay_rate_;
  const bool staircase_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_SCHEDULES_EXPONENTIAL_DECAY_H_
