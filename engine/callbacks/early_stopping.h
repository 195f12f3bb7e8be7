// EarlyStopping: keras.callbacks.EarlyStopping(monitor="val_loss",
// min_delta=0, patience=0, mode="auto", restore_best_weights=False) with
// tf.keras 2.12-2.15's logic at every epoch end (no baseline or
// start_from_epoch):
//   first monitored epoch with restore_best_weights: snapshot the weights
//   wait += 1
//   improved (min: current + min_delta < best; max: current - min_delta >
//   best): best = current, remember the epoch (and snapshot the weights if
//   restore_best_weights), wait = 0, done
//   otherwise, when wait >= patience and epoch > 0: stop training and, if
//   restore_best_weights, restore the best snapshot.
// As in tf.keras 2.x (not Keras 3), the best weights are restored only when
// the callback stops the fit, not when the fit ends by running out of
// epochs. An epoch without the monitored value changes nothing.
//
// State (SaveState): wait, stopped epoch, best, best epoch, then, if a
// snapshot is held, the snapshot itself as doubles (the whole weight vector:
// twice the size of the floats, kept in the callback's one flat state so
// checkpoints need nothing else). It starts fresh at construction, so
// LoadState may come before or after OnTrainBegin.
//
// Not thread-safe; owned by the fit (see callback.h).
#ifndef PROFUNDO_ENGINE_CALLBACKS_EARLY_STOPPING_H_
#define PROFUNDO_ENGINE_CALLBACKS_EARLY_STOPPING_H_

#include <string>
#include <vector>

#include "engine/callbacks/callback.h"

namespace profundo {

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  int patience = 0;
  double min_delta = 0.0;  // >= 0
  bool restore_best_weights = false;
  bool maximize = false;  // the mode, resolved ("auto": max for "acc")
};

class EarlyStopping final : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options);

  void OnEpochEnd(const EpochLogs& logs, TrainingControl& ctl) override;

  // The epoch (from 0) at which it stopped the fit; 0 if it did not.
  int stopped_epoch() const { return stopped_epoch_; }
  // The epoch (from 0) of the best monitored value so far.
  int best_epoch() const { return best_epoch_; }

  std::vector<double> SaveState() const override;
  absl::Status LoadState(const std::vector<double>& state) override;

 private:
  bool Improved(double current) const;

  const EarlyStoppingOptions options_;
  int wait_ = 0;
  int stopped_epoch_ = 0;
  double best_;
  int best_epoch_ = 0;
  bool has_best_weights_ = false;
  std::vector<float> best_weights_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_CALLBACKS_EARLY_STOPPING_H_
