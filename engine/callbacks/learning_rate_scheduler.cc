#include "engine/callbacks/learning_rate_scheduler.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace profundo {

LearningRateScheduler::Schedule LearningRateScheduler::Exponential(double lr0,
                                                                   double s) {
  return [lr0, s](int epoch) { return lr0 * std::pow(0.1, epoch / s); };
}

LearningRateScheduler::Schedule LearningRateScheduler::PiecewiseConstant(
    std::vector<int> boundaries, std::vector<double> values) {
  return [boundaries = std::move(boundaries),
          values = std::move(values)](int epoch) {
    // The first boundary > epoch selects its value; none selects the last.
    const auto it =
        std::upper_bound(boundaries.begin(), boundaries.end(), epoch);
    return values[it - boundaries.begin()];
  };
}

LearningRateScheduler::LearningRateScheduler(Schedule schedule)
    : schedule_(std::move(schedule)) {}

void LearningRateScheduler::OnEpochBegin(int epoch, TrainingControl& ctl) {
  ctl.optimizer().set_learning_rate(schedule_(epoch));
}

}  // namespace profundo
