// InverseTimeDecay: keras.optimizers.schedules.InverseTimeDecay(
// initial_learning_rate, decay_steps, decay_rate, staircase=False):
//   lr0 / (1 + decay_rate * step / decay_steps), the quotient
//   step / decay_steps floored if staircase.
// This is the seed's power schedule lr0 / (1 + t / s) (c = 1).
//
// Immutable; thread-safe for concurrent const use.
#ifndef PROFUNDO_ENGINE_SCHEDULES_INVERSE_TIME_DECAY_H_
#define PROFUNDO_ENGINE_SCHEDULES_INVERSE_TIME_DECAY_H_

#include <cstdint>

#include "engine/schedules/learning_rate_schedule.h"

namespace profundo {

class InverseTimeDecay final : public LearningRateSchedule {
 public:
  // decay_steps > 0 (checked by MakeLearningRateSchedule).
  InverseTimeDecay(double initial_learning_rate, double decay_steps,
                   double decay_rate, bool staircase);
  double operator()(int64_t step) const override;

 private:
  const double initial_learning_rate_;
  const double decay_steps_;
  const double decay_rate_;
  const bool staircase_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_SCHEDULES_INVERSE_TIME_DECAY_H_
