#include "engine/schedules/inverse_time_decay.h"

#include <cmath>

namespace profundo {

InverseTimeDecay::InverseTimeDecay(double initial_learning_rate,
                                   double decay_steps, double decay_rate,
                                   bool staircase)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      decay_rate_(decay_rate),
      staircase_(staircase) {}

double InverseTimeDecay::operator()(int64_t step) const {
  double p = static_cast<double>(step) / decay_steps_;
  if (staircase_) p = std::floor(p);
  return initial_learning_rate_ / (1.0 + decay_rate_ * p);
}

}  // namespace profundo
