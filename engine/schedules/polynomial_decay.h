// PolynomialDecay: keras.optimizers.schedules.PolynomialDecay(
// initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
// cycle=False):
//   (lr0 - end) * (1 - s / d)^power + end
// without cycle: s = min(step, decay_steps), d = decay_steps;
// with cycle:    s = step, d = decay_steps * ceil(step / decay_steps)
//                (d = decay_steps at step 0), as Keras computes it.
//
// Immutable; thread-safe for concurrent const use.
#ifndef PROFUNDO_ENGINE_SCHEDULES_POLYNOMIAL_DECAY_H_
#define PROFUNDO_ENGINE_SCHEDULES_POLYNOMIAL_DECAY_H_

#include <cstdint>

#include "engine/schedules/learning_rate_schedule.h"

namespace profundo {

class PolynomialDecay final : public LearningRateSchedule {
 public:
  // decay_steps > 0 (checked by MakeLearningRateSchedule).
  PolynomialDecay(double initial_learning_rate, double decay_steps,
                  double end_learning_rate, double power, bool cycle);
  double operator()(int64_t step) const override;

 private:
  const double initial_learning_rate_;
  const double decay_steps_;
  const double end_learning_rate_;
  const double power_;
  const bool cycle_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_SCHEDULES_POLYNOMIAL_DECAY_H_
