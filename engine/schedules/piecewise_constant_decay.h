// PiecewiseConstantDecay: keras.optimizers.schedules.PiecewiseConstantDecay(
// boundaries, values):
//   values[0]      while step <= boundaries[0]
//   values[i]      for boundaries[i-1] < step <= boundaries[i]
//   values.back()  for step > boundaries.back()
// len(values) == len(boundaries) + 1, boundaries strictly increasing
// (checked by MakeLearningRateSchedule).
//
// Immutable; thread-safe for concurrent const use.
#ifndef PROFUNDO_ENGINE_SCHEDULES_PIECEWISE_CONSTANT_DECAY_H_
#define PROFUNDO_ENGINE_SCHEDULES_PIECEWISE_CONSTANT_DECAY_H_

#include <cstdint>
#include <vector>

#include "engine/schedules/learning_rate_schedule.h"

namespace profundo {

class PiecewiseConstantDecay final : public LearningRateSchedule {
 public:
  PiecewiseConstantDecay(std::vector<double> boundaries,
                         std::vector<double> values);
  double operator()(int64_t step) const override;

 private:
  const std::vector<double> boundaries_;
  const std::vector<double> values_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_SCHEDULES_PIECEWISE_CONSTANT_DECAY_H_
