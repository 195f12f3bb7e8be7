// ReduceLROnPlateau: keras.callbacks.ReduceLROnPlateau(monitor="val_loss",
// factor=0.1, patience=10, mode="auto", min_delta=1e-4, cooldown=0,
// min_lr=0), with tf.keras 2.x's logic at every epoch end:
//   in cooldown: cooldown_counter -= 1, wait = 0
//   improved (min: current < best - min_delta; max: current > best +
//   min_delta): best = current, wait = 0
//   else, not in cooldown: wait += 1; when wait >= patience and
//   lr > min_lr: lr = max(lr * factor, min_lr), cooldown_counter =
//   cooldown, wait = 0.
// An epoch without the monitored value changes nothing (Keras warns).
// State: best, wait, cooldown counter. It starts fresh at construction (a
// callback belongs to one fit), so LoadState may come before or after
// OnTrainBegin.
//
// Not thread-safe; owned by the fit (see callback.h).
#ifndef PROFUNDO_ENGINE_CALLBACKS_REDUCE_LR_ON_PLATEAU_H_
#define PROFUNDO_ENGINE_CALLBACKS_REDUCE_LR_ON_PLATEAU_H_

#include <string>
#include <vector>

#include "engine/callbacks/callback.h"

namespace profundo {

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;  // in (0, 1)
  int patience = 10;
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0.0;
  bool maximize = false;  // the mode, resolved ("auto": max for "acc")
};

class ReduceLROnPlateau final : public Callback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options);

  void OnEpochEnd(const EpochLogs& logs, TrainingControl& ctl) override;

  // {best, wait, cooldown_counter}.
  std::vector<double> SaveState() const override;
  absl::Status LoadState(const std::vector<double>& state) override;

 private:
  bool Improved(double current) const;

  const ReduceLROnPlateauOptions options_;
  double best_;
  int wait_ = 0;
  int cooldown_counter_ = 0;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_CALLBACKS_REDUCE_LR_ON_PLATEAU_H_
