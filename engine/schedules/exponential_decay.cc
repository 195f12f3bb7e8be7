#include "engine/schedules/exponential_decay.h"

#include <cmath>

namespace profundo {

ExponentialDecay::ExponentialDecay(double initial_learning_rate,
                                   double decay_steps, double decay_rate,
                                   bool staircase)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      decay_rate_(decay_rate),
      staircase_(staircase) {}

double ExponentialDecay::operator()(int64_t step) const {
  double p = static_cast<double>(step) / decay_steps_;
  if (staircase_) p = std::floor(p);
  return initial_learning_rate_ * std::pow(decay_rate_, p);
}

}  // namespace profundo
