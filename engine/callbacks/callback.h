// Callback: Keras's fit callbacks (ReduceLROnPlateau, EarlyStopping,
// LearningRateScheduler with data-defined functions, OneCycle). Each sees
// the training through TrainingControl, the narrow view of the running fit.
//
// A callback belongs to one fit; not thread-safe. Its mutable state is
// exposed as a flat list of numbers for checkpoints (SaveState/LoadState), so
// a resumed run behaves as one that never stopped.
#ifndef PROFUNDO_ENGINE_CALLBACKS_CALLBACK_H_
#define PROFUNDO_ENGINE_CALLBACKS_CALLBACK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/optimizers/optimizer.h"
#include "profundo/v1/model.pb.h"

namespace profundo {

// One epoch's entry of the history (Keras's `logs`).
struct EpochLogs {
  int epoch = 0;  // from 0
  double loss = 0;
  double accuracy = 0;
  std::optional<double> val_loss;
  std::optional<double> val_accuracy;
  double lr = 0;  // the rate in force during the epoch (at its first step)
  // Wall-clock seconds from the start of the epoch's first step to the end
  // of its validation (Keras's progress bar); 0 when not measured (an
  // epoch restored from a checkpoint).
  double seconds = 0;

  // "loss", "accuracy", "val_loss", "val_accuracy", "lr"; nullopt if absent.
  std::optional<double> Get(std::string_view key) const;
};

// What a callback may see and change of the running fit.
class TrainingControl {
 public:
  virtual ~TrainingControl() = default;
  virtual Optimizer& optimizer() = 0;
  virtual int epochs() const = 0;
  virtual int64_t steps_per_epoch() const = 0;
  // Ends the fit after the current epoch.
  virtual void StopTraining() = 0;
  // The model's trainable and non-trainable values, for restore_best_weights.
  virtual std::vector<float> GetWeights() const = 0;
  virtual void SetWeights(const std::vector<float>& weights) = 0;
};

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void OnTrainBegin(TrainingControl& ctl) {}
  virtual void OnEpochBegin(int epoch, TrainingControl& ctl) {}
  // `step` is the global step (optimizer.iterations() before the update).
  virtual void OnBatchBegin(int64_t step, TrainingControl& ctl) {}
  virtual void OnEpochEnd(const EpochLogs& logs, TrainingControl& ctl) {}
  virtual void OnTrainEnd(TrainingControl& ctl) {}

  virtual std::vector<double> SaveState() const { return {}; }
  virtual absl::Status LoadState(const std::vector<double>& state) {
    return absl::OkStatus();
  }
};

// Validates and builds one callback; `field` is its spec path
// ("callbacks[0]"). `optimizer_has_schedule`: callbacks that set the rate
// are rejected with a schedule-driven optimizer, as Keras does.
absl::StatusOr<std::unique_ptr<Callback>> MakeCallback(
    const v1::Callback& spec, std::string_view field,
    bool optimizer_has_schedule);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_CALLBACKS_CALLBACK_H_
