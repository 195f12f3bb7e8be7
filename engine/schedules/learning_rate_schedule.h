// LearningRateSchedule: keras.optimizers.schedules, a learning rate as a
// function of the optimizer step (counted from 0, before the step):
// ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay,
// PolynomialDecay (SPEC.md "Learning-rate schedules").
//
// Immutable; thread-safe for concurrent const use.
#ifndef PROFUNDO_ENGINE_SCHEDULES_LEARNING_RATE_SCHEDULE_H_
#define PROFUNDO_ENGINE_SCHEDULES_LEARNING_RATE_SCHEDULE_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "profundo/v1/model.pb.h"

namespace profundo {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual double operator()(int64_t step) const = 0;
};

// Validates and builds; `field` is the spec path for messages
// ("optimizer.learning_rate_schedule.exponential_decay.decay_steps must be > 0").
absl::StatusOr<std::unique_ptr<LearningRateSchedule>> MakeLearningRateSchedule(
    const v1::LearningRateSchedule& spec, std::string_view field);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_SCHEDULES_LEARNING_RATE_SCHEDULE_H_
