#include "engine/schedules/polynomial_decay.h"

#include <algorithm>
#include <cmath>

namespace profundo {

PolynomialDecay::PolynomialDecay(double initial_learning_rate,
                                 double decay_steps, double end_learning_rate,
                                 double power, bool cycle)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      end_learning_rate_(end_learning_rate),
      power_(power),
      cycle_(cycle) {}

double PolynomialDecay::operator()(int64_t step) const {
  double s = static_cast<double>(step);
  double d = decay_steps_;
  if (cycle_) {
    const double multiplier = step == 0 ? 1.0 : std::ceil(s / decay_steps_);
    d = decay_steps_ * multiplier;
  } else {
    s = std::min(s, decay_steps_);
  }
  return (initial_learning_rate_ - end_learning_rate_) *
             std::pow(1.0 - s / d, power_) +
         end_learning_rate_;
}

}  // namespace profundo
