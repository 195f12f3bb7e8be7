#include "engine/schedules/learning_rate_schedule.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/field_checks.h"
#include "engine/schedules/exponential_decay.h"
#include "engine/schedules/inverse_time_decay.h"
#include "engine/schedules/piecewise_constant_decay.h"
#include "engine/schedules/polynomial_decay.h"
#include "engine/status_macros.h"

namespace profundo {

absl::StatusOr<std::unique_ptr<LearningRateSchedule>> MakeLearningRateSchedule(
    const v1::LearningRateSchedule& spec, std::string_view field) {
  const std::string f(field);
  switch (spec.kind_case()) {
    case v1::LearningRateSchedule::kExponentialDecay: {
      const v1::ExponentialDecay& s = spec.exponential_decay();
      const std::string p = f + ".exponential_decay";
      PROFUNDO_RETURN_IF_ERROR(CheckPositive(s.initial_learning_rate(),
                                             p + ".initial_learning_rate"));
      PROFUNDO_RETURN_IF_ERROR(
          CheckPositive(s.decay_steps(), p + ".decay_steps"));
      PROFUNDO_RETURN_IF_ERROR(
          CheckPositive(s.decay_rate(), p + ".decay_rate"));
      return std::make_unique<ExponentialDecay>(s.initial_learning_rate(),
                                                s.decay_steps(), s.decay_rate(),
                                                s.staircase());
    }
    case v1::LearningRateSchedule::kInverseTimeDecay: {
      const v1::InverseTimeDecay& s = spec.inverse_time_decay();
      const std::string p = f + ".inverse_time_decay";
      PROFUNDO_RETURN_IF_ERROR(CheckPositive(s.initial_learning_rate(),
                                             p + ".initial_learning_rate"));
      PROFUNDO_RETURN_IF_ERROR(
          CheckPositive(s.decay_steps(), p + ".decay_steps"));
      PROFUNDO_RETURN_IF_ERROR(
          CheckNonNegative(s.decay_rate(), p + ".decay_rate"));
      return std::make_unique<InverseTimeDecay>(s.initial_learning_rate(),
                                                s.decay_steps(), s.decay_rate(),
                                                s.staircase());
    }
    case v1::LearningRateSchedule::kPiecewiseConstantDecay: {
      const v1::PiecewiseConstantDecay& s = spec.piecewise_constant_decay();
      const std::string p = f + ".piecewise_constant_decay";
      std::vector<double> boundaries(s.boundaries().begin(),
                                     s.boundaries().end());
      std::vector<double> values(s.values().begin(), s.values().end());
      PROFUNDO_RETURN_IF_ERROR(CheckPiecewiseConstant(boundaries, values, p));
      return std::make_unique<PiecewiseConstantDecay>(std::move(boundaries),
                                                      std::move(values));
    }
    case v1::LearningRateSchedule::kPolynomialDecay: {
      const v1::PolynomialDecay& s = spec.polynomial_decay();
      const std::string p = f + ".polynomial_decay";
      const double end =
          s.has_end_learning_rate() ? s.end_learning_rate() : 0.0001;
      const double power = s.has_power() ? s.power() : 1.0;
      PROFUNDO_RETURN_IF_ERROR(CheckPositive(s.initial_learning_rate(),
                                             p + ".initial_learning_rate"));
      PROFUNDO_RETURN_IF_ERROR(
          CheckPositive(s.decay_steps(), p + ".decay_steps"));
      PROFUNDO_RETURN_IF_ERROR(CheckNonNegative(end, p + ".end_learning_rate"));
      PROFUNDO_RETURN_IF_ERROR(CheckNonNegative(power, p + ".power"));
      return std::make_unique<PolynomialDecay>(
          s.initial_learning_rate(), s.decay_steps(), end, power, s.cycle());
    }
    case v1::LearningRateSchedule::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(f,
                   " must set one of exponential_decay, inverse_time_decay, "
                   "piecewise_constant_decay, polynomial_decay"));
}

}  // namespace profundo
