// LearningRateScheduler: keras.callbacks.LearningRateScheduler(schedule)
// with the schedule given as data, since no user code runs on the server.
// At every epoch begin (epoch from 0) it sets the optimizer's rate to
// schedule(epoch). The seed's two functions:
//   Exponential(lr0, s):                  lr0 * 0.1^(epoch / s)
//   PiecewiseConstant(boundaries, values): values[i] for the first i with
//     epoch < boundaries[i], values.back() past the last boundary
//     (len(values) == len(boundaries) + 1).
// Stateless between epochs (the epoch index carries everything).
//
// Not thread-safe; owned by the fit (see callback.h).
#ifndef PROFUNDO_ENGINE_CALLBACKS_LEARNING_RATE_SCHEDULER_H_
#define PROFUNDO_ENGINE_CALLBACKS_LEARNING_RATE_SCHEDULER_H_

#include <functional>
#include <vector>

#include "engine/callbacks/callback.h"

namespace profundo {

class LearningRateScheduler final : public Callback {
 public:
  using Schedule = std::function<double(int epoch)>;

  // s > 0.
  static Schedule Exponential(double lr0, double s);
  // Boundaries increasing; values.size() == boundaries.size() + 1.
  static Schedule PiecewiseConstant(std::vector<int> boundaries,
                                    std::vector<double> values);

  explicit LearningRateScheduler(Schedule schedule);

  void OnEpochBegin(int epoch, TrainingControl& ctl) override;

 private:
  const Schedule schedule_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_CALLBACKS_LEARNING_RATE_SCHEDULER_H_
